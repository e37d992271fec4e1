"""Microsoft Graph provider against a fake Graph over real HTTP on loopback."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from planner.integrations.calendar.base import (
    AuthExpired,
    Conflict,
    Credentials,
    EventRef,
    EventRequest,
    InvalidRequest,
    InvalidResponse,
    OAuthTokens,
    RateLimited,
    SyncCursorExpired,
    Unavailable,
)
from planner.integrations.calendar.microsoft import MicrosoftCalendarProvider
from planner.integrations.calendar.oauth import RetryPolicy
from planner.settings import Settings
from tests.fakes import Fault
from tests.fakes.microsoft import run_fake_microsoft

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def graph():
    with run_fake_microsoft() as fake:
        fake.state.add_calendar("cal-default", "Calendar", default=True)
        yield fake


@pytest.fixture
def settings(graph):
    return Settings(
        microsoft_graph_base=f"{graph.url}/v1.0",
        microsoft_login_base=graph.url,
        microsoft_client_id=graph.issuer.client_id,
        microsoft_client_secret=graph.issuer.client_secret,
    )


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as client:
        yield client


class Saved:
    def __init__(self) -> None:
        self.tokens: list[OAuthTokens] = []

    async def __call__(self, tokens: OAuthTokens) -> None:
        self.tokens.append(tokens)


def make_provider(graph, settings, http, saved=None, expires_at=None):
    issued = graph.issuer.issue()
    tokens = OAuthTokens(
        issued["access_token"],
        issued["refresh_token"],
        expires_at or datetime.now(UTC) + timedelta(hours=1),
    )
    return MicrosoftCalendarProvider(
        http=http,
        credentials=Credentials(tokens=tokens),
        save_tokens=saved or Saved(),
        settings=settings,
        retry=RetryPolicy(max_retries=1, max_wait=1.0),
    )


def interview(key="interview-42-ann", **changes):
    values = dict(key=key, title="Interview", start=T0, end=T0 + timedelta(hours=1))
    values.update(changes)
    return EventRequest(**values)


async def test_lists_calendars(graph, settings, http):
    graph.state.add_calendar("cal-2", "Interviews")
    calendars = await make_provider(graph, settings, http).list_calendars()
    assert [(c.id, c.name, c.primary) for c in calendars] == [
        ("cal-default", "Calendar", True),
        ("cal-2", "Interviews", False),
    ]


async def test_get_schedule_chunks_and_reads_items(graph, settings, http):
    addresses = [f"user{n}@example.com" for n in range(25)]
    for address in addresses[:-1]:
        graph.state.schedules[address] = []
    graph.state.schedules["user1@example.com"] = [
        {"status": "Busy", "start": T0, "end": T0 + timedelta(hours=1)},
        {"status": "tentative", "start": T0 + timedelta(hours=2), "end": T0 + timedelta(hours=3)},
        {"status": "Free", "start": T0 + timedelta(hours=4), "end": T0 + timedelta(hours=5)},
        {"status": "oof", "start": T0 + timedelta(days=70), "end": T0 + timedelta(days=71)},
    ]
    start = T0 - timedelta(days=1)
    answers = await make_provider(graph, settings, http).busy_times(
        addresses, start, start + timedelta(days=100)
    )
    assert len(graph.state.schedule_calls) == 4  # 2 chunks of addresses x 2 windows
    by_id = {answer.calendar_id: answer for answer in answers}
    busy = by_id["user1@example.com"].busy
    assert [(b.start, b.tentative) for b in busy] == [
        (T0, False),
        (T0 + timedelta(hours=2), True),
        (T0 + timedelta(days=70), False),
    ]
    assert by_id["user24@example.com"].error == "ErrorMailboxNotFound"
    assert by_id["user2@example.com"].error is None


async def test_create_with_teams_is_idempotent_by_transaction_id(graph, settings, http):
    provider = make_provider(graph, settings, http)
    first = await provider.create_event("cal-default", interview(online_meeting="teams"))
    again = await provider.create_event("cal-default", interview(online_meeting="teams"))
    assert first.external_id == again.external_id and len(graph.state.events) == 1
    assert first.meeting_url and first.meeting_url.startswith("https://teams.microsoft.com/")
    graph.state.teams_allowed = False
    with pytest.raises(InvalidRequest, match="Teams"):
        await provider.create_event("cal-default", interview("other", online_meeting="teams"))


async def test_update_conflict_and_delete_twice(graph, settings, http):
    provider = make_provider(graph, settings, http)
    ref = await provider.create_event("", interview())
    moved = interview(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2))
    updated = await provider.update_event("", ref, moved)
    assert updated.etag != ref.etag
    with pytest.raises(Conflict):
        await provider.update_event("", ref, moved)
    await provider.delete_event("", updated)
    await provider.delete_event("", updated)
    await provider.delete_event("", EventRef("AAMk-never"))


async def test_delta_follows_links_reports_removals_and_resyncs(graph, settings, http):
    state = graph.state
    for n in range(3):
        state.put_event(
            "cal-default",
            {
                "id": f"ev{n}",
                "showAs": ["busy", "tentative", "free"][n],
                "start": {"dateTime": f"2030-01-0{n + 1}T08:00:00.0000000", "timeZone": "UTC"},
                "end": {"dateTime": f"2030-01-0{n + 1}T09:00:00.0000000", "timeZone": "UTC"},
            },
        )
    provider = make_provider(graph, settings, http)
    start, end = datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC)
    full = await provider.changes("cal-default", None, start, end)
    by_id = {c.external_id: c for c in full.changes}
    assert full.full and set(by_id) == {"ev0", "ev1", "ev2"}  # three items over two pages
    assert by_id["ev1"].busy[0].tentative and by_id["ev2"].busy == ()
    assert full.cursor and full.cursor.startswith(settings.microsoft_graph_base)

    state.remove_event("ev0")
    state.put_event(
        "cal-default",
        {
            "id": "berlin",
            "start": {"dateTime": "2030-01-10T10:00:00", "timeZone": "W. Europe Standard Time"},
            "end": {"dateTime": "2030-01-10T11:00:00", "timeZone": "W. Europe Standard Time"},
        },
    )
    delta = await provider.changes("cal-default", full.cursor, start, end)
    by_id = {c.external_id: c for c in delta.changes}
    assert by_id["ev0"].removed
    assert by_id["berlin"].busy[0].start == datetime(2030, 1, 10, 9, tzinfo=UTC)
    state.expire_delta_tokens()
    with pytest.raises(SyncCursorExpired):
        await provider.changes("cal-default", delta.cursor, start, end)
    with pytest.raises(InvalidResponse, match="outside"):
        await provider.changes("cal-default", "https://evil.example/steal", start, end)


async def test_refresh_rotates_tokens_and_invalid_grant_stops(graph, settings, http):
    saved = Saved()
    provider = make_provider(graph, settings, http, saved, expires_at=datetime.now(UTC))
    await provider.list_calendars()  # refreshed before the call: the token was expiring
    assert len(saved.tokens) == 1 and saved.tokens[0].refresh_token in graph.issuer.refresh_tokens
    graph.issuer.revoke()
    with pytest.raises(AuthExpired):
        await provider.list_calendars()
    assert graph.issuer.refresh_count == 1


@pytest.mark.parametrize(
    "fault, error",
    [
        (Fault(path="/getSchedule", status=429, retry_after="60"), RateLimited),
        (Fault(path="/getSchedule", status=503), Unavailable),
        (Fault(path="/getSchedule", delay=1.0), Unavailable),
        (Fault(path="/getSchedule", garbage=True), InvalidResponse),
        (Fault(path="/getSchedule", status=200, body={"value": "nope"}), InvalidResponse),
    ],
    ids=["429-long", "503", "timeout", "garbage", "wrong-shape"],
)
async def test_faults_become_typed_errors(graph, settings, http, fault, error):
    graph.faults.add(fault)
    with pytest.raises(error):
        await make_provider(graph, settings, http).busy_times(
            ["a@example.com"], T0, T0 + timedelta(days=1)
        )


async def test_short_retry_after_is_waited_for(graph, settings, http):
    graph.state.schedules["a@example.com"] = []
    graph.faults.add(Fault(path="/getSchedule", status=429, retry_after="0.1"))
    answers = await make_provider(graph, settings, http).busy_times(
        ["a@example.com"], T0, T0 + timedelta(days=1)
    )
    assert answers[0].error is None
