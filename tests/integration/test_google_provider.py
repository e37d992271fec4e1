"""Google Calendar provider against a fake Google API over real HTTP on loopback."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from planner.integrations.calendar.base import (
    AuthExpired,
    Conflict,
    Credentials,
    EventRef,
    EventRequest,
    InvalidResponse,
    OAuthTokens,
    RateLimited,
    SyncCursorExpired,
    Unavailable,
)
from planner.integrations.calendar.google import GoogleCalendarProvider, google_event_id
from planner.integrations.calendar.oauth import (
    OAuthStateMismatch,
    RetryPolicy,
    endpoints_for,
    exchange_code,
    start_authorization,
)
from planner.integrations.calendar.registry import provider_for
from planner.settings import Settings
from tests.fakes import Fault
from tests.fakes.google import run_fake_google

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def google():
    with run_fake_google() as fake:
        fake.state.add_calendar("ann@example.com", "Ann", primary=True)
        yield fake


@pytest.fixture
def settings(google):
    return Settings(
        google_api_base=google.url,
        google_auth_url=f"{google.url}/o/oauth2/v2/auth",
        google_token_url=f"{google.url}/token",
        google_client_id=google.issuer.client_id,
        google_client_secret=google.issuer.client_secret,
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


def make_provider(google, settings, http, saved=None, **kwargs) -> GoogleCalendarProvider:
    issued = google.issuer.issue()
    tokens = OAuthTokens(
        issued["access_token"],
        issued["refresh_token"],
        datetime.now(UTC) + timedelta(hours=1),
    )
    return GoogleCalendarProvider(
        http=http,
        credentials=Credentials(tokens=tokens),
        save_tokens=saved or Saved(),
        settings=settings,
        retry=kwargs.pop("retry", RetryPolicy(max_retries=2, max_wait=1.0)),
        meet_poll_delay=0.01,
        **kwargs,
    )


def interview(key: str = "interview-42-ann", **changes) -> EventRequest:
    values = dict(
        key=key,
        title="Interview: Backend engineer",
        start=T0,
        end=T0 + timedelta(hours=1),
        description="With Ann and Bo",
        attendees=(),
    )
    values.update(changes)
    return EventRequest(**values)


async def test_oauth_code_flow_with_pkce_and_state(google, settings, http):
    endpoints = endpoints_for("google", settings)
    request = start_authorization(endpoints, redirect_uri="http://app.test/oauth/google")
    query = parse_qs(urlsplit(request.url).query)
    assert query["access_type"] == ["offline"] and query["code_challenge_method"] == ["S256"]
    assert "https://www.googleapis.com/auth/calendar" not in query["scope"][0].split()
    redirect = await http.get(request.url, follow_redirects=False)
    answer = parse_qs(urlsplit(redirect.headers["location"]).query)
    kwargs = dict(
        http=http,
        expected_state=request.state,
        code=answer["code"][0],
        code_verifier=request.code_verifier,
        redirect_uri="http://app.test/oauth/google",
    )
    with pytest.raises(OAuthStateMismatch):
        await exchange_code(endpoints, returned_state="forged", **kwargs)
    tokens = await exchange_code(endpoints, returned_state=answer["state"][0], **kwargs)
    assert tokens.access_token in google.issuer.access_tokens and tokens.refresh_token
    assert tokens.expires_at is not None and tokens.expires_at > datetime.now(UTC)
    with pytest.raises(AuthExpired, match="invalid_grant"):
        await exchange_code(endpoints, returned_state=answer["state"][0], **kwargs)


async def test_lists_calendars_through_the_registry(google, settings, http):
    google.state.add_calendar("team@example.com", "Team")
    issued = google.issuer.issue()
    provider = provider_for(
        "google",
        credentials=Credentials(tokens=OAuthTokens(issued["access_token"], None, None)),
        http=http,
        save_tokens=Saved(),
        settings=settings,
    )
    calendars = await provider.list_calendars()
    assert [(c.id, c.primary) for c in calendars] == [
        ("ann@example.com", True),
        ("team@example.com", False),
    ]


async def test_busy_times_are_chunked_and_errors_mean_unknown(google, settings, http):
    ids = [f"cal{n}@example.com" for n in range(60)]
    for calendar_id in ids:
        google.state.add_calendar(calendar_id, calendar_id)
    google.state.put_event(
        "cal3@example.com",
        {
            "id": "busy1",
            "start": {"dateTime": "2030-03-01T10:00:00Z"},
            "end": {"dateTime": "2030-03-01T11:00:00Z"},
        },
    )
    google.state.put_event(
        "cal3@example.com",
        {
            "id": "free1",
            "transparency": "transparent",
            "start": {"dateTime": "2030-03-02T10:00:00Z"},
            "end": {"dateTime": "2030-03-02T11:00:00Z"},
        },
    )
    google.state.freebusy_errors["cal7@example.com"] = "notFound"
    provider = make_provider(google, settings, http)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    answers = await provider.busy_times(ids, start, start + timedelta(days=100))
    assert len(google.state.freebusy_calls) == 4  # 2 chunks of calendars x 2 windows
    assert all(len(call["items"]) <= 50 for call in google.state.freebusy_calls)
    by_id = {answer.calendar_id: answer for answer in answers}
    assert [(b.start.hour, b.end.hour) for b in by_id["cal3@example.com"].busy] == [(10, 11)]
    assert by_id["cal7@example.com"].error == "notFound" and by_id["cal7@example.com"].busy == ()
    assert by_id["cal8@example.com"].error is None and by_id["cal8@example.com"].busy == ()


async def test_create_is_idempotent_and_waits_for_meet(google, settings, http):
    provider = make_provider(google, settings, http)
    event = interview(online_meeting="meet")
    first = await provider.create_event("ann@example.com", event)
    assert first.external_id == google_event_id(event.key)
    assert first.meeting_url and first.meeting_url.startswith("https://meet.google.com/")
    again = await provider.create_event("ann@example.com", event)
    assert again.external_id == first.external_id and again.meeting_url == first.meeting_url
    assert len(google.state.events["ann@example.com"]) == 1


async def test_meet_still_pending_is_retryable(google, settings, http):
    google.state.meet_pending_reads = 100
    provider = make_provider(google, settings, http, meet_poll_attempts=2)
    with pytest.raises(Unavailable, match="pending") as caught:
        await provider.create_event("ann@example.com", interview(online_meeting="meet"))
    assert caught.value.retryable


async def test_update_with_stale_etag_conflicts_and_delete_twice_is_fine(google, settings, http):
    provider = make_provider(google, settings, http)
    ref = await provider.create_event("ann@example.com", interview())
    moved = interview(start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=3))
    updated = await provider.update_event("ann@example.com", ref, moved)
    assert updated.etag != ref.etag
    stored = google.state.events["ann@example.com"][ref.external_id]
    assert stored["start"]["dateTime"] == "2030-01-07T11:00:00Z"
    with pytest.raises(Conflict):
        await provider.update_event("ann@example.com", ref, moved)  # the old etag
    await provider.delete_event("ann@example.com", updated)
    await provider.delete_event("ann@example.com", updated)
    await provider.delete_event("ann@example.com", EventRef("never-existed"))
    with pytest.raises(Conflict, match="deleted"):
        await provider.create_event("ann@example.com", interview())


async def test_incremental_sync_pages_and_410_means_full_resync(google, settings, http):
    state = google.state
    for n in range(3):
        state.put_event(
            "ann@example.com",
            {
                "id": f"ev{n}",
                "start": {"dateTime": f"2030-01-0{n + 1}T08:00:00Z"},
                "end": {"dateTime": f"2030-01-0{n + 1}T09:00:00Z"},
            },
        )
    provider = make_provider(google, settings, http)
    start, end = datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC)
    full = await provider.changes("ann@example.com", None, start, end)
    assert full.full and sorted(c.external_id for c in full.changes) == ["ev0", "ev1", "ev2"]
    assert full.cursor

    state.put_event(
        "ann@example.com", {**state.events["ann@example.com"]["ev1"], "status": "cancelled"}
    )
    state.put_event(
        "ann@example.com",
        {
            "id": "declined",
            "start": {"dateTime": "2030-01-05T08:00:00Z"},
            "end": {"dateTime": "2030-01-05T09:00:00Z"},
            "attendees": [{"email": "ann@example.com", "self": True, "responseStatus": "declined"}],
        },
    )
    state.put_event(
        "ann@example.com",
        {
            "id": "maybe",
            "start": {"dateTime": "2030-01-06T08:00:00Z"},
            "end": {"dateTime": "2030-01-06T09:00:00Z"},
            "attendees": [
                {"email": "ann@example.com", "self": True, "responseStatus": "tentative"}
            ],
        },
    )
    state.put_event(
        "ann@example.com",
        {"id": "allday", "start": {"date": "2030-01-08"}, "end": {"date": "2030-01-09"}},
    )
    delta = await provider.changes("ann@example.com", full.cursor, start, end)
    by_id = {c.external_id: c for c in delta.changes}
    assert not delta.full and set(by_id) == {"ev1", "declined", "maybe", "allday"}
    assert by_id["ev1"].removed
    assert by_id["declined"].busy == ()
    assert by_id["maybe"].busy[0].tentative
    assert by_id["allday"].busy[0].start == datetime(2030, 1, 8, tzinfo=UTC)
    state.expire_sync_tokens()
    with pytest.raises(SyncCursorExpired) as caught:
        await provider.changes("ann@example.com", delta.cursor, start, end)
    assert caught.value.retryable


async def test_retry_after_is_honoured_then_handed_back(google, settings, http):
    provider = make_provider(google, settings, http)
    google.faults.add(Fault(path="/calendarList", status=429, retry_after="0.2", times=1))
    assert len(await provider.list_calendars()) == 1
    google.faults.add(Fault(path="/calendarList", status=429, retry_after="30", times=1))
    with pytest.raises(RateLimited) as caught:
        await provider.list_calendars()
    assert caught.value.retry_after == 30 and caught.value.retryable


@pytest.mark.parametrize(
    "fault, error",
    [
        (Fault(path="/calendarList", status=500), Unavailable),
        (Fault(path="/calendarList", delay=1.0), Unavailable),
        (Fault(path="/calendarList", garbage=True), InvalidResponse),
    ],
    ids=["500", "timeout", "garbage"],
)
async def test_faults_become_typed_errors(google, settings, http, fault, error):
    provider = make_provider(google, settings, http)
    google.faults.add(fault)
    with pytest.raises(error):
        await provider.list_calendars()


async def test_expired_token_is_refreshed_and_saved(google, settings, http):
    saved = Saved()
    provider = make_provider(google, settings, http, saved)
    google.issuer.expire_access_tokens()
    assert len(await provider.list_calendars()) == 1
    assert len(saved.tokens) == 1 and google.issuer.refresh_count == 1
    assert saved.tokens[0].refresh_token == provider.api.tokens.refresh_token  # kept


async def test_revoked_grant_raises_auth_expired_without_retrying(google, settings, http):
    provider = make_provider(google, settings, http)
    google.issuer.revoke()
    with pytest.raises(AuthExpired) as caught:
        await provider.list_calendars()
    assert not caught.value.retryable and google.issuer.refresh_count == 0
