"""The Microsoft Graph provider: calendars, chunked getSchedule, events with Teams, delta sync."""

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
    Credentials,
    EventChange,
    EventRef,
    EventRequest,
    InvalidRequest,
    InvalidResponse,
    NotFoundAtProvider,
    SyncCursorExpired,
    TokenSaver,
    split_window,
)
from planner.integrations.calendar.microsoft.mapping import (
    busy_from_status,
    delta_change,
    event_body,
    event_ref,
    graph_time,
    join_url,
    parse_graph_time,
)
from planner.integrations.calendar.oauth import (
    OAuthApi,
    RetryPolicy,
    endpoints_for,
    error_detail,
    raise_for_status,
)
from planner.settings import Settings

SCHEDULE_MAX = 20
# Graph refuses windows of 62 days or more.
SCHEDULE_MAX_WINDOW = timedelta(days=61)
MAX_PAGES = 200
UTC_PREFER = 'outlook.timezone="UTC"'
_RESYNC_CODES = ("syncStateNotFound", "resyncRequired", "SyncStateInvalid", "syncStateInvalid")


def _calendar(calendar_id: str) -> str:
    """The Graph path of a calendar; empty or "primary" is the user's default calendar."""
    if not calendar_id or calendar_id == "primary":
        return "me/calendar"
    return f"me/calendars/{quote(calendar_id, safe='')}"


def _event(event_id: str) -> str:
    return f"me/events/{quote(event_id, safe='')}"


class MicrosoftCalendarProvider:
    """Microsoft 365 / Outlook calendars of one connected account through Graph.

    `busy_times` takes SMTP addresses (schedules), not calendar ids: getSchedule answers for
    mailboxes, so pass the connected user's own address (and colleagues' in the same tenant).
    Graph always mails attendees itself; Planner must not send them iMIP as well.
    `time_zone` is the owner's zone: all-day events are their local days."""

    name = "microsoft"

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        credentials: Credentials,
        save_tokens: TokenSaver,
        settings: Settings,
        time_zone: str = "UTC",
        retry: RetryPolicy | None = None,
        teams_poll_attempts: int = 3,
        teams_poll_delay: float = 0.5,
    ) -> None:
        if credentials.tokens is None:
            raise AuthExpired("microsoft connection has no tokens; reconnect needed")
        self.api = OAuthApi(
            endpoints=endpoints_for("microsoft", settings),
            base_url=settings.microsoft_graph_base,
            http=http,
            tokens=credentials.tokens,
            save_tokens=save_tokens,
            retry=retry,
        )
        self.zone = ZoneInfo(time_zone)
        self.teams_poll_attempts = teams_poll_attempts
        self.teams_poll_delay = teams_poll_delay

    async def list_calendars(self) -> list[CalendarInfo]:
        """The user's calendars (following @odata.nextLink)."""
        calendars: list[CalendarInfo] = []
        url = "me/calendars?$top=100"
        for _ in range(MAX_PAGES):
            body = await self.api.json("GET", url, what="calendar list")
            for item in _values(body, "calendar list"):
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise InvalidResponse("microsoft calendar list: an item has no id")
                calendars.append(
                    CalendarInfo(
                        id=item["id"],
                        name=str(item.get("name") or item["id"]),
                        primary=bool(item.get("isDefaultCalendar")),
                        writable=bool(item.get("canEdit", True)),
                    )
                )
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return calendars
            url = str(next_link)
        raise InvalidResponse("microsoft calendar list: too many pages")

    async def busy_times(
        self, calendar_ids: list[str], start: datetime, end: datetime
    ) -> list[CalendarBusy]:
        """getSchedule in chunks of 20 addresses and 61 days, in UTC; a schedule answered
        with `error` comes back with `error` set (unknown, not free)."""
        busy: dict[str, list[BusyTime]] = {address: [] for address in calendar_ids}
        errors: dict[str, str] = {}
        for offset in range(0, len(calendar_ids), SCHEDULE_MAX):
            chunk = calendar_ids[offset : offset + SCHEDULE_MAX]
            for piece_start, piece_end in split_window(start, end, SCHEDULE_MAX_WINDOW):
                body = await self.api.json(
                    "POST",
                    "me/calendar/getSchedule",
                    what="getSchedule",
                    json={
                        "schedules": chunk,
                        "startTime": graph_time(piece_start),
                        "endTime": graph_time(piece_end),
                        "availabilityViewInterval": 30,
                    },
                    headers={"Prefer": UTC_PREFER},
                )
                answered = {
                    str(item.get("scheduleId", "")).lower(): item
                    for item in _values(body, "getSchedule")
                    if isinstance(item, dict)
                }
                for address in chunk:
                    item = answered.get(address.lower())
                    if item is None:
                        errors[address] = "missing from Microsoft's answer"
                        continue
                    if item.get("error"):
                        error = item["error"]
                        reason = error.get("responseCode") if isinstance(error, dict) else None
                        errors[address] = str(reason or "unknown")[:100]
                        continue
                    try:
                        busy[address].extend(_schedule_busy(item, start, end))
                    except InvalidResponse as exc:
                        # One unreadable item: this schedule is unknown, not partly free.
                        errors[address] = exc.message
        return [
            CalendarBusy(address, (), errors[address])
            if address in errors
            else CalendarBusy(address, tuple(sorted(busy[address], key=lambda b: (b.start, b.end))))
            for address in calendar_ids
        ]

    async def _check_teams_allowed(self, calendar_id: str) -> None:
        body = await self.api.json(
            "GET",
            _calendar(calendar_id),
            what="calendar",
            params={"$select": "allowedOnlineMeetingProviders,defaultOnlineMeetingProvider"},
        )
        allowed = body.get("allowedOnlineMeetingProviders")
        if isinstance(allowed, list) and "teamsForBusiness" not in allowed:
            raise InvalidRequest(
                "this Microsoft calendar cannot hold Teams meetings (allowed: "
                + (", ".join(str(a) for a in allowed) or "none")
                + ")"
            )

    async def create_event(self, calendar_id: str, event: EventRequest) -> EventRef:
        """POST events with `transactionId = event.key`, so that Graph answers a retried
        create with the event already made; `online_meeting="teams"` adds a Teams meeting."""
        teams = event.online_meeting == "teams"
        if teams:
            await self._check_teams_allowed(calendar_id)
        body = await self.api.json(
            "POST",
            f"{_calendar(calendar_id)}/events",
            what="event create",
            json=event_body(event, teams=teams, transaction_id=event.key),
        )
        for _ in range(self.teams_poll_attempts if teams else 0):
            if join_url(body):
                break
            await asyncio.sleep(self.teams_poll_delay)
            body = await self.api.json("GET", _event(str(body.get("id"))), what="event")
        if teams and not join_url(body):
            raise InvalidResponse("microsoft made the event but no Teams link")
        return event_ref(body)

    async def update_event(self, calendar_id: str, ref: EventRef, event: EventRequest) -> EventRef:
        """PATCH the event If-Match its etag (412 -> Conflict); a Teams meeting is kept."""
        headers = {"If-Match": ref.etag} if ref.etag else {}
        body = await self.api.json(
            "PATCH",
            _event(ref.external_id),
            what="event update",
            json=event_body(event, teams=False, transaction_id=None),
            headers=headers,
        )
        return event_ref(body)

    async def delete_event(self, calendar_id: str, ref: EventRef) -> None:
        """DELETE the event (Graph mails cancellations); one already gone counts as done.
        Unconditional: attendees' answers change the etag, a cancellation must win."""
        response = await self.api.request("DELETE", _event(ref.external_id))
        if response.status_code in (404, 410):
            return
        raise_for_status(response, "microsoft", "event delete")

    async def changes(
        self, calendar_id: str, cursor: str | None, start: datetime, end: datetime
    ) -> ChangeSet:
        """calendarView delta: follows @odata.nextLink to the @odata.deltaLink, which is the
        new cursor (kept whole). 410 or syncStateNotFound -> SyncCursorExpired. Replayed
        entries are folded: the last word on each event wins."""
        if cursor:
            url = cursor
        else:
            url = (
                f"{_calendar(calendar_id)}/calendarView/delta?"
                + f"startDateTime={quote(graph_time(start)['dateTime'] + 'Z')}"
                + f"&endDateTime={quote(graph_time(end)['dateTime'] + 'Z')}"
            )
        found: dict[str, EventChange] = {}
        for _ in range(MAX_PAGES):
            response = await self.api.request(
                "GET", url, headers={"Prefer": f"{UTC_PREFER}, odata.maxpagesize=100"}
            )
            if response.status_code == 410 or (
                response.status_code in (400, 404)
                and any(code in response.text[:2000] for code in _RESYNC_CODES)
            ):
                raise SyncCursorExpired(
                    f"microsoft delta token expired ({error_detail(response)}); full resync needed"
                )
            if response.status_code == 404:
                raise NotFoundAtProvider(f"microsoft calendar {calendar_id!r} not found")
            raise_for_status(response, "microsoft", "calendarView delta")
            try:
                body = response.json()
            except ValueError:
                raise InvalidResponse("microsoft delta: the answer is not JSON") from None
            if not isinstance(body, dict):
                raise InvalidResponse("microsoft delta: the answer is not an object")
            for item in _values(body, "delta"):
                change = delta_change(item, self.zone)
                if change is not None:
                    found.pop(change.external_id, None)
                    found[change.external_id] = change.clipped(start, end)
            if body.get("@odata.nextLink"):
                url = str(body["@odata.nextLink"])
                continue
            delta_link = body.get("@odata.deltaLink")
            if not isinstance(delta_link, str) or not delta_link:
                raise InvalidResponse("microsoft delta: last page has no @odata.deltaLink")
            self.api.url(delta_link)  # refuse a cursor outside the Graph base now, not later
            return ChangeSet(tuple(found.values()), delta_link, full=cursor is None)
        raise InvalidResponse("microsoft delta: too many pages")


def _schedule_busy(item: dict[str, Any], start: datetime, end: datetime) -> list[BusyTime]:
    """The busy times of one getSchedule answer, clipped to [start, end)."""
    found: list[BusyTime] = []
    for schedule_item in item.get("scheduleItems") or []:
        if not isinstance(schedule_item, dict):
            raise InvalidResponse("microsoft getSchedule: item is not an object")
        item_start = max(parse_graph_time(schedule_item.get("start"), "schedule item"), start)
        item_end = min(parse_graph_time(schedule_item.get("end"), "schedule item"), end)
        found.extend(busy_from_status(schedule_item.get("status"), item_start, item_end, None))
    return found


def _values(body: dict[str, Any], what: str) -> list[Any]:
    values = body.get("value")
    if not isinstance(values, list):
        raise InvalidResponse(f"microsoft {what}: no value list in the answer")
    return values
