"""Google Calendar JSON <-> Planner shapes: event bodies, busy times, ids."""

import base64
import hashlib
import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from planner.domain.availability import local_instant
from planner.integrations.calendar.base import (
    BusyTime,
    EventChange,
    EventRef,
    EventRequest,
    InvalidResponse,
    UnknownTime,
)

# Unknown times of an event that cannot be read run over the whole polled window: the
# provider clips them to it (EventChange.clipped).
ALL_TIME = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))

_BASE32HEX_ID = re.compile(r"^[a-v0-9]{5,1024}$")


def google_event_id(key: str) -> str:
    """The Google event id for a Planner event key: the key itself when it already is
    base32hex (a-v, 0-9, 5-1024 chars), else a stable base32hex digest of it, so that a
    retried insert names the same event."""
    if _BASE32HEX_ID.match(key):
        return key
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def rfc3339(moment: datetime) -> str:
    """A UTC RFC 3339 timestamp with Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(value: Any, zone: ZoneInfo, what: str) -> datetime:
    """A Google `{dateTime}` or `{date}` as UTC. An all-day `date` is the owner's local
    day from local midnight (DST gaps resolved as the domain does); a `dateTime` without
    an offset is read in its `timeZone` (Windows-free IANA names, Google's documentation)."""
    if not isinstance(value, dict):
        raise InvalidResponse(f"google {what}: missing start or end")
    try:
        if "dateTime" in value:
            moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(str(value.get("timeZone") or "UTC")))
            return moment.astimezone(UTC)
        if "date" in value:
            day = date.fromisoformat(str(value["date"]))
            return local_instant(day, 0, zone)
    except (ValueError, KeyError) as error:
        raise InvalidResponse(f"google {what}: unreadable time ({error})") from None
    raise InvalidResponse(f"google {what}: neither dateTime nor date")


def parse_period(value: Any, what: str) -> tuple[datetime, datetime]:
    """A freeBusy `{"start","end"}` period as UTC datetimes."""
    if not isinstance(value, dict):
        raise InvalidResponse(f"google {what}: busy period is not an object")
    zone = ZoneInfo("UTC")
    start = parse_instant({"dateTime": value.get("start")}, zone, what)
    end = parse_instant({"dateTime": value.get("end")}, zone, what)
    if end < start:
        raise InvalidResponse(f"google {what}: busy period ends before it starts")
    return start, end


def event_body(event: EventRequest, *, event_id: str | None, meet: bool) -> dict[str, Any]:
    """The events.insert / patch body for an interview (UTC times)."""
    description = event.description
    if event.meeting_url and event.meeting_url not in description:
        description = f"{description}\n\n{event.meeting_url}".strip()
    body: dict[str, Any] = {
        "summary": event.title,
        "description": description,
        "location": event.location or (event.meeting_url or ""),
        "start": {"dateTime": rfc3339(event.start), "timeZone": "UTC"},
        "end": {"dateTime": rfc3339(event.end), "timeZone": "UTC"},
        "attendees": [
            {"email": attendee.email, **({"displayName": attendee.name} if attendee.name else {})}
            for attendee in event.attendees
        ],
        "reminders": {"useDefault": True},
    }
    if event_id is not None:
        body["id"] = event_id
    if meet:
        body["conferenceData"] = {
            "createRequest": {
                # One request id per event: a retried insert asks for the same conference.
                "requestId": f"planner-{event_id or event.key}",
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        }
    return body


def conference_status(body: dict[str, Any]) -> str | None:
    """ "pending", "success", "failure" for a requested conference, None without one."""
    data = body.get("conferenceData")
    if not isinstance(data, dict):
        return None
    request = data.get("createRequest")
    if isinstance(request, dict):
        status = request.get("status")
        if isinstance(status, dict):
            return str(status.get("statusCode", "")) or None
    return "success" if data.get("entryPoints") else None


def meet_url(body: dict[str, Any]) -> str | None:
    """The video entry point of the event's conference (the Meet join link)."""
    data = body.get("conferenceData")
    if not isinstance(data, dict):
        return None
    for entry in data.get("entryPoints") or []:
        if isinstance(entry, dict) and entry.get("entryPointType") == "video":
            uri = entry.get("uri")
            return str(uri) if uri else None
    return None


def event_ref(body: dict[str, Any]) -> EventRef:
    """What Planner keeps of an event it wrote."""
    event_id = body.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise InvalidResponse("google event: the answer has no id")
    return EventRef(
        external_id=event_id,
        etag=body.get("etag") if isinstance(body.get("etag"), str) else None,
        meeting_url=meet_url(body),
        ical_uid=body.get("iCalUID") if isinstance(body.get("iCalUID"), str) else None,
    )


def event_change(body: Any, zone: ZoneInfo) -> EventChange | None:
    """An events.list item as a change: cancelled = removed; busy per Google's rules
    (transparent, declined and workingLocation take no time; tentative or unanswered is
    soft; outOfOffice is hard). None for an item without an id."""
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return None
    event_id = body["id"]
    if body.get("status") == "cancelled":
        return EventChange(external_id=event_id, removed=True)
    if body.get("transparency") == "transparent" or body.get("eventType") == "workingLocation":
        return EventChange(external_id=event_id)
    own = next(
        (a for a in body.get("attendees") or [] if isinstance(a, dict) and a.get("self")), None
    )
    response = own.get("responseStatus") if own else None
    if response == "declined":
        return EventChange(external_id=event_id)
    try:
        start = parse_instant(body.get("start"), zone, "event")
        end = parse_instant(body.get("end"), zone, "event")
    except InvalidResponse as exc:
        # This event is unknown over the window; the rest of the listing is still read.
        return EventChange(
            external_id=event_id,
            unknown=(UnknownTime(*ALL_TIME, reason=exc.message[:400], source_event_id=event_id),),
            unreadable=1,
        )
    if end < start:
        start, end = end, start  # as clients show an end before the start
    if end == start:
        return EventChange(external_id=event_id)
    tentative = body.get("eventType") != "outOfOffice" and (
        response in ("tentative", "needsAction") or body.get("status") == "tentative"
    )
    return EventChange(
        external_id=event_id,
        busy=(BusyTime(start, end, tentative=tentative, source_event_id=event_id),),
    )
