"""Zoom meetings over the REST API with the organiser's own Zoom OAuth connection."""

from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from planner.integrations.calendar.base import (
    AuthExpired,
    Credentials,
    InvalidRequest,
    InvalidResponse,
    TokenSaver,
)
from planner.integrations.calendar.oauth import (
    OAuthApi,
    RetryPolicy,
    endpoints_for,
    raise_for_status,
)
from planner.integrations.meetings import OnlineMeeting
from planner.settings import Settings

MAX_TOPIC = 200


class ZoomMeetings:
    """Creates, renames and deletes scheduled Zoom meetings for one connected Zoom user.

    Zoom's answer holds a `start_url` that lets anyone start the meeting as its host; it is
    dropped here, so it can never reach a candidate (the host starts the meeting from the
    Zoom app where they are signed in). Zoom has no idempotency key: the caller stores the
    meeting id right after create, and deleting a meeting that is gone counts as done."""

    name = "zoom"

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        credentials: Credentials,
        save_tokens: TokenSaver,
        settings: Settings,
        retry: RetryPolicy | None = None,
    ) -> None:
        if credentials.tokens is None:
            raise AuthExpired("zoom connection has no tokens; reconnect needed")
        self.api = OAuthApi(
            endpoints=endpoints_for("zoom", settings),
            base_url=settings.zoom_api_base,
            http=http,
            tokens=credentials.tokens,
            save_tokens=save_tokens,
            retry=retry,
        )

    async def create_meeting(
        self, *, topic: str, start: datetime, end: datetime, agenda: str = ""
    ) -> OnlineMeeting:
        """A scheduled meeting (type 2) at `start` (UTC) lasting until `end`."""
        minutes = int((end - start).total_seconds() // 60)
        if minutes <= 0:
            raise InvalidRequest("a Zoom meeting must end after it starts")
        body = await self.api.json(
            "POST",
            "users/me/meetings",
            what="meeting create",
            json={
                "topic": topic[:MAX_TOPIC],
                "type": 2,
                "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": minutes,
                "timezone": "UTC",
                "agenda": agenda[:2000],
                "settings": {"join_before_host": False, "waiting_room": True},
            },
        )
        meeting_id = body.get("id")
        join_url = body.get("join_url")
        if meeting_id is None or not isinstance(join_url, str) or not join_url:
            raise InvalidResponse("zoom meeting create: no id or join_url in the answer")
        password = body.get("password")
        return OnlineMeeting(
            provider="zoom",
            join_url=join_url,
            external_id=str(meeting_id),
            passcode=str(password) if password else None,
        )

    async def update_topic(self, meeting_id: str, topic: str) -> bool:
        """Give the meeting a new topic (PATCH /v2/meetings/{id}, 204; scope
        meeting:update:meeting). Returns False, changing nothing, when the meeting is gone
        (404, Zoom code 3001) or the connection was granted before Planner asked for that
        scope (Zoom answers 400 with code 4711, or 403): the meeting keeps its old topic, and
        its join link still works. Raises AuthExpired, RateLimited, IntegrationError."""
        response = await self.api.request(
            "PATCH", f"meetings/{quote(meeting_id, safe='')}", json={"topic": topic[:MAX_TOPIC]}
        )
        if response.status_code in (200, 204):
            return True
        compact = response.text.replace(" ", "")
        if response.status_code == 404 or '"code":3001' in compact:
            return False
        if response.status_code == 403 or '"code":4711' in compact:
            return False
        raise_for_status(response, "zoom", "meeting update")
        return False

    async def delete_meeting(self, meeting_id: str) -> None:
        """Delete the meeting; one already gone (404, Zoom code 3001) counts as done."""
        response = await self.api.request(
            "DELETE",
            f"meetings/{quote(meeting_id, safe='')}",
            params={"schedule_for_reminder": "false"},
        )
        if response.status_code == 404:
            return
        if response.status_code == 400 and '"code":3001' in response.text.replace(" ", ""):
            return
        raise_for_status(response, "zoom", "meeting delete")
