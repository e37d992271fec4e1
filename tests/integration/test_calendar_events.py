"""Booked interviews written to and removed from participants' Radicale calendars (outbox)."""

import secrets
from datetime import timedelta

import caldav
import pytest
from sqlalchemy import update
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from planner import db
from planner.domain.vocabulary import Role
from planner.integrations.calendar.base import Credentials
from planner.integrations.crypto import encrypt_credentials
from planner.jobs import calendar as calendar_job
from planner.models import (
    CalendarConnection,
    OutboxMessage,
    ProviderEventLink,
    StaffUser,
)
from planner.services import booking, notifications, scheduling
from planner.settings import get_settings
from tests.factories import NOW, account_with_admin, actor_for, add_candidate
from tests.fakes import serve
from tests.fakes.radicale import free_port, run_radicale

SLOT = NOW + timedelta(days=2)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-events")) as server:
        yield server


@pytest.fixture
def worker_db(migrated_url, monkeypatch):
    """The jobs open their own sessions: point the process-wide engine at the test database."""
    monkeypatch.setenv("PLANNER_DATABASE_URL", migrated_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield
    db.get_engine().dispose()
    db.get_engine.cache_clear()


def _calendar(radicale, name):
    client = caldav.DAVClient(url=radicale.url, username=name, password="x")
    return client.principal().make_calendar(name=name, cal_id=name)


def _connect(session, user, *, server_url, calendar_url):
    connection = CalendarConnection(
        account_id=user.account_id,
        staff_user_id=user.id,
        provider="caldav",
        server_url=server_url,
        calendar_id=calendar_url,
        encrypted_credentials=encrypt_credentials(
            Credentials(username=user.email.split("@")[0], password="x"), get_settings()
        ),
    )
    session.add(connection)
    session.commit()
    return connection


@pytest.fixture
def booked(session, radicale, worker_db):
    """An interview (Jitsi) organised by the admin with a manager; both calendars on
    Radicale; one candidate booked."""
    suffix = secrets.token_hex(4)
    account, admin = account_with_admin(session, "Beta", email=f"org{suffix}@beta.example")
    manager = StaffUser(
        account_id=account.id,
        name="Hanna Manager",
        email=f"man{suffix}@beta.example",
        role=Role.HIRING_MANAGER.value,
    )
    session.add(manager)
    session.commit()
    calendars = {}
    for user in (admin, manager):
        cal = _calendar(radicale, user.email.split("@")[0])
        calendars[user.id] = cal
        _connect(session, user, server_url=radicale.url, calendar_url=str(cal.url))
    actor = actor_for(admin, account)
    interview = scheduling.create_interview(
        session=session,
        actor=actor,
        data={
            "title": "Tech talk",
            "duration_minutes": 60,
            "participant_ids": [manager.id],
            "slots": [SLOT],
            "meeting_kind": "jitsi",
        },
        now=NOW,
    )
    candidate = add_candidate(session, account)
    tokens = scheduling.invite_candidates(
        session=session,
        actor=actor,
        interview_id=interview.id,
        candidate_ids=[candidate.id],
        now=NOW,
    )
    result = booking.book(
        session=session, token=tokens[candidate.id], slot_id=interview.slots[0].id, now=NOW
    )
    assert result.outcome == booking.Outcome.BOOKED
    # The booking's one outbox row, expanded as the worker does: its calendar rows.
    notifications.render_requested(session=session)
    return actor, interview, calendars, tokens[candidate.id], result.booking_id


def _events(cal):
    return [e.icalendar_component for e in cal.events()]


def _rows(session, action=None):
    session.rollback()  # a fresh snapshot: the worker wrote in its own transactions
    session.expire_all()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "calendar")).all()
    return [r for r in rows if action is None or r.payload["action"] == action]


def _links(session):
    session.rollback()  # a fresh snapshot: the worker wrote in its own transactions
    session.expire_all()
    return session.exec(select(ProviderEventLink).order_by(ProviderEventLink.id)).all()


async def test_booking_writes_one_event_per_synced_participant_with_one_jitsi_room(session, booked):
    _actor, _interview, calendars, _token, _booking_id = booked
    links = _links(session)
    assert [link.status for link in links] == ["pending", "pending"]
    assert len(_rows(session, "create")) == 2
    jitsi = {link.meeting_url for link in links}
    assert len(jitsi) == 1 and next(iter(jitsi)).startswith("https://meet.jit.si/Planner-")
    assert all(len(link.event_key) == 26 for link in links)

    assert await calendar_job.run_due() == {"done": 2, "retry": 0, "given_up": 0}

    links = _links(session)
    assert [link.status for link in links] == ["created", "created"]
    for link in links:
        [event] = _events(calendars[link.staff_user_id])
        assert str(event["UID"]) == link.event_key
        assert event.start == SLOT and event.end == SLOT + timedelta(hours=1)
        assert link.meeting_url in event.get("DESCRIPTION", "") + event.get("LOCATION", "")
    assert all(row.done_at and row.last_error is None for row in _rows(session))


async def test_a_create_run_twice_makes_one_event(session, booked):
    """A worker that died after the provider wrote the event but before the done mark: the
    lease expires, another worker runs the same row again, and finds the same event."""
    _actor, _interview, calendars, _token, _booking_id = booked
    await calendar_job.run_due()
    session.exec(update(OutboxMessage).values(done_at=None, next_attempt_at=NOW))
    session.exec(update(ProviderEventLink).values(status="pending", external_event_id=None))
    session.commit()

    assert (await calendar_job.run_due())["done"] == 2

    for link in _links(session):
        assert len(_events(calendars[link.staff_user_id])) == 1
        assert link.status == "created" and link.external_event_id


async def test_cancellation_and_slot_removal_delete_the_events(session, booked):
    actor, interview, calendars, token, booking_id = booked
    await calendar_job.run_due()
    result = booking.cancel(session=session, token=token, comment="Found a job", now=NOW)
    assert result.outcome == booking.Outcome.CANCELLED
    assert len(_rows(session, "delete")) == 2

    assert (await calendar_job.run_due())["done"] == 2

    assert [link.status for link in _links(session)] == ["deleted", "deleted"]
    assert all(_events(cal) == [] for cal in calendars.values())
    # Removing the slot afterwards records nothing more: the links are gone already.
    scheduling.remove_slot(session=session, actor=actor, slot_id=interview.slots[0].id, now=NOW)
    assert len(_rows(session, "delete")) == 2 and booking_id


async def test_cancelled_before_the_worker_ran_writes_nothing(session, booked):
    actor, interview, calendars, _token, _booking_id = booked
    scheduling.cancel_interview(session=session, actor=actor, interview_id=interview.id, now=NOW)

    totals = await calendar_job.run_due()

    assert totals["given_up"] == 0 and totals["done"] >= 2
    assert [link.status for link in _links(session)] == ["deleted", "deleted"]
    assert all(_events(cal) == [] for cal in calendars.values())
    # The delete rows claimed alongside waited for their creates; their next run ends them.
    session.exec(update(OutboxMessage).values(next_attempt_at=NOW))
    session.commit()
    await calendar_job.run_due()
    assert all(row.done_at and row.last_error is None for row in _rows(session))


async def test_unreachable_server_retries_with_backoff_then_writes(session, booked, radicale):
    _actor, _interview, calendars, _token, _booking_id = booked
    dead = f"http://127.0.0.1:{free_port()}/"
    originals = {}
    for connection in session.exec(select(CalendarConnection)).all():
        originals[connection.id] = (connection.server_url, connection.calendar_id)
        connection.server_url = dead
        connection.calendar_id = connection.calendar_id.replace(radicale.url, dead)
        session.add(connection)
    session.commit()

    assert await calendar_job.run_due() == {"done": 0, "retry": 2, "given_up": 0}
    rows = _rows(session)
    assert all("no answer" in row.last_error and row.done_at is None for row in rows)
    assert all(row.next_attempt_at > NOW for row in rows)
    assert [link.status for link in _links(session)] == ["pending", "pending"]

    for connection in session.exec(select(CalendarConnection)).all():
        connection.server_url, connection.calendar_id = originals[connection.id]
        session.add(connection)
    session.exec(update(OutboxMessage).values(next_attempt_at=NOW))
    session.commit()
    assert (await calendar_job.run_due())["done"] == 2
    assert all(len(_events(cal)) == 1 for cal in calendars.values())


async def test_revoked_login_marks_the_connection_and_gives_up_the_row(session, booked):
    async def refuse(_request):
        return Response("no", status_code=401, headers={"WWW-Authenticate": 'Basic realm="x"'})

    app = Starlette(routes=[Route("/{path:path}", refuse, methods=["PUT", "GET", "PROPFIND"])])
    with serve(app) as url:
        for connection in session.exec(select(CalendarConnection)).all():
            connection.server_url = url + "/"
            connection.calendar_id = url + "/cal/"
            session.add(connection)
        session.commit()
        totals = await calendar_job.run_due()

    assert totals == {"done": 0, "retry": 0, "given_up": 2}
    session.rollback()  # a fresh snapshot: the worker wrote in its own transactions
    session.expire_all()
    connections = session.exec(select(CalendarConnection)).all()
    assert {c.status for c in connections} == {"reconnect_needed"}
    assert [link.status for link in _links(session)] == ["failed", "failed"]
    assert all(row.last_error.startswith("gave up:") for row in _rows(session))
