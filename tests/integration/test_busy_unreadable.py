"""Issues #9 and #15 (item 4) end to end: polls read calendars as their owners mean them, hostile
data costs bounded time off the event loop, and what cannot be read stays unknown until read."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import caldav
import httpx
import pytest
from sqlmodel import Session, select

from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.calendar.caldav import reader as reader_module
from planner.integrations.calendar.caldav.reader import DEFERRED, CalendarReader
from planner.integrations.crypto import encrypt_credentials
from planner.models import BusyInterval, CalendarConnection, SyncRun, UnknownInterval
from planner.services import availability, calendar_sync
from planner.settings import Settings
from tests.factories import account_with_admin, actor_for
from tests.fakes.google import run_fake_google
from tests.fakes.microsoft import run_fake_microsoft
from tests.fakes.radicale import run_radicale

USERS = {"ann": "app-password-1"}
SETTINGS = Settings(env="test", secret_key="test-secret-key-" + "x" * 32)
HOSTILE_RULE = "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
FMT = "%Y%m%dT%H%M%SZ"


def _ics(uid: str, start: datetime, *extra: str, hours: int = 1) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start.strftime(FMT)}",
        f"DTEND:{(start + timedelta(hours=hours)).strftime(FMT)}",
        *extra,
        "SUMMARY:Private",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


async def _round(
    session: Session, now: datetime, settings: Settings = SETTINGS
) -> calendar_sync.RoundReport:
    targets = calendar_sync.due_targets(
        session=session, settings=settings, now=now, random=lambda: 0.0
    )

    async def save_tokens(_id: int, _credentials: Credentials) -> None:
        return None

    async with httpx.AsyncClient() as http:
        outcomes = [
            await calendar_sync.poll_target(
                t, http=http, settings=settings, now=now, save_tokens=save_tokens, clock=lambda: now
            )
            for t in targets
        ]
    return calendar_sync.record_outcomes(session=session, outcomes=outcomes, now=now)


def _rows(session: Session, table, connection_id: int) -> list:
    session.expire_all()
    return session.exec(
        select(table).where(table.connection_id == connection_id).order_by(table.start_at)
    ).all()


def _connection(session: Session, *, provider: str, time_zone: str, **fields) -> tuple:
    account, user = account_with_admin(session, f"Busy {provider}", email="ann@busy.example")
    user.time_zone = time_zone
    session.add(user)
    connection = CalendarConnection(
        account_id=account.id, staff_user_id=user.id, provider=provider, **fields
    )
    session.add(connection)
    session.commit()
    return account, user, connection


# ----------------------------------------------------------------- Microsoft Graph all-day


@pytest.fixture
def graph():
    with run_fake_microsoft() as fake:
        fake.state.add_calendar("cal-default", "Calendar", default=True)
        yield fake


async def test_graph_all_day_day_off_is_the_owners_local_day_and_gets_no_suggestion(session, graph):
    settings = Settings(
        env="test",
        secret_key="test-secret-key-" + "x" * 32,
        microsoft_graph_base=f"{graph.url}/v1.0",
        microsoft_login_base=graph.url,
        microsoft_client_id=graph.issuer.client_id,
        microsoft_client_secret=graph.issuer.client_secret,
    )
    now = datetime(2030, 1, 4, 18, 0, tzinfo=UTC)  # Friday
    issued = graph.issuer.issue()
    tokens = OAuthTokens(issued["access_token"], issued["refresh_token"], now + timedelta(days=9))
    account, user, connection = _connection(
        session,
        provider="microsoft",
        time_zone="America/Los_Angeles",
        calendar_id="cal-default",
        encrypted_credentials=encrypt_credentials(Credentials(tokens=tokens), settings),
    )
    # Graph's shape for an all-day event whatever Prefer: outlook.timezone says.
    graph.state.put_event(
        "cal-default",
        {
            "id": "day-off",
            "isAllDay": True,
            "showAs": "oof",
            "start": {"dateTime": "2030-01-07T00:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2030-01-08T00:00:00.0000000", "timeZone": "UTC"},
        },
    )

    assert (await _round(session, now, settings)).ok == 1

    busy = [
        (r.start_at, r.end_at, r.tentative) for r in _rows(session, BusyInterval, connection.id)
    ]
    assert busy == [
        (datetime(2030, 1, 7, 8, tzinfo=UTC), datetime(2030, 1, 8, 8, tzinfo=UTC), False)
    ]
    suggestions = availability.suggest_times(
        session=session,
        actor=actor_for(user, account),
        participant_ids=[user.id],
        duration_minutes=60,
        now=now,
        horizon_days=6,
        limit=200,
    )
    local_days = {s.start.astimezone(ZoneInfo("America/Los_Angeles")).date() for s in suggestions}
    assert datetime(2030, 1, 7).date() not in local_days
    assert datetime(2030, 1, 8).date() in local_days

    # Past the end of the last full listing the cache is incomplete: unknown, never free.
    listed_until = now + timedelta(days=SETTINGS.sync_window_days)
    far = availability.suggest_times(
        session=session,
        actor=actor_for(user, account),
        participant_ids=[user.id],
        duration_minutes=60,
        now=now,
        horizon_days=35,
        granularity_minutes=60,
        limit=1000,
    )
    assert any(s.end > listed_until for s in far)
    for suggestion in far:
        assert (user.name in suggestion.unknown) == (suggestion.end > listed_until), suggestion


# ----------------------------------------------------------------- CalDAV: hostile data


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-unreadable"), users=USERS) as server:
        yield server


@pytest.fixture
def calendar(radicale, request):
    client = caldav.DAVClient(
        url=radicale.url, username="ann", password=USERS["ann"], auth_type="basic"
    )
    name = "unread-" + request.node.name.replace("[", "-").replace("]", "")[-30:].lower()
    return client.principal().make_calendar(name=name, cal_id=name)


@pytest.fixture
def reader(monkeypatch):
    """A reader with short budgets, used by every CalDAV provider the poll builds."""
    made: list[CalendarReader] = []

    def use(**budgets) -> CalendarReader:
        created = CalendarReader(**budgets)
        made.append(created)
        monkeypatch.setattr(reader_module, "_shared", created)
        return created

    yield use
    for created in made:
        created.close()


def _caldav_connection(session, radicale, calendar):
    return _connection(
        session,
        provider="caldav",
        time_zone="Europe/Copenhagen",
        server_url=radicale.url,
        calendar_id=str(calendar.url),
        encrypted_credentials=encrypt_credentials(
            Credentials(username="ann", password=USERS["ann"]), SETTINGS
        ),
    )


async def _poll_measuring_loop_lag(session: Session, now: datetime) -> tuple[object, float]:
    """One poll round while a ticker measures how late the event loop runs it (seconds)."""
    lag = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal lag
        while not stop.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.02)
            lag = max(lag, time.monotonic() - before - 0.02)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        # The database work runs in a thread, as the worker's job does.
        report = await _round_in_threads(session, now)
    finally:
        stop.set()
        await task
    return report, lag


async def _round_in_threads(session: Session, now: datetime) -> calendar_sync.RoundReport:
    targets = await asyncio.to_thread(
        calendar_sync.due_targets, session=session, settings=SETTINGS, now=now, random=lambda: 0
    )

    async def save_tokens(_id: int, _credentials: Credentials) -> None:
        return None

    async with httpx.AsyncClient() as http:
        outcomes = [
            await calendar_sync.poll_target(
                t, http=http, settings=SETTINGS, now=now, save_tokens=save_tokens, clock=lambda: now
            )
            for t in targets
        ]
    return await asyncio.to_thread(
        calendar_sync.record_outcomes, session=session, outcomes=outcomes, now=now
    )


async def test_hostile_rule_is_unknown_not_free_until_an_incremental_poll_reads_it(
    session, radicale, calendar, reader
):
    used = reader(per_object_seconds=1.0)
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now + timedelta(days=2)).replace(hour=9, minute=0, second=0)
    calendar.save_event(_ics("meeting", day))
    # Radicale itself needs some 20 s of CPU to store this one (it expands the rule too).
    calendar.save_event(_ics("weekly", day + timedelta(days=3), HOSTILE_RULE))
    account, user, connection = _caldav_connection(session, radicale, calendar)

    report, lag = await _poll_measuring_loop_lag(session, now)

    assert report.ok == 1
    # The hostile object gets at most a second of CPU, in a child process: the loop runs on.
    assert lag < 1.0, f"the event loop stalled for {lag:.1f} s"
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert stored.status == "synced"
    assert stored.unreadable_count == 1
    assert stored.unknown_from == day + timedelta(days=3)
    assert "more than 1 s of CPU time" in stored.unreadable_reason
    assert [(r.start_at, r.end_at) for r in _rows(session, BusyInterval, connection.id)] == [
        (day, day + timedelta(hours=1))
    ]
    assert [(r.start_at, r.end_at) for r in _rows(session, UnknownInterval, connection.id)] == [
        (day + timedelta(days=3), now + timedelta(days=28))
    ]

    # A full listing of the same data costs nothing more: it is known to be too slow.
    connection = session.get(CalendarConnection, connection.id)
    connection.sync_cursor = None
    session.add(connection)
    session.commit()
    requests = used._requests
    assert (await _round(session, now + timedelta(minutes=6))).ok == 1
    assert used._requests == requests + 1  # only the ordinary meeting was read again
    assert len(_rows(session, UnknownInterval, connection.id)) == 1

    # Suggestions name the participant as unknown from the unreadable event on.
    suggestions = availability.suggest_times(
        session=session,
        actor=actor_for(user, account),
        participant_ids=[user.id],
        duration_minutes=30,
        now=now + timedelta(minutes=6),
        horizon_days=14,
        limit=1000,
    )
    assert suggestions
    for suggestion in suggestions:
        named = user.name in suggestion.unknown
        assert named == (suggestion.end > day + timedelta(days=3)), suggestion

    # The owner fixes the rule: the next (incremental) poll reads it; no full resync needed.
    calendar.event_by_uid("weekly").delete()
    calendar.save_event(_ics("weekly", day + timedelta(days=3), "RRULE:FREQ=WEEKLY;COUNT=2"))
    assert (await _round(session, now + timedelta(minutes=12))).ok == 1
    runs = session.exec(select(SyncRun).where(SyncRun.connection_id == connection.id)).all()
    assert [r.incremental for r in runs] == [False, False, True]
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert (stored.unreadable_count, stored.unknown_from, stored.unreadable_reason) == (
        0,
        None,
        None,
    )
    assert _rows(session, UnknownInterval, connection.id) == []
    later = day + timedelta(days=3)
    assert [(r.start_at, r.end_at) for r in _rows(session, BusyInterval, connection.id)] == [
        (day, day + timedelta(hours=1)),
        (later, later + timedelta(hours=1)),
        (later + timedelta(days=7), later + timedelta(days=7, hours=1)),
    ]


class ObjectsPerPollReader(CalendarReader):
    """A real reader whose poll budget runs out after `per_poll` objects (as a poll full of
    slow objects would), so that the sync's handling of deferred objects is deterministic."""

    def __init__(self, per_poll: int) -> None:
        super().__init__()
        self.per_poll = per_poll

    def read_all(self, objects, *, window, time_zone, owner_email, budget=None):
        read = super().read_all(
            objects[: self.per_poll], window=window, time_zone=time_zone, owner_email=owner_email
        )
        left = [
            self._unknown(url, window.start, window.end, DEFERRED, deferred=True)
            for url, _ in objects[self.per_poll :]
        ]
        return read + left


async def test_objects_left_by_a_polls_budget_are_unknown_then_read_by_later_polls(
    session, radicale, calendar, monkeypatch
):
    limited = ObjectsPerPollReader(per_poll=2)
    monkeypatch.setattr(reader_module, "_shared", limited)
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now + timedelta(days=2)).replace(hour=9, minute=0, second=0)
    for n in range(5):
        calendar.save_event(_ics(f"meeting-{n}", day + timedelta(days=n)))
    _, _, connection = _caldav_connection(session, radicale, calendar)
    try:
        assert (await _round(session, now)).ok == 1
        stored = session.get(CalendarConnection, connection.id, populate_existing=True)
        # Three objects were not read: unknown (never free), and the listing is repeated.
        assert stored.unreadable_count == 3 and stored.unreadable_reason == DEFERRED
        assert stored.sync_cursor is None
        covered = _rows(session, BusyInterval, connection.id) + _rows(
            session, UnknownInterval, connection.id
        )
        for n in range(5):
            start = day + timedelta(days=n)
            assert any(r.start_at <= start < r.end_at for r in covered), n

        # Later polls read what was left, without anyone asking for a full resync.
        limited.per_poll = 5
        assert (await _round(session, now + timedelta(minutes=6))).ok == 1
    finally:
        limited.close()
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert (stored.unreadable_count, stored.unknown_from) == (0, None)
    assert stored.sync_cursor
    assert _rows(session, UnknownInterval, connection.id) == []
    assert [r.start_at for r in _rows(session, BusyInterval, connection.id)] == [
        day + timedelta(days=n) for n in range(5)
    ]


async def test_deferred_objects_of_an_incremental_poll_keep_the_old_cursor(
    session, radicale, calendar, monkeypatch
):
    limited = ObjectsPerPollReader(per_poll=5)
    monkeypatch.setattr(reader_module, "_shared", limited)
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now + timedelta(days=2)).replace(hour=9, minute=0, second=0)
    calendar.save_event(_ics("first", day))
    _, _, connection = _caldav_connection(session, radicale, calendar)
    try:
        assert (await _round(session, now)).ok == 1
        cursor = session.get(CalendarConnection, connection.id, populate_existing=True).sync_cursor
        for n in range(3):
            calendar.save_event(_ics(f"new-{n}", day + timedelta(days=1 + n)))
        limited.per_poll = 1
        assert (await _round(session, now + timedelta(minutes=6))).ok == 1
        stored = session.get(CalendarConnection, connection.id, populate_existing=True)
        assert stored.sync_cursor == cursor and stored.unreadable_count == 2
        limited.per_poll = 5
        assert (await _round(session, now + timedelta(minutes=12))).ok == 1
    finally:
        limited.close()
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert stored.sync_cursor != cursor and stored.unreadable_count == 0
    assert len(_rows(session, BusyInterval, connection.id)) == 4
    runs = session.exec(select(SyncRun).where(SyncRun.connection_id == connection.id)).all()
    assert [r.incremental for r in runs] == [False, True, True]


# ----------------------------------------------------------------- Google: per-event data


async def test_google_unreadable_event_is_unknown_not_a_failed_poll_and_its_fix_is_read(session):
    with run_fake_google() as google:
        google.state.add_calendar("ann@example.com", "Ann", primary=True)
        settings = Settings(
            env="test",
            secret_key="test-secret-key-" + "x" * 32,
            google_api_base=google.url,
            google_token_url=f"{google.url}/token",
            google_client_id=google.issuer.client_id,
            google_client_secret=google.issuer.client_secret,
        )
        now = datetime(2030, 1, 4, 18, 0, tzinfo=UTC)
        issued = google.issuer.issue()
        tokens = OAuthTokens(
            issued["access_token"], issued["refresh_token"], now + timedelta(days=9)
        )
        _, _, connection = _connection(
            session,
            provider="google",
            time_zone="America/Los_Angeles",
            calendar_id="ann@example.com",
            encrypted_credentials=encrypt_credentials(Credentials(tokens=tokens), settings),
        )
        google.state.put_event(
            "ann@example.com",
            {"id": "holiday", "start": {"date": "2030-01-07"}, "end": {"date": "2030-01-08"}},
        )
        assert (await _round(session, now, settings)).ok == 1
        assert [(r.start_at, r.end_at) for r in _rows(session, BusyInterval, connection.id)] == [
            (datetime(2030, 1, 7, 8, tzinfo=UTC), datetime(2030, 1, 8, 8, tzinfo=UTC))
        ]

        broken = {"id": "odd", "start": {"dateTime": "soon"}, "end": {"dateTime": "later"}}
        google.state.put_event("ann@example.com", broken)
        later = now + timedelta(minutes=6)
        assert (await _round(session, later, settings)).ok == 1
        stored = session.get(CalendarConnection, connection.id, populate_existing=True)
        assert stored.status == "synced"
        assert (stored.unreadable_count, stored.unknown_from) == (1, later)
        assert "unreadable time" in stored.unreadable_reason
        assert len(_rows(session, BusyInterval, connection.id)) == 1  # the holiday stays busy

        fixed = {
            "id": "odd",
            "start": {"dateTime": "2030-01-09T17:00:00Z"},
            "end": {"dateTime": "2030-01-09T18:00:00Z"},
        }
        google.state.put_event("ann@example.com", fixed)
        assert (await _round(session, later + timedelta(minutes=6), settings)).ok == 1
    stored = session.get(CalendarConnection, connection.id, populate_existing=True)
    assert (stored.unreadable_count, stored.unknown_from, stored.unreadable_reason) == (
        0,
        None,
        None,
    )
    assert len(_rows(session, BusyInterval, connection.id)) == 2
