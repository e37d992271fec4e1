"""Schemathesis against the OpenAPI document: no 5xx, and every response (problems
included) matches what the document says, for each operation of /api/v1."""

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import Session

from planner.api.v1.ratelimit import InProcessRateLimiter
from planner.models.base import utcnow
from planner.services import candidates, locations, scheduling
from tests.factories import add_candidate
from tests.integration.test_api import Tenant

MAX_EXAMPLES = 12


@pytest.fixture
def api_schema(engine, monkeypatch):
    """The document of an app whose account has a few rows, so that low ids exist."""
    from planner.api.app import build_api

    with Session(engine, expire_on_commit=False) as session:
        tenant = Tenant(session, "Alpha")
        Tenant(session, "Beta")  # ids of another account must answer 404
        job_id = candidates.create_job(session=session, actor=tenant.actor, data={"title": "Dev"})
        candidate = add_candidate(session, tenant.account, "Freja Nielsen")
        locations.add_location(session=session, actor=tenant.actor, data={"name": "HQ"})
        start = utcnow().replace(microsecond=0) + timedelta(days=2)
        interview = scheduling.create_interview(
            session=session,
            actor=tenant.actor,
            now=utcnow(),
            data={
                "title": "Interview",
                "duration_minutes": 30,
                "participant_ids": [tenant.admin.id],
                "job_id": job_id,
                "slots": [start, start + timedelta(hours=1)],
            },
        )
        scheduling.invite_candidates(
            session=session,
            actor=tenant.actor,
            interview_id=interview.id,
            candidate_ids=[candidate.id],
            now=utcnow(),
        )
    monkeypatch.setattr(
        "planner.api.v1.app.session_scope", lambda: Session(engine, expire_on_commit=False)
    )
    monkeypatch.setattr(
        "planner.api.v1.app.default_limiter", lambda _url: InProcessRateLimiter(limit=10**9)
    )
    # urllib3-future (pulled in beside urllib3) breaks schemathesis' count of pooled
    # connections, which only serves to resend after a dropped connection: in process
    # (ASGI) no connection drops.
    monkeypatch.setattr(
        "schemathesis.transport.requests._count_opened_connections", lambda _session: 0
    )
    config = SchemathesisConfig()
    config.projects.override.update(headers={"Authorization": f"Bearer {tenant.key}"})
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", build_api(), config=config)


def test_every_operation_conforms_to_the_document(api_schema):
    """Schemathesis' pytest plugin does not run under pytest 9, so each operation's
    strategy is driven by hypothesis directly; every failure is collected and reported."""
    failures: dict[str, str] = {}
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def conforms(case):
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            conforms()
        except (AssertionError, FailureGroup) as exc:
            failures[operation.label] = str(exc)[:2000]
    assert operations >= 20
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
