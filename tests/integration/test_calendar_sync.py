"""Polling calendar connections into the busy-time cache: Radicale, failures, statuses, webhooks."""

import json
from datetime import UTC, datetime, timedelta

import caldav
import httpx
import pytest
from sqlmodel import Session, select

from planner.integrations.calendar.base import Credentials
from planner.integrations.crypto import encrypt_credentials
from planner.models import (
    Account,
    BusyInterval,
    CalendarConnection,
    OutboxMessage,
    StaffUser,
    SyncRun,
)
from planner.services import calendar_sync, webhooks
from planner.settings import Settings
from tests.factories import account_with_admin, actor_for
from tests.fakes.radicale import free_port, run_radicale

USERS = {"ann": "app-password-1"}
SETTINGS = Settings(env="test", secret_key="test-secret-key-" + "x" * 32)


def _ics(uid: str, start: datetime, hours: int = 1, extra: str = "") -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\n"
        f"UID:{uid}\nDTSTAMP:20260101T000000Z\nDTSTART:{start.strftime(fmt)}\n"
        f"DTEND:{(start + timedelta(hours=hours)).strftime(fmt)}\n{extra}"
        "SUMMARY:Private\nEND:VEVENT\nEND:VCALENDAR\n"
    )


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-sync"), users=USERS) as server:
        yield server


@pytest.fixture
def calendar(radicale, request):
    client = caldav.DAVClient(
        url=radicale.url, username="ann", password=USERS["ann"], auth_type="basic"
    )
    name = "sync-" + request.node.name.replace("[", "-").replace("]", "")[-30:].lower()
    return client.principal().make_calendar(name=name, cal_id=name)


def _connection(session: Session, *, server_url: str, calendar_url: str, password: str):
    account, admin = account_with_admin(session, "Sync Co", email="ann@sync.example")
    connection = CalendarConnection(
        account_id=account.id,
        staff_user_id=admin.id,
        provider="caldav",
        server_url=server_url,
        calendar_id=calendar_url,
        encrypted_credentials=encrypt_credentials(
            Credentials(username="ann", password=password), SETTINGS
        ),
    )
    session.add(connection)
    session.commit()
    return connection


async def _round(session: Session, now: datetime) -> calendar_sync.RoundReport:
    targets = calendar_sync.due_targets(
        session=session, settings=SETTINGS, now=now, random=lambda: 0.0
    )

    async def save_tokens(_id: int, _credentials: Credentials) -> None:
        raise AssertionError("CalDAV has no tokens to refresh")

    async with httpx.AsyncClient() as http:
        outcomes = [
            await calendar_sync.poll_target(
                t, http=http, settings=SETTINGS, now=now, save_tokens=save_tokens, clock=lambda: now
            )
            for t in targets
        ]
    return calendar_sync.record_outcomes(session=session, outcomes=outcomes, now=now)


def _busy(session: Session, connection_id: int) -> list[tuple[datetime, datetime, bool]]:
    session.expire_all()
    rows = session.exec(
        select(BusyInterval)
        .where(BusyInterval.connection_id == connection_id)
        .order_by(BusyInterval.start_at)
    ).all()
    return [(r.start_at, r.end_at, r.tentative) for r in rows]


async def test_poll_caches_busy_times_then_applies_changes_incrementally(
    session, radicale, calendar
):
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now + timedelta(days=2)).replace(hour=9, minute=0, second=0)
    calendar.save_event(_ics("meeting-1", day))
    calendar.save_event(_ics("maybe-1", day + timedelta(days=1), extra="STATUS:TENTATIVE\n"))
    calendar.save_event(_ics("far-away", now + timedelta(days=90)))  # outside the window
    connection = _connection(
        session, server_url=radicale.url, calendar_url=str(calendar.url), password=USERS["ann"]
    )

    report = await _round(session, now)

    assert report == calendar_sync.RoundReport(ok=1)
    busy = _busy(session, connection.id)
    assert [(s, e) for s, e, _ in busy] == [
        (day, day + timedelta(hours=1)),
        (day + timedelta(days=1), day + timedelta(days=1, hours=1)),
    ]
    assert [t for _, _, t in busy] == [False, True]
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert stored.status == "synced" and stored.last_synced_at == now
    assert stored.sync_cursor and "cursor" in stored.sync_cursor
    assert not (await _round(session, now + timedelta(minutes=1))).ok  # not due yet

    # The user moves one event and deletes the other; the next poll is incremental.
    calendar.event_by_uid("meeting-1").delete()
    calendar.save_event(_ics("meeting-1", day + timedelta(hours=3)))
    calendar.event_by_uid("maybe-1").delete()
    later = now + timedelta(minutes=6)
    assert (await _round(session, later)).ok == 1
    assert _busy(session, connection.id) == [
        (day + timedelta(hours=3), day + timedelta(hours=4), False)
    ]
    runs = session.exec(select(SyncRun).where(SyncRun.connection_id == connection.id)).all()
    assert [(r.status, r.incremental) for r in runs] == [("ok", False), ("ok", True)]


async def test_unreachable_server_is_an_error_retried_with_backoff_then_synced(
    session, radicale, calendar
):
    now = datetime.now(UTC).replace(microsecond=0)
    calendar.save_event(_ics("busy-1", now + timedelta(days=1)))
    dead = f"http://127.0.0.1:{free_port()}/"
    connection = _connection(
        session,
        server_url=dead,
        calendar_url=str(calendar.url).replace(radicale.url, dead),
        password=USERS["ann"],
    )

    report = await _round(session, now)
    assert report.failed == 1
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert stored.status == "error"
    assert "no answer" in stored.last_error and stored.last_error_at == now
    assert _busy(session, connection.id) == []
    # Backoff without jitter here: 15 s after the first failure, 30 s after the second.
    assert await _round(session, now + timedelta(seconds=14)) == calendar_sync.RoundReport()
    assert (await _round(session, now + timedelta(seconds=15))).failed == 1
    assert await _round(session, now + timedelta(seconds=44)) == calendar_sync.RoundReport()
    assert (await _round(session, now + timedelta(seconds=45))).failed == 1

    # The server is back (e.g. the user's network): the next retry succeeds.
    connection = session.get(CalendarConnection, connection.id)
    connection.server_url = radicale.url
    connection.calendar_id = str(calendar.url)
    session.add(connection)
    session.commit()
    assert (await _round(session, now + timedelta(minutes=2))).ok == 1
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert stored.status == "synced" and len(_busy(session, connection.id)) == 1


async def test_every_failure_after_a_recovery_signals_again_even_with_the_same_message(
    session, radicale, calendar
):
    now = datetime.now(UTC).replace(microsecond=0)
    dead = f"http://127.0.0.1:{free_port()}/"
    connection = _connection(
        session,
        server_url=dead,
        calendar_url=str(calendar.url).replace(radicale.url, dead),
        password=USERS["ann"],
    )
    user = session.get(StaffUser, connection.staff_user_id)
    account = session.get(Account, connection.account_id)
    webhooks.add_endpoint(
        session=session, actor=actor_for(user, account), url="https://ats.example/hooks",
        events=["connection.error"], now=now,
    )  # fmt: skip
    session.commit()

    def point_at(url):
        stored = session.get(CalendarConnection, connection.id, populate_existing=True)
        stored.server_url = url
        stored.calendar_id = str(calendar.url).replace(radicale.url, url)
        session.commit()

    def errors_signalled():
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).all()
        return [json.loads(r.payload["body"])["data"]["error"] for r in rows]

    assert (await _round(session, now)).failed == 1
    assert (await _round(session, now + timedelta(seconds=15))).failed == 1  # still failing
    assert len(errors_signalled()) == 1
    point_at(radicale.url)
    assert (await _round(session, now + timedelta(minutes=2))).ok == 1
    point_at(dead)
    assert (await _round(session, now + timedelta(minutes=10))).failed == 1
    first, second = errors_signalled()
    assert first == second  # the same message, signalled once per failure


async def test_wrong_password_needs_reconnect_stops_polling_and_emits_webhook(
    session, radicale, calendar
):
    now = datetime.now(UTC).replace(microsecond=0)
    connection = _connection(
        session, server_url=radicale.url, calendar_url=str(calendar.url), password="revoked"
    )
    user = session.get(StaffUser, connection.staff_user_id)
    account = session.get(Account, connection.account_id)
    webhooks.add_endpoint(
        session=session,
        actor=actor_for(user, account),
        url="https://ats.example/hooks",
        events=["connection.error"],
        now=now,
    )
    session.commit()

    report = await _round(session, now)

    assert report.reconnect_needed == 1
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert stored.status == "reconnect_needed"
    assert "password" in stored.last_error
    hooks = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).all()
    assert len(hooks) == 1 and '"connection.error"' in hooks[0].payload["body"]
    assert USERS["ann"] not in hooks[0].payload["body"] and "revoked" not in stored.last_error
    # Never polled again until the user reconnects.
    assert await _round(session, now + timedelta(hours=2)) == calendar_sync.RoundReport()
    assert user.id == stored.staff_user_id


async def test_unreadable_credentials_need_reconnect(session, radicale, calendar):
    now = datetime.now(UTC).replace(microsecond=0)
    connection = _connection(
        session, server_url=radicale.url, calendar_url=str(calendar.url), password="x"
    )
    connection.encrypted_credentials = "not-a-fernet-token"
    session.add(connection)
    session.commit()
    assert (await _round(session, now)).reconnect_needed == 1
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert stored.status == "reconnect_needed" and "reconnect" in stored.last_error
