"""The embedded default (SQLite) never answers a user with a 500 because another process
writes: sign-ins in a row and at once while a worker process runs its cron jobs in a loop
and a burst of candidates book (issue 15, finding 5)."""

import asyncio
import multiprocessing
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from planner import routes
from planner.api.app import build_api
from planner.db import get_engine
from planner.domain.vocabulary import Role
from planner.models import Booking, SignInAttempt, StaffUser
from planner.models.base import utcnow
from planner.services import booking, candidates, scheduling
from planner.settings import get_settings
from tests.factories import account_with_admin, actor_for, add_candidate

PASSWORD = "correct horse battery"
ORIGIN = "http://planner.test"


def _worker_loop(url: str, stop: multiprocessing.Event, errors: multiprocessing.Queue) -> None:
    """The worker's cron jobs, one after the other as fast as they go, in a process of
    their own (SMTP is unreachable: every mail is a retry written back)."""
    os.environ["PLANNER_DATABASE_URL"] = url
    os.environ["PLANNER_SMTP_PORT"] = "9"
    from planner.jobs.calendar import sweep_outbox, write_calendar_events
    from planner.jobs.mail import deliver_outbox_mail
    from planner.jobs.sync import poll_calendars
    from planner.jobs.webhooks import deliver_webhooks
    from planner.jobs.worker import purge_expired_sessions

    async def loop() -> None:
        while not stop.is_set():
            for job in (
                deliver_outbox_mail,
                deliver_webhooks,
                write_calendar_events,
                sweep_outbox,
                purge_expired_sessions,
                poll_calendars,
            ):
                try:
                    await job({})
                except Exception as exc:  # noqa: BLE001 - reported to the test
                    errors.put(f"{job.__name__}: {type(exc).__name__}: {exc}")

    asyncio.run(loop())


@pytest.fixture
def sqlite_app(tmp_path, migrated_templates, monkeypatch):
    target = tmp_path / "planner.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine().dispose()
    get_engine.cache_clear()


def _seed(count: int):  # type: ignore[no-untyped-def]
    """An account with an admin, an interview of `count` slots and one invitation per
    candidate; returns the admin (Actor) and (token, slot id) pairs, one distinct slot each."""
    now = utcnow()
    with Session(get_engine(), expire_on_commit=False) as session:
        account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
        manager = StaffUser(
            account_id=account.id,
            name="Hanna Manager",
            email="hanna@alpha.example",
            role=Role.HIRING_MANAGER.value,
        )
        session.add(manager)
        session.commit()
        actor = actor_for(admin, account)
        people = [add_candidate(session, account, f"Cand{n} X") for n in range(count)]
        interview = scheduling.create_interview(
            session=session,
            actor=actor,
            data={
                "title": "Tech talk",
                "duration_minutes": 30,
                "participant_ids": [manager.id],
                "slots": [now + timedelta(days=2, hours=n) for n in range(count)],
            },
            now=now,
        )
        tokens = scheduling.invite_candidates(
            session=session,
            actor=actor,
            interview_id=interview.id,
            candidate_ids=[c.id for c in people],
            now=now,
        )
        return actor, [(tokens[c.id], interview.slots[n].id) for n, c in enumerate(people)]


def _create_candidates(actor, count: int) -> int:  # type: ignore[no-untyped-def]
    """A recruiter adds candidates one after the other (finding 5 saw one fail)."""
    for n in range(count):
        with Session(get_engine(), expire_on_commit=False) as session:
            candidates.create_candidate(
                session=session, actor=actor,
                data={"name": f"Recruited {n}", "email": f"recruited{n}@mail.example"},
            )  # fmt: skip
    return count


def _book_all(pairs: list[tuple[str, int]]) -> list[str]:
    def one(pair: tuple[str, int]) -> str:
        with Session(get_engine(), expire_on_commit=False) as session:
            return booking.book(session=session, token=pair[0], slot_id=pair[1], now=utcnow())

    with ThreadPoolExecutor(8) as pool:
        return [r.outcome.value for r in pool.map(one, pairs)]


def _client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_api(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=ORIGIN, follow_redirects=False)


async def _sign_in(client: httpx.AsyncClient, password: str) -> httpx.Response:
    return await client.post(
        routes.AUTH_SIGN_IN,
        data={"email": "admin@alpha.example", "password": password, "next": "/candidates"},
        headers={"origin": ORIGIN},
    )


def test_sign_ins_never_fail_while_the_worker_and_bookings_write(sqlite_app):
    actor, pairs = _seed(30)
    context = multiprocessing.get_context("spawn")
    stop, errors = context.Event(), context.Queue()
    worker = context.Process(target=_worker_loop, args=(sqlite_app, stop, errors))
    worker.start()
    booked: list[str] = []
    created: list[int] = []
    burst = threading.Thread(target=lambda: booked.extend(_book_all(pairs)))
    recruiter = threading.Thread(target=lambda: created.append(_create_candidates(actor, 20)))

    async def scenario() -> list[httpx.Response]:
        async with _client() as client:
            answers = []
            for _ in range(50):  # in a row
                answers.append(await _sign_in(client, PASSWORD))
            for _ in range(5):  # and 10 at once
                answers += await asyncio.gather(*(_sign_in(client, PASSWORD) for _ in range(10)))
            return answers

    try:
        burst.start()
        recruiter.start()
        answers = asyncio.run(scenario())
        burst.join()
        recruiter.join()
    finally:
        stop.set()
        worker.join(timeout=60)
        if worker.is_alive():
            worker.kill()
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    assert {a.headers["location"] for a in answers} == {"/candidates"}
    assert booked.count("booked") == len(pairs)
    assert created == [20]
    with Session(get_engine()) as session:
        assert session.exec(select(func.count()).select_from(Booking)).one() == len(pairs)
    worker_errors = []
    while not errors.empty():
        worker_errors.append(errors.get())
    assert worker_errors == []


def test_simultaneous_wrong_passwords_are_all_answered_and_counted(sqlite_app):
    _seed(1)

    async def scenario() -> list[httpx.Response]:
        async with _client() as client:
            return await asyncio.gather(*(_sign_in(client, "wrong") for _ in range(60)))

    answers = asyncio.run(scenario())
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    refused = [a for a in answers if "error=invalid" in a.headers.get("location", "")]
    throttled = [a for a in answers if "error=throttled" in a.headers.get("location", "")]
    assert len(refused) + len(throttled) == 60
    with Session(get_engine()) as session:
        failures = session.exec(
            select(func.count()).select_from(SignInAttempt).where(SignInAttempt.succeeded == False)  # noqa: E712 - SQL expression
        ).one()
    # Every refused password is a recorded failure the throttle counts.
    assert failures == len(refused)
    assert failures >= get_settings().signin_max_failures
