"""The demo calendars on Radicale: seeded idempotently, connected, and polled into busy times."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from planner.integrations.calendar.base import Credentials
from planner.models import BusyInterval, CalendarConnection, StaffUser
from planner.services import calendar_sync, demo_calendars
from planner.services.demo import _demo_slot_times, seed_demo
from planner.settings import Settings
from tests.fakes.radicale import run_radicale

SETTINGS = Settings(env="test", secret_key="test-secret-key-" + "x" * 32)


@pytest.fixture
def radicale(tmp_path):
    users = {p.username: p.password for p in demo_calendars.demo_people(SETTINGS)}
    with run_radicale(tmp_path / "radicale", users=users) as server:
        yield server


def _event_hrefs(server_url: str) -> dict[str, list[str]]:
    """Every object on the demo calendars, per login, listed by the server itself."""
    found = {}
    for person in demo_calendars.demo_people(SETTINGS):
        answer = httpx.request(
            "PROPFIND",
            f"{server_url}{person.username}/{demo_calendars.CALENDAR_NAME}/",
            auth=(person.username, person.password),
            headers={"Depth": "1"},
            timeout=30,
        )
        assert answer.status_code == 207
        found[person.username] = sorted(
            part.split("</")[0]
            for part in answer.text.split("href>")
            if part.endswith(".ics</") or ".ics<" in part
        )
    return found


async def _poll(session: Session, now: datetime) -> calendar_sync.RoundReport:
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


async def test_demo_calendars_are_seeded_once_connected_and_polled(session, radicale):
    now = datetime.now(UTC).replace(microsecond=0)
    seed_demo(session=session, password="planner-demo")

    first = demo_calendars.seed_demo_calendars(
        session=session, settings=SETTINGS, server_url=radicale.url, today=now.date(), now=now
    )
    hrefs = _event_hrefs(radicale.url)
    second = demo_calendars.seed_demo_calendars(
        session=session, settings=SETTINGS, server_url=radicale.url, today=now.date(), now=now
    )

    people = demo_calendars.demo_people(SETTINGS)
    assert first.connections_added == len(people) == 4
    assert first.events_added == sum(len(v) for v in hrefs.values()) > 4 * 20
    assert second == demo_calendars.DemoCalendarsSeed(events_added=0, connections_added=0)
    assert _event_hrefs(radicale.url) == hrefs
    connections = session.exec(select(CalendarConnection)).all()
    assert len(connections) == 4 and {c.status for c in connections} == {"synced"}
    assert all(
        c.encrypted_credentials and "planner-demo" not in c.encrypted_credentials
        and all(p.password not in c.encrypted_credentials for p in people)
        for c in connections
    )  # fmt: skip
    users = {u.id: u for u in session.exec(select(StaffUser)).all()}
    connected = {users[c.staff_user_id].name for c in connections}
    assert demo_calendars.NOT_SYNCED not in connected and "Oliver Bennett" not in connected

    report = await _poll(session, now)

    assert report == calendar_sync.RoundReport(ok=4)
    session.expire_all()
    busy = session.exec(select(BusyInterval)).all()
    assert {b.connection_id for b in busy} == {c.id for c in connections}
    assert any(b.tentative for b in busy)
    weekly = [b for b in busy if b.source_event_id.endswith("-weekly-team-meeting.ics")]
    # Four Tuesdays in the 28-day window, per connected person.
    assert len(weekly) >= 4 * 4
    assert all(b.start_at.astimezone(UTC).weekday() == 1 for b in weekly)
    all_day = [b for b in busy if "-offsite-" in b.source_event_id]
    assert len(all_day) == 4 and all(b.end_at - b.start_at == timedelta(days=1) for b in all_day)

    # The demo interview's participants (Aino, and Mads organising) are not busy at every
    # offered slot: at least the afternoon slots stay bookable.
    aino = next(u for u in users.values() if u.name == "Aino Virtanen")
    aino_connection = next(c for c in connections if c.staff_user_id == aino.id)
    aino_busy = [b for b in busy if b.connection_id == aino_connection.id]
    slots = _demo_slot_times(now, "Europe/Copenhagen")
    free = [
        s
        for s in slots
        if not any(b.start_at < s + timedelta(minutes=45) and s < b.end_at for b in aino_busy)
    ]
    assert len(free) >= 3
