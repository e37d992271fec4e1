"""The /api/v1 REST API over HTTP: API-key auth, problem details, tenant isolation,
validation, rate limits, and each resource through the same services as the UI."""

from datetime import timedelta

import pytest
import redis
from sqlmodel import Session
from starlette.testclient import TestClient

from planner.api.v1.ratelimit import InProcessRateLimiter, RedisRateLimiter
from planner.models import StaffUser
from planner.models.base import utcnow
from planner.services import api_keys
from tests.factories import account_with_admin, actor_for

REDIS_URL = "redis://127.0.0.1:6379/0"


class Tenant:
    """An account with an admin and an API key."""

    def __init__(self, session: Session, name: str) -> None:
        self.account, self.admin = account_with_admin(
            session, name, email=f"admin@{name.lower()}.example"
        )
        self.actor = actor_for(self.admin, self.account)
        created = api_keys.create_api_key(
            session=session, actor=self.actor, name=f"{name} ATS", now=utcnow()
        )
        self.key = created.key
        self.key_id = created.id
        self.headers = {"Authorization": f"Bearer {created.key}"}


def api_client(engine, monkeypatch, *, limiter=None) -> TestClient:
    """The whole Starlette app in front of Reflex (build_api), with the API on `engine`."""
    from planner.api.app import build_api

    monkeypatch.setattr(
        "planner.api.v1.app.session_scope", lambda: Session(engine, expire_on_commit=False)
    )
    monkeypatch.setattr(
        "planner.api.v1.app.default_limiter",
        lambda _url: limiter or InProcessRateLimiter(limit=100_000),
    )
    return TestClient(build_api(), base_url="http://planner.test")


@pytest.fixture
def tenants(session):
    return Tenant(session, "Alpha"), Tenant(session, "Beta")


@pytest.fixture
def client(engine, monkeypatch, tenants):
    return api_client(engine, monkeypatch)


def _assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


def _interview_body(participant_id: int, **extra) -> dict:
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    return {
        "title": "Backend interview",
        "duration_minutes": 45,
        "participant_ids": [participant_id],
        "slots": [start.isoformat(), (start + timedelta(hours=2)).isoformat()],
        **extra,
    }


def test_the_openapi_document_is_served_under_api_v1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["servers"] == [{"url": "/api/v1"}]
    assert "/interviews" in document["paths"] and "/candidates/{candidate_id}" in document["paths"]
    create = document["paths"]["/interviews"]["post"]["responses"]
    assert "application/problem+json" in create["422"]["content"]
    assert document["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


@pytest.mark.parametrize("header", [None, "Bearer pk_nope_nope", "Basic abc", "Bearer "])
def test_requests_without_a_valid_key_are_401_problems(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/candidates", headers=headers)
    _assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_stops_working_at_once(client, tenants, session):
    alpha, _ = tenants
    assert client.get("/api/v1/jobs", headers=alpha.headers).status_code == 200
    api_keys.revoke_api_key(session=session, actor=alpha.actor, key_id=alpha.key_id, now=utcnow())
    _assert_problem(client.get("/api/v1/jobs", headers=alpha.headers), 401)


def test_a_key_acts_as_its_creator_and_dies_with_their_account_access(client, tenants, session):
    alpha, _ = tenants
    admin = session.get(StaffUser, alpha.admin.id)
    second = StaffUser(
        account_id=alpha.account.id, name="Second Admin", email="two@alpha.example", role="admin"
    )
    session.add(second)
    session.commit()
    # Demoted to recruiter: the key keeps working with a recruiter's rights only.
    admin.role = "recruiter"
    session.commit()
    staff = {"name": "New Person", "role": "recruiter"}
    _assert_problem(client.post("/api/v1/staff", json=staff, headers=alpha.headers), 403)
    assert client.get("/api/v1/staff", headers=alpha.headers).status_code == 200
    # Deactivated: the key no longer authenticates.
    admin.is_active = False
    session.commit()
    _assert_problem(client.get("/api/v1/staff", headers=alpha.headers), 401)


def test_candidates_create_read_update_delete_with_validation(client, tenants):
    alpha, _ = tenants
    headers = alpha.headers
    job = client.post("/api/v1/jobs", json={"title": "Backend developer"}, headers=headers)
    assert job.status_code == 201
    body = {"name": "Freja Nielsen", "email": "Freja@Mail.example", "job_id": job.json()["id"]}
    created = client.post("/api/v1/candidates", json=body, headers=headers)
    assert created.status_code == 201, created.text
    candidate = created.json()
    assert candidate["email"] == "freja@mail.example"
    assert candidate["job_title"] == "Backend developer"
    url = f"/api/v1/candidates/{candidate['id']}"
    assert client.get(url, headers=headers).json() == candidate

    patched = client.patch(url, json={"locale": "da", "phone": "+45 12 34 56 78"}, headers=headers)
    assert patched.status_code == 200 and patched.json()["locale"] == "da"
    assert patched.json()["name"] == "Freja Nielsen"

    bad = {"name": "Eve\r\nBcc: x", "email": "eve@mail.example"}
    _assert_problem(client.post("/api/v1/candidates", json=bad, headers=headers), 422, "name")
    bad = {"name": "Eve", "email": "not-an-address"}
    _assert_problem(client.post("/api/v1/candidates", json=bad, headers=headers), 422, "email")
    _assert_problem(client.patch(url, json={"locale": "xx"}, headers=headers), 422, "locale")
    _assert_problem(client.patch(url, json={"surprise": 1}, headers=headers), 422, "surprise")
    response = client.post(
        "/api/v1/candidates",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    _assert_problem(response, 422)

    found = client.get("/api/v1/candidates", params={"search": "freja"}, headers=headers)
    assert [row["id"] for row in found.json()] == [candidate["id"]]
    assert client.delete(url, headers=headers).status_code == 204
    _assert_problem(client.get(url, headers=headers), 404)


def test_another_accounts_ids_are_404_everywhere(client, tenants):
    alpha, beta = tenants
    candidate = client.post(
        "/api/v1/candidates", json={"name": "Ann", "email": "ann@x.example"}, headers=beta.headers
    ).json()
    location = client.post(
        "/api/v1/locations", json={"name": "HQ", "address": "Street 1"}, headers=beta.headers
    ).json()
    interview = client.post(
        "/api/v1/interviews",
        json=_interview_body(beta.admin.id, location_id=location["id"]),
        headers=beta.headers,
    )
    assert interview.status_code == 201, interview.text
    interview_id = interview.json()["id"]
    slot_id = interview.json()["slots"][0]["id"]
    for method, url in [
        ("GET", f"/api/v1/candidates/{candidate['id']}"),
        ("PATCH", f"/api/v1/candidates/{candidate['id']}"),
        ("DELETE", f"/api/v1/candidates/{candidate['id']}"),
        ("GET", f"/api/v1/locations/{location['id']}"),
        ("DELETE", f"/api/v1/locations/{location['id']}"),
        ("GET", f"/api/v1/staff/{beta.admin.id}"),
        ("GET", f"/api/v1/interviews/{interview_id}"),
        ("POST", f"/api/v1/interviews/{interview_id}/cancel"),
        ("GET", f"/api/v1/interviews/{interview_id}/bookings"),
        ("DELETE", f"/api/v1/interviews/{interview_id}/slots/{slot_id}"),
    ]:
        kwargs = {"json": {}} if method == "PATCH" else {}
        response = client.request(method, url, headers=alpha.headers, **kwargs)
        _assert_problem(response, 404)
    # Referring to another account's rows inside a body is a 422 naming the field.
    response = client.post(
        "/api/v1/interviews",
        json=_interview_body(beta.admin.id),
        headers=alpha.headers,
    )
    _assert_problem(response, 422, "participant_ids")
    response = client.post(
        f"/api/v1/interviews/{interview_id}/invitations",
        json={"candidate_ids": [candidate["id"]]},
        headers=alpha.headers,
    )
    _assert_problem(response, 404)
    # Nothing of Beta's was changed by Alpha's attempts.
    detail = client.get(f"/api/v1/interviews/{interview_id}", headers=beta.headers).json()
    assert detail["status"] == "draft" and all(s["status"] == "offered" for s in detail["slots"])


def test_interviews_need_aware_times_and_one_place(client, tenants):
    alpha, _ = tenants
    body = _interview_body(alpha.admin.id)
    body["slots"] = ["2030-01-01T09:00:00"]
    _assert_problem(
        client.post("/api/v1/interviews", json=body, headers=alpha.headers), 422, "slots.0"
    )
    body = _interview_body(alpha.admin.id, meeting_kind="teams")
    problem = _assert_problem(
        client.post("/api/v1/interviews", json=body, headers=alpha.headers), 422, "meeting_kind"
    )
    assert "teams" in problem["detail"]
    response = client.get(
        "/api/v1/interviews", params={"created_after": "2026-01-01T00:00:00"}, headers=alpha.headers
    )
    _assert_problem(response, 422, "created_after")


def test_interviews_are_created_listed_filtered_and_cancelled(client, tenants):
    alpha, _ = tenants
    headers = alpha.headers
    location = client.post("/api/v1/locations", json={"name": "HQ"}, headers=headers).json()
    created = client.post(
        "/api/v1/interviews",
        json=_interview_body(alpha.admin.id, location_id=location["id"], capacity=2),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    interview = created.json()
    assert interview["location_name"] == "HQ" and len(interview["slots"]) == 2
    assert interview["slots"][0]["start_at"].endswith("Z")
    listed = client.get("/api/v1/interviews", params={"status": "draft"}, headers=headers).json()
    assert [row["id"] for row in listed] == [interview["id"]]
    assert client.get("/api/v1/interviews", params={"status": "open"}, headers=headers).json() == []

    start = (utcnow() + timedelta(days=5)).replace(microsecond=0).isoformat()
    more = client.post(
        f"/api/v1/interviews/{interview['id']}/slots", json={"starts": [start]}, headers=headers
    )
    assert more.status_code == 201 and len(more.json()["slots"]) == 3
    slot_id = more.json()["slots"][-1]["id"]
    removed = client.delete(
        f"/api/v1/interviews/{interview['id']}/slots/{slot_id}", headers=headers
    )
    assert removed.status_code == 204

    cancelled = client.post(f"/api/v1/interviews/{interview['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/interviews/{interview['id']}/cancel", headers=headers)
    assert again.status_code == 200


def test_staff_locations_and_jobs(client, tenants):
    alpha, _ = tenants
    headers = alpha.headers
    created = client.post(
        "/api/v1/staff", json={"name": "Oliver Bennett", "role": "hiring_manager"}, headers=headers
    )
    assert created.status_code == 201 and created.json()["email"] is None
    user_id = created.json()["id"]
    patched = client.patch(f"/api/v1/staff/{user_id}", json={"locale": "sv"}, headers=headers)
    assert patched.json()["locale"] == "sv"
    _assert_problem(
        client.patch(
            f"/api/v1/staff/{alpha.admin.id}", json={"role": "recruiter"}, headers=headers
        ),
        422,
        "role",
    )
    location = client.post("/api/v1/locations", json={"name": "HQ"}, headers=headers).json()
    _assert_problem(
        client.post("/api/v1/locations", json={"name": "HQ"}, headers=headers), 422, "name"
    )
    renamed = client.put(
        f"/api/v1/locations/{location['id']}",
        json={"name": "Office", "address": "Road 2"},
        headers=headers,
    )
    assert renamed.json() == {"id": location["id"], "name": "Office", "address": "Road 2"}
    job = client.post("/api/v1/jobs", json={"title": "Designer"}, headers=headers).json()
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=headers).json() == job
    _assert_problem(client.get(f"/api/v1/jobs/{job['id'] + 1000}", headers=headers), 404)


def test_unknown_routes_and_methods_answer_with_problems(client, tenants):
    alpha, _ = tenants
    _assert_problem(client.get("/api/v1/nothing-here", headers=alpha.headers), 404)
    response = client.put("/api/v1/candidates", headers=alpha.headers)
    _assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


@pytest.fixture(params=["in_process", "redis"])
def limiter(request):
    if request.param == "in_process":
        yield InProcessRateLimiter(limit=3, window_seconds=60)
        return
    client = redis.Redis.from_url(REDIS_URL)
    limiter = RedisRateLimiter(client, limit=3, window_seconds=60)
    yield limiter
    for name in client.scan_iter("planner:api-rate:*"):
        client.delete(name)
    client.close()


def test_each_key_has_its_own_rate_limit(engine, monkeypatch, tenants, limiter):
    alpha, beta = tenants
    client = api_client(engine, monkeypatch, limiter=limiter)
    answers = [client.get("/api/v1/jobs", headers=alpha.headers) for _ in range(4)]
    assert [r.status_code for r in answers[:3]] == [200, 200, 200]
    problem = _assert_problem(answers[3], 429)
    assert "Rate limit" in problem["detail"]
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    # Another key (another account's) is not affected.
    assert client.get("/api/v1/jobs", headers=beta.headers).status_code == 200


def test_rate_limit_windows_reset():
    limiter = InProcessRateLimiter(limit=1, window_seconds=10)
    assert limiter.hit("k", 100.0).allowed
    refused = limiter.hit("k", 105.0)
    assert not refused.allowed and refused.retry_after == 5
    assert limiter.hit("k", 110.0).allowed
