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
