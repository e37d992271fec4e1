"""While Redis (which holds the Reflex page state) is down, a candidate can still open their
booking page over the websocket and book; once it is back, new pages use it again
(issue 15, finding 9)."""

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from datetime import timedelta

import pytest
from sqlmodel import Session

from bench.soak import RedisServer, visit_booking_page
from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.models import Booking, StaffUser
from planner.models.base import utcnow
from planner.services import scheduling
from planner.settings import ROOT_DIR
from tests.factories import account_with_admin, actor_for, add_candidate
from tests.fakes.radicale import free_port


def _until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310 - local
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def links(tmp_path, migrated_templates):
    """A SQLite database with two candidates invited to an interview of two times:
    (database URL, [(token, slot id)])."""
    target = tmp_path / "planner.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
        manager = StaffUser(
            account_id=account.id, name="Hanna", email="h@alpha.example",
            role=Role.HIRING_MANAGER.value,
        )  # fmt: skip
        session.add(manager)
        session.commit()
        actor = actor_for(admin, account)
        interview = scheduling.create_interview(
            session=session, actor=actor, now=now,
            data={"title": "Tech talk", "duration_minutes": 30, "participant_ids": [manager.id],
                  "slots": [now + timedelta(days=2), now + timedelta(days=3)]},
        )  # fmt: skip
        people = [add_candidate(session, account, name) for name in ("Freja N", "Elin J")]
        tokens = scheduling.invite_candidates(
            session=session, actor=actor, interview_id=interview.id,
            candidate_ids=[c.id for c in people], now=now,
        )  # fmt: skip
        pairs = [(tokens[c.id], interview.slots[n].id) for n, c in enumerate(people)]
    yield url, pairs, engine
    engine.dispose()


def test_the_booking_page_works_while_redis_is_down(tmp_path, links):
    url, pairs, engine = links
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    port = free_port()
    env = {
        **os.environ,
        "PLANNER_DATABASE_URL": url,
        "PLANNER_REDIS_URL": redis_server.url,
        "REFLEX_TELEMETRY_ENABLED": "false",
        "GRANIAN_WORKERS": "1",
    }
    web = subprocess.Popen(  # noqa: S603 - our own executable
        [str(ROOT_DIR / ".venv/bin/reflex"), "run", "--env", "prod", "--backend-only",
         "--backend-port", str(port)],
        cwd=ROOT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        _until(lambda: _healthz(port), 180, "the web server")
        base = f"http://127.0.0.1:{port}"
        redis_server.stop()

        during = visit_booking_page(base, *pairs[0], timeout=30, tries=1)
        assert (during.outcome, during.errors) == ("booked", [])

        redis_server.start()
        after = visit_booking_page(base, *pairs[1], timeout=30, tries=1)
        assert (after.outcome, after.errors) == ("booked", [])
        with Session(engine) as session:
            assert len(session.query(Booking).all()) == 2
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)
        redis_server.stop()
