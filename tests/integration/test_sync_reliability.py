"""A worker SIGKILLed amid 100 calendar writes, Redis restarted: each event once on Radicale."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import caldav
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.integrations.calendar.base import Credentials
from planner.integrations.crypto import encrypt_credentials
from planner.models import (
    CalendarConnection,
    Candidate,
    OutboxMessage,
    ProviderEventLink,
    StaffUser,
)
from planner.services import booking, notifications, scheduling
from planner.settings import ROOT_DIR, get_settings
from tests.factories import account_with_admin, actor_for
from tests.fakes.radicale import free_port, run_radicale

BOOKINGS = 100
LEASE_SECONDS = 3


@pytest.fixture
def database_url(postgres_databases, migrated_templates) -> str:
    """A migrated PostgreSQL database (the worker and the test write at the same time)."""
    return postgres_databases.create(template=migrated_templates["postgresql"])


class RedisServer:
    """A private redis-server on a fixed free port that can be stopped and started again."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while (
            subprocess.run(  # noqa: S603
                [shutil.which("redis-cli") or "redis-cli", "-p", str(self.port), "ping"],
                capture_output=True,
                check=False,
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def start_worker(database_url: str, redis_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PLANNER_ENV": "test",
        "PLANNER_SECRET_KEY": os.environ["PLANNER_SECRET_KEY"],
        "PLANNER_DATABASE_URL": database_url,
        "PLANNER_REDIS_URL": redis_url,
        "PLANNER_CALENDAR_LEASE_SECONDS": str(LEASE_SECONDS),
        "PLANNER_SMTP_PORT": str(free_port()),  # mails are not what this test is about
    }
    return subprocess.Popen(  # noqa: S603 - our own worker
        [sys.executable, "-m", "planner.jobs"],
        cwd=ROOT_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def book_interviews(session: Session, actor, participant, first: int, count: int) -> None:
    """`count` candidates each book their own slot of one interview with a synced participant
    (the organiser has no calendar): `count` calendar rows in the outbox."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    candidates = [
        Candidate(account_id=actor.account_id, name=f"Candidate {n}", email=f"c{n}@mail.example")
        for n in range(first, first + count)
    ]
    session.add_all(candidates)
    session.commit()
    now = datetime.now(UTC)
    interview = scheduling.create_interview(
        session=session,
        actor=actor,
        data={
            "title": f"Reliability {first}",
            "duration_minutes": 30,
            "participant_ids": [participant.id],
            "slots": [start + timedelta(minutes=30 * (first + n)) for n in range(count)],
        },
        now=now,
    )
    tokens = scheduling.invite_candidates(
        session=session,
        actor=actor,
        interview_id=interview.id,
        candidate_ids=[c.id for c in candidates],
        now=now,
    )
    for candidate, slot in zip(candidates, interview.slots, strict=True):
        result = booking.book(session=session, token=tokens[candidate.id], slot_id=slot.id, now=now)
        assert result.outcome == booking.Outcome.BOOKED
    # A booking records one outbox row; expand them here (as the worker would) so that
    # the mails they become can be set aside.
    while notifications.render_requested(session=session):
        pass
    # Mails are not what this test is about: 400 of them retrying against no SMTP server
    # would take the worker's threads away from the calendar rows for tens of seconds.
    session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.kind == "mail", col(OutboxMessage.done_at).is_(None))
        .values(done_at=now)
    )
    session.commit()


def created_links(session: Session) -> int:
    session.rollback()
    return session.exec(select(func.count()).where(ProviderEventLink.status == "created")).one()


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def events_on(calendar) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(event.icalendar_component["UID"]) for event in calendar.events()]


def test_killed_worker_and_restarted_redis_lose_and_duplicate_nothing(
    tmp_path, database_url, redis_server
):
    get_settings.cache_clear()
    engine = make_engine(database_url)
    log = tmp_path / "worker.log"
    with (
        run_radicale(tmp_path / "radicale") as radicale,
        Session(engine, expire_on_commit=False) as session,
    ):
        account, organiser = account_with_admin(session, "Rely", email="org@rely.example")
        participant = StaffUser(
            account_id=account.id,
            name="Pia Panel",
            email="pia@rely.example",
            role=Role.HIRING_MANAGER.value,
        )
        session.add(participant)
        session.commit()
        client = caldav.DAVClient(url=radicale.url, username="pia", password="x")
        calendar = client.principal().make_calendar(name="pia", cal_id="pia")
        session.add(
            CalendarConnection(
                account_id=account.id,
                staff_user_id=participant.id,
                provider="caldav",
                server_url=radicale.url,
                calendar_id=str(calendar.url),
                encrypted_credentials=encrypt_credentials(
                    Credentials(username="pia", password="x"), get_settings()
                ),
            )
        )
        session.commit()
        actor = actor_for(organiser, account)
        book_interviews(session, actor, participant, 0, BOOKINGS)
        rows = session.exec(select(func.count()).where(OutboxMessage.kind == "calendar")).one()
        assert rows == BOOKINGS

        # 1. SIGKILL the worker part-way through the 100 writes, then start a new one.
        worker = start_worker(database_url, redis_server.url, log)
        try:
            wait_for(lambda: created_links(session) >= 3, 40, "the first events")
            stop_worker(worker)
            at_kill = created_links(session)
            assert 3 <= at_kill < BOOKINGS, "the worker was not killed mid-run"
            worker = start_worker(database_url, redis_server.url, log)
            wait_for(lambda: created_links(session) == BOOKINGS, 40, "all 100 events")
            uids = events_on(calendar)
            assert len(uids) == BOOKINGS and len(set(uids)) == BOOKINGS
            keys = set(session.exec(select(ProviderEventLink.event_key)).all())
            assert set(uids) == keys

            # 2. Redis goes away mid-run (with the queue in it) and comes back empty.
            book_interviews(session, actor, participant, BOOKINGS, BOOKINGS)
            wait_for(lambda: created_links(session) >= BOOKINGS + 5, 40, "new events")
            redis_server.stop()
            time.sleep(1)
            redis_server.start()
            wait_for(lambda: created_links(session) == 2 * BOOKINGS, 40, "all 200 events")
            assert worker.poll() is None, "the worker died with Redis"
        finally:
            stop_worker(worker)
        uids = events_on(calendar)
        assert len(uids) == 2 * BOOKINGS and len(set(uids)) == 2 * BOOKINGS
        session.rollback()
        open_rows = session.exec(
            select(func.count()).where(
                OutboxMessage.kind == "calendar", col(OutboxMessage.done_at).is_(None)
            )
        ).one()
        assert open_rows == 0
    engine.dispose()
