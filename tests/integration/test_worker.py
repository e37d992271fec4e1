"""The ARQ worker runs Planner's jobs against a real Redis, embedded or the machine's."""

from datetime import timedelta

import pytest
import redis
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from sqlmodel import Session, select

from planner import db
from planner.models import StaffSession
from planner.models.base import utcnow
from planner.services import auth
from tests.factories import account_with_admin

MACHINE_REDIS = "redis://127.0.0.1:6379/13"


@pytest.fixture
def sqlite_db(migrated_templates, tmp_path, monkeypatch):
    import shutil

    target = tmp_path / "planner.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    monkeypatch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{target}")
    db.get_engine.cache_clear()
    yield db.get_engine()
    db.get_engine().dispose()
    db.get_engine.cache_clear()


@pytest.fixture(params=["machine", "embedded"])
def redis_url(request, tmp_path):
    if request.param == "machine":
        client = redis.Redis.from_url(MACHINE_REDIS)
        client.flushdb()
        yield MACHINE_REDIS
        client.flushdb()
        return
    from planner.launcher import start_embedded_redis, stop_embedded_redis

    server, url = start_embedded_redis(tmp_path)
    yield url
    stop_embedded_redis(server)


async def test_purge_job_runs_through_the_queue(sqlite_db, redis_url):
    from planner.jobs.worker import purge_expired_sessions

    with Session(sqlite_db) as session:
        account_with_admin(session, "Alpha", email="admin@alpha.example", password="pw-123456789")
        auth.sign_in(
            session=session,
            email="admin@alpha.example",
            password="pw-123456789",
            now=utcnow() - timedelta(days=8),
        )
    settings = RedisSettings.from_dsn(redis_url)
    pool = await create_pool(settings)
    job = await pool.enqueue_job("purge_expired_sessions")
    worker = Worker(
        functions=[purge_expired_sessions], redis_settings=settings, burst=True, poll_delay=0.05
    )
    await worker.main()
    await worker.close()
    assert await job.result(timeout=5) == 1
    await pool.aclose()
    with Session(sqlite_db) as session:
        assert session.exec(select(StaffSession)).all() == []


async def test_expiry_job_marks_links_that_ran_out_and_moves_the_activity_marker(
    sqlite_db, redis_url
):
    """Run through the queue as the worker's ten-minute cron does: a link whose time ran
    out (and whose interview has no offered time still to come) reads "expired" in the
    row, and the account's open calendars are told (activity_marker moves)."""
    from planner.jobs.worker import WorkerSettings, expire_invitations
    from planner.models import CandidateInvitation
    from planner.services.interview_overview import activity_marker
    from tests.factories import (
        actor_for,
        add_candidate,
        add_interview,
        add_invitation,
        add_slot_with_seats,
    )

    assert any(job.name == "cron:expire_invitations" for job in WorkerSettings.cron_jobs)
    with Session(sqlite_db) as session:
        account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
        interview = add_interview(session, account, admin)
        add_slot_with_seats(session, interview, start=utcnow() - timedelta(days=2))
        ran_out = add_invitation(session, interview, add_candidate(session, account, "Ann"))
        ran_out.expires_at = utcnow() - timedelta(hours=1)
        still_valid = add_invitation(session, interview, add_candidate(session, account, "Bo"))
        still_valid.expires_at = utcnow() + timedelta(days=3)
        session.commit()
        before = activity_marker(session=session, actor=actor_for(admin, account))
        ids = (ran_out.id, still_valid.id)
    settings = RedisSettings.from_dsn(redis_url)
    pool = await create_pool(settings)
    job = await pool.enqueue_job("expire_invitations")
    worker = Worker(
        functions=[expire_invitations], redis_settings=settings, burst=True, poll_delay=0.05
    )
    await worker.main()
    await worker.close()
    assert await job.result(timeout=5) == 1
    await pool.aclose()
    with Session(sqlite_db) as session:
        statuses = [session.get(CandidateInvitation, i).status for i in ids]
        assert statuses == ["expired", "invited"]
        assert activity_marker(session=session, actor=actor_for(admin, account)) > before
