"""Zoom meetings against a fake Zoom over loopback HTTP; Jitsi links."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from planner.integrations.calendar.base import (
    AuthExpired,
    Credentials,
    InvalidRequest,
    OAuthTokens,
    RateLimited,
)
from planner.integrations.calendar.oauth import RetryPolicy
from planner.integrations.meetings.jitsi import jitsi_meeting
from planner.integrations.meetings.zoom import ZoomMeetings
from planner.settings import Settings
from tests.fakes import Fault
from tests.fakes.zoom import run_fake_zoom

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def zoom():
    with run_fake_zoom() as fake:
        yield fake


@pytest.fixture
def settings(zoom):
    return Settings(
        zoom_api_base=f"{zoom.url}/v2",
        zoom_oauth_base=zoom.url,
        zoom_client_id=zoom.issuer.client_id,
        zoom_client_secret=zoom.issuer.client_secret,
    )


class Saved(list):
    async def __call__(self, tokens: OAuthTokens) -> None:
        self.append(tokens)


def meetings(zoom, settings, http, saved=None) -> ZoomMeetings:
    issued = zoom.issuer.issue()
    tokens = OAuthTokens(issued["access_token"], issued["refresh_token"], None)
    return ZoomMeetings(
        http=http,
        credentials=Credentials(tokens=tokens),
        save_tokens=saved if saved is not None else Saved(),
        settings=settings,
        retry=RetryPolicy(max_retries=1, max_wait=0.5),
    )


async def test_zoom_meeting_create_and_delete_never_exposes_start_url(zoom, settings):
    async with httpx.AsyncClient(timeout=2) as http:
        zoom_meetings = meetings(zoom, settings, http)
        meeting = await zoom_meetings.create_meeting(
            topic="Interview", start=T0, end=T0 + timedelta(minutes=45)
        )
        stored = zoom.state.meetings[meeting.external_id]
        assert stored["duration"] == 45 and stored["start_time"] == "2030-01-07T09:00:00Z"
        assert meeting.join_url == stored["join_url"] and meeting.passcode == "x7Yz9q"
        assert "HOST-SECRET" not in repr(meeting) and "start" not in repr(meeting)
        await zoom_meetings.delete_meeting(meeting.external_id)
        await zoom_meetings.delete_meeting(meeting.external_id)  # gone already: done
        assert zoom.state.meetings == {}
        with pytest.raises(InvalidRequest):
            await zoom_meetings.create_meeting(topic="x", start=T0, end=T0)


async def test_zoom_refreshes_with_basic_client_auth_and_stops_on_invalid_grant(zoom, settings):
    saved = Saved()
    async with httpx.AsyncClient(timeout=2) as http:
        zoom_meetings = meetings(zoom, settings, http, saved)
        zoom.issuer.expire_access_tokens()
        await zoom_meetings.create_meeting(topic="x", start=T0, end=T0 + timedelta(hours=1))
        assert len(saved) == 1 and zoom.issuer.refresh_count == 1
        zoom.issuer.revoke()
        with pytest.raises(AuthExpired):
            await zoom_meetings.create_meeting(topic="x", start=T0, end=T0 + timedelta(hours=1))


async def test_zoom_rate_limit_is_typed(zoom, settings):
    async with httpx.AsyncClient(timeout=2) as http:
        zoom.faults.add(Fault(path="/meetings", status=429, retry_after="5", times=2))
        with pytest.raises(RateLimited) as caught:
            await meetings(zoom, settings, http).create_meeting(
                topic="x", start=T0, end=T0 + timedelta(hours=1)
            )
        assert caught.value.retry_after == 5


def test_jitsi_rooms_are_unguessable_and_on_the_configured_server():
    settings = Settings(jitsi_base_url="https://jitsi.example.org/")
    first, second = jitsi_meeting(settings), jitsi_meeting(settings)
    assert first.join_url != second.join_url
    parts = urlsplit(first.join_url)
    assert (parts.scheme, parts.netloc) == ("https", "jitsi.example.org")
    room = parts.path.lstrip("/").removeprefix("Planner-")
    assert len(room) >= 22 and "/" not in room  # 18 random bytes, URL-safe
    assert Settings().jitsi_base_url == "https://meet.jit.si"
