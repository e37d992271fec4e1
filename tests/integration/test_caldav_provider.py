"""CalDAV provider against a real Radicale server (no auth, and htpasswd auth)."""

from datetime import UTC, datetime, timedelta

import caldav
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from planner.integrations.calendar.base import (
    AuthExpired,
    Conflict,
    Credentials,
    EventRef,
    EventRequest,
    InvalidRequest,
    ProviderError,
    SyncCursorExpired,
    Unavailable,
)
from planner.integrations.calendar.caldav import CalDAVProvider
from planner.integrations.calendar.registry import provider_for
from planner.settings import Settings
from tests.fakes import serve
from tests.fakes.radicale import free_port, run_radicale

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
WINDOW = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC))
USERS = {"ann": "app-password-1"}

BUSY_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:weekly
DTSTAMP:20291201T000000Z
DTSTART:20300106T080000Z
DTEND:20300106T090000Z
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Secret 1:1
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale"), users=USERS) as server:
        yield server


@pytest.fixture
def calendar_url(radicale, request):
    """A fresh calendar with one weekly busy event (three occurrences in January 2030)."""
    client = caldav.DAVClient(
        url=radicale.url, username="ann", password=USERS["ann"], auth_type="basic"
    )
    name = request.node.name.replace("[", "-").replace("]", "")[:40].lower()
    calendar = client.principal().make_calendar(name=name, cal_id=name)
    calendar.save_event(BUSY_ICS)
    return str(calendar.url)


def provider(server_url, password=USERS["ann"], **kwargs) -> CalDAVProvider:
    return CalDAVProvider(
        server_url=server_url,
        credentials=Credentials(username="ann", password=password),
        timeout=5,
        **({"allow_private": True} | kwargs),  # Radicale listens on 127.0.0.1
    )


def interview(key="interview-42-ann", **changes) -> EventRequest:
    values = dict(key=key, title="Interview", start=T0, end=T0 + timedelta(hours=1))
    values.update(changes)
    return EventRequest(**values)


async def test_lists_calendars_through_the_registry(radicale, calendar_url):
    async with httpx.AsyncClient() as http:
        caldav_provider = provider_for(
            "caldav",
            credentials=Credentials(username="ann", password=USERS["ann"]),
            http=http,
            save_tokens=None,
            settings=Settings(),
            server_url=radicale.url,
        )
        calendars = await caldav_provider.list_calendars()
    assert calendar_url in [c.id for c in calendars]


async def test_busy_times_by_free_busy_report(radicale, calendar_url):
    [answer] = await provider(radicale.url).busy_times([calendar_url], *WINDOW)
    assert answer.error is None
    assert [b.start.day for b in answer.busy] == [6, 13, 20]
    assert all(b.source_event_id is None for b in answer.busy)  # nothing but times


async def test_busy_times_fall_back_to_calendar_query_when_report_is_refused(
    radicale, calendar_url
):
    """A proxy in front of Radicale answers free-busy-query REPORTs with 400, as iCloud does."""
    refused = []

    async def forward(request: Request) -> Response:
        body = await request.body()
        if request.method == "REPORT" and b"free-busy-query" in body:
            refused.append(request.url.path)
            return Response("free-busy-query not supported", status_code=400)
        async with httpx.AsyncClient() as upstream:
            answer = await upstream.request(
                request.method,
                radicale.url.rstrip("/") + request.url.path,
                content=body,
                headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            )
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        }
        return Response(answer.content, status_code=answer.status_code, headers=headers)

    methods = ["GET", "PUT", "DELETE", "PROPFIND", "REPORT", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
    with serve(app) as proxy_url:
        proxied_calendar = proxy_url + "/" + calendar_url.split("/", 3)[3]
        [answer] = await provider(proxy_url + "/").busy_times([proxied_calendar], *WINDOW)
    assert refused, "the free-busy REPORT was not tried"
    assert answer.error is None
    assert [(b.start.day, b.start.hour) for b in answer.busy] == [(6, 8), (13, 8), (20, 8)]


async def test_create_twice_is_one_event_and_delete_twice_is_fine(radicale, calendar_url):
    caldav_provider = provider(radicale.url)
    first = await caldav_provider.create_event(calendar_url, interview())
    again = await caldav_provider.create_event(calendar_url, interview())
    assert first.external_id == again.external_id and first.etag == again.etag
    client = caldav.DAVClient(
        url=radicale.url, username="ann", password=USERS["ann"], auth_type="basic"
    )
    events = client.calendar(url=calendar_url).events()
    assert sorted(e.icalendar_component["UID"] for e in events) == ["interview-42-ann", "weekly"]
    [answer] = await caldav_provider.busy_times([calendar_url], *WINDOW)
    assert any(b.start == T0 for b in answer.busy)
    await caldav_provider.delete_event(calendar_url, first)
    await caldav_provider.delete_event(calendar_url, first)
    assert len(client.calendar(url=calendar_url).events()) == 1


async def test_if_match_conflicts_on_stale_etag(radicale, calendar_url):
    caldav_provider = provider(radicale.url)
    ref = await caldav_provider.create_event(calendar_url, interview())
    moved = interview(start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=3))
    updated = await caldav_provider.update_event(calendar_url, ref, moved)
    assert updated.etag and updated.etag != ref.etag
    with pytest.raises(Conflict):
        await caldav_provider.update_event(calendar_url, ref, moved)
    with pytest.raises(Conflict):
        await caldav_provider.delete_event(calendar_url, ref)
    await caldav_provider.delete_event(calendar_url, updated)


async def test_sync_collection_changes_and_bad_token(radicale, calendar_url):
    caldav_provider = provider(radicale.url)
    full = await caldav_provider.changes(calendar_url, None, *WINDOW)
    assert full.full and full.cursor and len(full.changes) == 1
    assert [b.start.day for b in full.changes[0].busy] == [6, 13, 20]
    weekly_url = full.changes[0].external_id

    ref = await caldav_provider.create_event(calendar_url, interview())
    await caldav_provider.delete_event(calendar_url, EventRef(weekly_url))
    delta = await caldav_provider.changes(calendar_url, full.cursor, *WINDOW)
    by_id = {c.external_id: c for c in delta.changes}
    assert not delta.full and delta.cursor != full.cursor
    assert by_id[weekly_url].removed
    assert by_id[ref.external_id].busy[0].start == T0
    with pytest.raises(SyncCursorExpired):
        await caldav_provider.changes(
            calendar_url, "http://radicale.org/ns/sync/" + "0" * 64, *WINDOW
        )


async def test_wrong_password_is_auth_expired(radicale):
    with pytest.raises(AuthExpired, match="username or password") as caught:
        await provider(radicale.url, password="wrong").list_calendars()
    assert not caught.value.retryable


async def test_not_a_caldav_server_is_a_clear_error():
    async def page(request: Request) -> Response:
        return HTMLResponse("<html><body>Welcome to my blog</body></html>")

    methods = ["GET", "PROPFIND", "REPORT", "OPTIONS"]
    with serve(Starlette(routes=[Route("/{path:path}", page, methods=methods)])) as url:
        with pytest.raises(ProviderError, match="CalDAV") as caught:
            await provider(url + "/").list_calendars()
    assert not isinstance(caught.value, AuthExpired)


async def test_unreachable_and_malformed_urls():
    with pytest.raises(Unavailable, match="no answer"):
        await provider(f"http://127.0.0.1:{free_port()}/").list_calendars()
    with pytest.raises(InvalidRequest, match="http"):
        provider("ftp://example.com/")


async def test_without_auth(tmp_path):
    with run_radicale(tmp_path) as server:
        caldav_provider = CalDAVProvider(
            server_url=server.url,
            credentials=Credentials(username="bo"),
            timeout=5,
            allow_private=True,
        )
        client = caldav.DAVClient(url=server.url, username="bo", password="", auth_type="basic")
        client.principal().make_calendar(name="Work", cal_id="work")
        calendars = await caldav_provider.list_calendars()
        assert [c.name for c in calendars] == ["Work"]
        ref = await caldav_provider.create_event(calendars[0].id, interview())
        assert ref.external_id.endswith("/work/interview-42-ann.ics")
