"""CalDAV data <-> Planner shapes: interview .ics bodies and busy times from iCalendar."""

from datetime import UTC, datetime

import icalendar
from icalendar import Event, vCalAddress

from planner.domain.availability import BusyPeriod
from planner.domain.busy import busy_periods_from_events, busy_periods_from_freebusy
from planner.domain.intervals import TimeInterval
from planner.integrations.calendar.base import BusyTime, EventRequest

PRODID = "-//Planner//Interview scheduler//EN"


def interview_ics(
    event: EventRequest, *, sequence: int, stamp: datetime, organizer: str | None
) -> str:
    """The stored calendar object for an interview: one VEVENT, UID = the event key, UTC
    times, no METHOD. Attendees carry SCHEDULE-AGENT=CLIENT: Planner mails the invitations
    itself, so the server must not send its own as well."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    vevent = Event.new(
        uid=event.key,
        sequence=sequence,
        stamp=stamp.astimezone(UTC),
        start=event.start.astimezone(UTC),
        end=event.end.astimezone(UTC),
        summary=event.title,
    )
    description = event.description
    if event.meeting_url and event.meeting_url not in description:
        description = f"{description}\n\n{event.meeting_url}".strip()
    if description:
        vevent.add("description", description)
    if event.location or event.meeting_url:
        vevent.add("location", event.location or event.meeting_url)
    if event.meeting_url:
        vevent.add("url", event.meeting_url)
    if organizer and event.attendees:
        vevent.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for attendee in event.attendees if organizer else ():
        address = vCalAddress(f"mailto:{attendee.email}")
        if attendee.name:
            address.params["CN"] = attendee.name
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["SCHEDULE-AGENT"] = "CLIENT"
        vevent.add("attendee", address)
    calendar.add_component(vevent)
    return calendar.to_ical().decode("utf-8")


def current_sequence(data: str) -> int:
    """The SEQUENCE of the stored event (0 when absent or unreadable)."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
        for vevent in calendar.walk("VEVENT"):
            return int(vevent.get("SEQUENCE", 0))
    except (ValueError, TypeError):
        return 0
    return 0


def _busy(periods: tuple[BusyPeriod, ...], source: str | None) -> tuple[BusyTime, ...]:
    return tuple(BusyTime(p.start, p.end, p.tentative, source) for p in periods)


def busy_from_freebusy(
    data: str, start: datetime, end: datetime, time_zone: str
) -> tuple[BusyTime, ...]:
    """Busy times of a free-busy REPORT answer (VFREEBUSY), clipped to [start, end)."""
    return _busy(
        busy_periods_from_freebusy(data, time_zone=time_zone, window=TimeInterval(start, end)),
        None,
    )


def busy_from_events(
    data: str,
    start: datetime,
    end: datetime,
    *,
    time_zone: str,
    owner_email: str | None,
    source: str | None,
) -> tuple[BusyTime, ...]:
    """Busy times of one calendar object's events in [start, end), recurrences expanded."""
    return _busy(
        busy_periods_from_events(
            data, window=TimeInterval(start, end), time_zone=time_zone, owner_email=owner_email
        ),
        source,
    )
