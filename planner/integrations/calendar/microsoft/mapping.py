"""Microsoft Graph JSON <-> Planner shapes: event bodies, schedule items, delta entries."""

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from planner.domain.availability import local_instant
from planner.integrations.calendar.base import (
    BusyTime,
    EventChange,
    EventRef,
    EventRequest,
    InvalidResponse,
    UnknownTime,
)

_FRACTION = re.compile(r"(\.\d{1,6})\d*")
# Graph's showAs / schedule item status: which take time, and which only softly.
_FREE = frozenset({"free", "workingelsewhere"})
_SOFT = frozenset({"tentative"})


def graph_time(moment: datetime) -> dict[str, str]:
    """A Graph dateTimeTimeZone in UTC."""
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _zone(name: str) -> ZoneInfo:
    olson = WINDOWS_TO_OLSON.get(name, name)
    try:
        return ZoneInfo(olson)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidResponse(f"microsoft: unknown time zone {name[:60]!r}") from None


def parse_graph_time(value: Any, what: str) -> datetime:
    """A Graph `{"dateTime": "2030-01-07T09:00:00.0000000", "timeZone": ...}` as UTC; Windows
    zone names are mapped to IANA ones."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise InvalidResponse(f"microsoft {what}: missing dateTime")
    text = _FRACTION.sub(lambda match: match.group(1), value["dateTime"].replace("Z", ""), 1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidResponse(f"microsoft {what}: unreadable dateTime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(str(value.get("timeZone") or "UTC")))
    return moment.astimezone(UTC)


def parse_graph_day(value: Any, zone: ZoneInfo, what: str) -> datetime:
    """The start of the owner's local day named by an all-day event's start or end.

    Graph returns an all-day event (`isAllDay: true`) with midnight dateTimes in whatever
    zone the request preferred (`"2030-01-07T00:00:00.0000000", "timeZone": "UTC"`), but
    it means the date in the calendar owner's zone, as Outlook shows it."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise InvalidResponse(f"microsoft {what}: missing dateTime")
    try:
        day = datetime.fromisoformat(value["dateTime"][:10]).date()
    except ValueError:
        raise InvalidResponse(f"microsoft {what}: unreadable dateTime") from None
    return local_instant(day, 0, zone)


def event_times(item: dict[str, Any], zone: ZoneInfo, what: str) -> tuple[datetime, datetime]:
    """An event's (start, end) in UTC; all-day events are the owner's local days."""
    if item.get("isAllDay") is True:
        return (
            parse_graph_day(item.get("start"), zone, what),
            parse_graph_day(item.get("end"), zone, what),
        )
    return parse_graph_time(item.get("start"), what), parse_graph_time(item.get("end"), what)


# Unknown times of an event that cannot be read run over the whole polled window: they are
# clipped to it (EventChange.clipped) by the provider.
ALL_TIME = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))


def unreadable_change(event_id: str, reason: str) -> EventChange:
    """An event whose times cannot be read: unknown over the whole window, never free."""
    return EventChange(
        external_id=event_id,
        unknown=(UnknownTime(*ALL_TIME, reason=reason[:400], source_event_id=event_id),),
        unreadable=1,
    )


def busy_from_status(
    status: Any, start: datetime, end: datetime, source: str | None
) -> tuple[BusyTime, ...]:
    """A schedule item or event's showAs as busy: free and workingElsewhere take no time,
    tentative is soft, busy, oof and unknown are hard (compared case-insensitively)."""
    kind = str(status or "busy").lower()
    if kind in _FREE or end <= start:
        return ()
    return (BusyTime(start, end, tentative=kind in _SOFT, source_event_id=source),)


def event_body(event: EventRequest, *, teams: bool, transaction_id: str | None) -> dict[str, Any]:
    """The POST/PATCH /events body for an interview."""
    content = event.description
    if event.meeting_url and event.meeting_url not in content:
        content = f"{content}\n\n{event.meeting_url}".strip()
    body: dict[str, Any] = {
        "subject": event.title,
        "body": {"contentType": "text", "content": content},
        "start": graph_time(event.start),
        "end": graph_time(event.end),
        "location": {"displayName": event.location or (event.meeting_url or "")},
        "attendees": [
            {
                "emailAddress": {
                    "address": attendee.email,
                    "name": attendee.name or attendee.email,
                },
                "type": "required",
            }
            for attendee in event.attendees
        ],
    }
    if transaction_id is not None:
        body["transactionId"] = transaction_id
    if teams:
        body["isOnlineMeeting"] = True
        body["onlineMeetingProvider"] = "teamsForBusiness"
    return body


def join_url(body: dict[str, Any]) -> str | None:
    """The Teams join link of an event, if Graph made one."""
    meeting = body.get("onlineMeeting")
    if isinstance(meeting, dict) and meeting.get("joinUrl"):
        return str(meeting["joinUrl"])
    return None


def event_ref(body: dict[str, Any]) -> EventRef:
    """What Planner keeps of an event it wrote."""
    event_id = body.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise InvalidResponse("microsoft event: the answer has no id")
    etag = body.get("@odata.etag")
    uid = body.get("iCalUId")
    return EventRef(
        external_id=event_id,
        etag=etag if isinstance(etag, str) else None,
        meeting_url=join_url(body),
        ical_uid=uid if isinstance(uid, str) else None,
    )


def delta_change(item: Any, zone: ZoneInfo | None = None) -> EventChange | None:
    """A calendarView delta entry as a change (`@removed` and cancelled = removed).

    All-day events are read in the owner's `zone` (see `parse_graph_day`); an event whose
    times cannot be read is unknown over the window, and the rest of the delta is kept."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    event_id = item["id"]
    if "@removed" in item or item.get("isCancelled"):
        return EventChange(external_id=event_id, removed=True)
    try:
        start, end = event_times(item, zone or ZoneInfo("UTC"), "event")
    except InvalidResponse as exc:
        return unreadable_change(event_id, exc.message)
    if end < start:
        start, end = end, start  # as clients show an end before the start
    return EventChange(
        external_id=event_id, busy=busy_from_status(item.get("showAs"), start, end, event_id)
    )
