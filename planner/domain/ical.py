"""iCalendar for interviews: iMIP REQUEST and CANCEL (RFC 5546/6047) and the plain .ics download."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress

from planner.domain.text import normalise_multiline

PRODID = "-//Planner//Interview scheduler//EN"
# C0 and C1 controls, DEL and the Unicode line/paragraph separators: everything the e-mail
# library treats as a line break in a header, and more (planner/domain/text.py).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# An addr-spec without whitespace, control characters, quotes, angle brackets or separators
# that would let it escape a mailto: value or a header.
_ADDRESS = re.compile(r"^[^\s\"<>(),;:\\\[\]@]+@[^\s\"<>(),;:\\\[\]@]+$")


class Method(StrEnum):
    """The iTIP method of a mailed calendar; a download carries none."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


class AttendeeRole(StrEnum):
    CHAIR = "CHAIR"
    REQUIRED = "REQ-PARTICIPANT"


def single_line(text: str) -> str:
    """Text with every run of control characters (CR, LF, tab, NUL, NEL, U+2028...) turned
    into one space, and lone surrogates (not encodable) replaced."""
    return _CONTROL.sub(" ", text).encode("utf-8", "replace").decode("utf-8").strip()


def checked_address(address: str) -> str:
    """An e-mail address fit for a mailto: value; ValueError for anything else."""
    address = address.strip()
    if not _ADDRESS.match(address) or len(address) > 320:
        raise ValueError("not a plain e-mail address")
    return address


def event_uid(interview_uid: str, booking_id: int) -> str:
    """The UID of one booking's event: stable for the booking, so that its REQUEST and its
    CANCEL name the same event, and distinct per candidate of a group session."""
    return f"booking-{booking_id}.{interview_uid}"


@dataclass(frozen=True)
class CalendarPerson:
    """An organiser or attendee: an e-mail address and the name shown for it."""

    email: str
    name: str
    role: AttendeeRole = AttendeeRole.REQUIRED


@dataclass(frozen=True)
class InterviewEvent:
    """What the calendar entry of one booked interview says. Times are UTC instants."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    organizer: CalendarPerson
    attendees: tuple[CalendarPerson, ...]
    stamp: datetime
    description: str = ""
    location: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        for value in (self.start, self.end, self.stamp):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError("event times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("an event must end after it starts")
        if self.sequence < 0:
            raise ValueError("SEQUENCE cannot be negative")


def _address(person: CalendarPerson, *, organizer: bool) -> vCalAddress:
    email = checked_address(person.email)
    name = single_line(person.name) or email
    if organizer:
        return vCalAddress.new(email, cn=name)
    return vCalAddress.new(
        email, cn=name, role=person.role.value, partstat="NEEDS-ACTION", rsvp=True
    )


def _event(event: InterviewEvent, *, cancelled: bool) -> Event:
    attendees: list[vCalAddress] = []
    seen: set[str] = set()
    for person in event.attendees:
        key = checked_address(person.email).lower()
        if key not in seen:
            seen.add(key)
            attendees.append(_address(person, organizer=False))
    built = Event.new(
        uid=event.uid,
        sequence=event.sequence,
        stamp=event.stamp.astimezone(UTC),
        start=event.start.astimezone(UTC),
        end=event.end.astimezone(UTC),
        summary=single_line(event.summary),
        organizer=_address(event.organizer, organizer=True),
        attendees=attendees,
    )
    if event.description:
        built.add(
            "description",
            normalise_multiline(event.description.encode("utf-8", "replace").decode("utf-8")),
        )
    if event.location:
        built.add("location", single_line(event.location))
    if event.url and event.url.startswith(("https://", "http://")):
        built.add("url", single_line(event.url))
    built.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    built.add("transp", "OPAQUE")
    return built


def _calendar(event: Event, method: Method | None) -> Calendar:
    # Built by hand rather than Calendar.new(), which would add a VCALENDAR-level UID
    # that older clients do not expect.
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method.value)
    calendar.add_component(event)
    return calendar


def request_calendar(event: InterviewEvent) -> bytes:
    """The iMIP REQUEST that adds (or, with a higher SEQUENCE, updates) the event."""
    return _calendar(_event(event, cancelled=False), Method.REQUEST).to_ical()


def cancel_calendar(event: InterviewEvent) -> bytes:
    """The iMIP CANCEL that removes the event: the same UID, organiser and attendees,
    STATUS:CANCELLED; the caller passes a SEQUENCE higher than the last REQUEST's."""
    return _calendar(_event(event, cancelled=True), Method.CANCEL).to_ical()


def download_calendar(event: InterviewEvent) -> bytes:
    """The same event as a plain .ics file for "add to calendar" (no METHOD)."""
    return _calendar(_event(event, cancelled=False), None).to_ical()


def _utc_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(event: InterviewEvent) -> str:
    """A link that opens Google Calendar's "add event" form filled with the interview."""
    query = {
        "action": "TEMPLATE",
        "text": single_line(event.summary),
        "dates": f"{_utc_stamp(event.start)}/{_utc_stamp(event.end)}",
        "details": event.description,
        "location": single_line(event.location or event.url),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event: InterviewEvent) -> str:
    """A link that opens Outlook on the web's "new event" form filled with the interview."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": single_line(event.summary),
        "startdt": event.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": event.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": event.description,
        "location": single_line(event.location or event.url),
    }
    return "https://outlook.office.com/calendar/deeplink/compose?" + urlencode(query)
