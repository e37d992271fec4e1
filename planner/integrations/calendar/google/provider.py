"""The Google Calendar provider: calendar list, chunked freeBusy, events with Meet, sync tokens."""

import asyncio
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from planner.integrations.calendar.base import (
    AuthExpired,
    BusyTime,
    CalendarBusy,
    CalendarInfo,
    ChangeSet,
    Conflict,
    Credentials,
    EventChange,
    EventRef,
    EventRequest,
    InvalidResponse,
    NotFoundAtProvider,
    SyncCursorExpired,
    TokenSaver,
    Unavailable,
    split_window,
)
from planner.integrations.calendar.google.mapping import (
    conference_status,
    event_body,
    event_change,
    event_ref,
    google_event_id,
    parse_period,
    rfc3339,
)
from planner.integrations.calendar.oauth import (
    OAuthApi,
    RetryPolicy,
    endpoints_for,
    raise_for_status,
)
from planner.settings import Settings

__all__ = ["GoogleCalendarProvider", "google_event_id"]

FREEBUSY_MAX_CALENDARS = 50
FREEBUSY_MAX_WINDOW = timedelta(days=90)
MAX_PAGES = 200


def _calendar_path(calendar_id: str) -> str:
    return f"calendar/v3/calendars/{quote(calendar_id or 'primary', safe='')}/events"


class GoogleCalendarProvider:
    """Google Calendar for one connected account.

    `time_zone` is the owner's zone, used for all-day events. `send_updates` is Google's
    sendUpdates for writes: "all" (default) makes Google invite and cancel the attendees
    itself, so Planner must not mail them iMIP as well; "none" leaves mailing to Planner."""

    name = "google"

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        credentials: Credentials,
        save_tokens: TokenSaver,
        settings: Settings,
        time_zone: str = "UTC",
        send_updates: str = "all",
        retry: RetryPolicy | None = None,
        meet_poll_attempts: int = 5,
        meet_poll_delay: float = 0.5,
    ) -> None:
        if credentials.tokens is None:
            raise AuthExpired("google connection has no tokens; reconnect needed")
        self.api = OAuthApi(
            endpoints=endpoints_for("google", settings),
            base_url=settings.google_api_base,
            http=http,
            tokens=credentials.tokens,
            save_tokens=save_tokens,
            retry=retry,
        )
        self.zone = ZoneInfo(time_zone)
        self.send_updates = send_updates
        self.meet_poll_attempts = meet_poll_attempts
        self.meet_poll_delay = meet_poll_delay

    async def list_calendars(self) -> list[CalendarInfo]:
        """The user's calendar list (needs calendar.calendarlist.readonly)."""
        calendars: list[CalendarInfo] = []
        params: dict[str, str] = {"maxResults": "250"}
        for _ in range(MAX_PAGES):
            body = await self.api.json(
                "GET", "calendar/v3/users/me/calendarList", what="calendar list", params=params
            )
            for item in body.get("items") or []:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise InvalidResponse("google calendar list: an item has no id")
                calendars.append(
                    CalendarInfo(
                        id=item["id"],
                        name=str(item.get("summaryOverride") or item.get("summary") or item["id"]),
                        primary=bool(item.get("primary")),
                        writable=item.get("accessRole") in ("owner", "writer"),
                    )
                )
            token = body.get("nextPageToken")
            if not token:
                return calendars
            params = {**params, "pageToken": str(token)}
        raise InvalidResponse("google calendar list: too many pages")

    async def busy_times(
        self, calendar_ids: list[str], start: datetime, end: datetime
    ) -> list[CalendarBusy]:
        """freeBusy in chunks of 50 calendars and 90 days; a calendar Google reports errors
        for comes back with `error` set (unknown, not free)."""
        busy: dict[str, list[BusyTime]] = {calendar_id: [] for calendar_id in calendar_ids}
        errors: dict[str, str] = {}
        for offset in range(0, len(calendar_ids), FREEBUSY_MAX_CALENDARS):
            chunk = calendar_ids[offset : offset + FREEBUSY_MAX_CALENDARS]
            for piece_start, piece_end in split_window(start, end, FREEBUSY_MAX_WINDOW):
                body = await self.api.json(
                    "POST",
                    "calendar/v3/freeBusy",
                    what="freeBusy",
                    json={
                        "timeMin": rfc3339(piece_start),
                        "timeMax": rfc3339(piece_end),
                        "timeZone": "UTC",
                        "items": [{"id": calendar_id} for calendar_id in chunk],
                    },
                )
                answered = body.get("calendars")
                if not isinstance(answered, dict):
                    raise InvalidResponse("google freeBusy: no calendars in the answer")
                for calendar_id in chunk:
                    entry = answered.get(calendar_id)
                    if not isinstance(entry, dict):
                        errors[calendar_id] = "missing from Google's answer"
                        continue
                    if entry.get("errors"):
                        reasons = sorted(
                            {
                                str(error.get("reason", "unknown"))
                                for error in entry["errors"]
                                if isinstance(error, dict)
                            }
                        )
                        errors[calendar_id] = ", ".join(reasons) or "unknown"
                        continue
                    try:
                        periods = [parse_period(p, "freeBusy") for p in entry.get("busy") or []]
                    except InvalidResponse as exc:
                        # One unreadable period: this calendar is unknown, not partly free.
                        errors[calendar_id] = exc.message
                        continue
                    for period_start, period_end in periods:
                        period_start = max(period_start, start)
                        period_end = min(period_end, end)
                        if period_end > period_start:
                            busy[calendar_id].append(BusyTime(period_start, period_end))
        return [
            CalendarBusy(calendar_id, (), errors[calendar_id])
            if calendar_id in errors
            else CalendarBusy(calendar_id, tuple(sorted(busy[calendar_id], key=_by_start)))
            for calendar_id in calendar_ids
        ]

    async def _get_event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        return await self.api.json(
            "GET",
            f"{_calendar_path(calendar_id)}/{quote(event_id, safe='')}",
            what="event",
            params={"conferenceDataVersion": "1"},
        )

    async def _await_meet(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Re-read the event until Google's Meet creation leaves `pending` (bounded)."""
        for _ in range(self.meet_poll_attempts):
            if conference_status(body) != "pending":
                break
            await asyncio.sleep(self.meet_poll_delay)
            body = await self._get_event(calendar_id, str(body.get("id")))
        status = conference_status(body)
        if status == "pending":
            # The event exists; a retried create finds it by its id and polls again.
            raise Unavailable("google Meet link still pending; try again")
        if status == "failure":
            raise InvalidResponse("google could not create the Meet conference")
        return body

    async def create_event(self, calendar_id: str, event: EventRequest) -> EventRef:
        """events.insert with an id derived from `event.key`; 409 (already inserted by an
        earlier attempt) returns the existing event. `online_meeting="meet"` adds Meet."""
        event_id = google_event_id(event.key)
        meet = event.online_meeting == "meet"
        response = await self.api.request(
            "POST",
            _calendar_path(calendar_id),
            params={"conferenceDataVersion": "1", "sendUpdates": self.send_updates},
            json=event_body(event, event_id=event_id, meet=meet),
        )
        if response.status_code == 409:
            body = await self._get_event(calendar_id, event_id)
            if body.get("status") == "cancelled":
                raise Conflict(f"google event {event_id} was deleted; a new key is needed")
        else:
            raise_for_status(response, "google", "event insert")
            try:
                body = response.json()
            except ValueError:
                raise InvalidResponse("google event insert: the answer is not JSON") from None
            if not isinstance(body, dict):
                raise InvalidResponse("google event insert: the answer is not an object")
        if meet:
            body = await self._await_meet(calendar_id, body)
        return event_ref(body)

    async def update_event(self, calendar_id: str, ref: EventRef, event: EventRequest) -> EventRef:
        """events.patch of time, title, text and attendees, If-Match the stored etag
        (412 -> Conflict). An existing Meet conference is kept."""
        headers = {"If-Match": ref.etag} if ref.etag else {}
        body = await self.api.json(
            "PATCH",
            f"{_calendar_path(calendar_id)}/{quote(ref.external_id, safe='')}",
            what="event update",
            params={"conferenceDataVersion": "1", "sendUpdates": self.send_updates},
            json=event_body(event, event_id=None, meet=False),
            headers=headers,
        )
        return event_ref(body)

    async def delete_event(self, calendar_id: str, ref: EventRef) -> None:
        """events.delete; an event already gone (404/410) counts as done. Unconditional:
        attendees' answers change the etag, and a cancelled interview must leave anyway."""
        response = await self.api.request(
            "DELETE",
            f"{_calendar_path(calendar_id)}/{quote(ref.external_id, safe='')}",
            params={"sendUpdates": self.send_updates},
        )
        if response.status_code in (404, 410):
            return
        raise_for_status(response, "google", "event delete")

    async def changes(
        self, calendar_id: str, cursor: str | None, start: datetime, end: datetime
    ) -> ChangeSet:
        """events.list with the sync token (or a full listing of [start, end) without one);
        410 -> SyncCursorExpired. Busy times are clipped to [start, end)."""
        params: dict[str, str] = {"singleEvents": "true", "maxResults": "250"}
        if cursor:
            params["syncToken"] = cursor
        else:
            params.update(timeMin=rfc3339(start), timeMax=rfc3339(end), showDeleted="false")
        found: list[EventChange] = []
        for _ in range(MAX_PAGES):
            response = await self.api.request("GET", _calendar_path(calendar_id), params=params)
            if response.status_code == 410:
                raise SyncCursorExpired("google sync token expired (410); full resync needed")
            if response.status_code == 404:
                raise NotFoundAtProvider(f"google calendar {calendar_id!r} not found")
            raise_for_status(response, "google", "events list")
            try:
                body = response.json()
            except ValueError:
                raise InvalidResponse("google events list: the answer is not JSON") from None
            if not isinstance(body, dict):
                raise InvalidResponse("google events list: the answer is not an object")
            for item in body.get("items") or []:
                change = event_change(item, self.zone)
                if change is not None:
                    found.append(change.clipped(start, end))
            page_token = body.get("nextPageToken")
            if page_token:
                params = {**params, "pageToken": str(page_token)}
                continue
            next_cursor = body.get("nextSyncToken")
            if not isinstance(next_cursor, str) or not next_cursor:
                raise InvalidResponse("google events list: last page has no nextSyncToken")
            return ChangeSet(tuple(found), next_cursor, full=cursor is None)
        raise InvalidResponse("google events list: too many pages")


def _by_start(busy: BusyTime) -> tuple[datetime, datetime]:
    return busy.start, busy.end
