"""Busy periods from iCalendar data (expanded events or a VFREEBUSY reply) for the slot finder."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]

from planner.domain.availability import BusyPeriod, local_instant, wall_clock_to_utc, zone_named
from planner.domain.intervals import TimeInterval

MAX_CALENDAR_CHARS = 5_000_000
MAX_EVENTS = 20_000
MAX_OCCURRENCES = 20_000
MAX_WINDOW = timedelta(days=400)
# A calendar repeating every minute or second is an attack or a bug, not someone's schedule;
# expanding it over weeks would produce millions of occurrences.
REFUSED_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY"})

# What icalendar and recurring-ical-events raise on malformed input (their own errors subclass
# ValueError); all of it becomes one CalendarDataError.
_LIBRARY_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)


class CalendarDataError(ValueError):
    """iCalendar data that cannot be read as busy times (malformed, hostile or too large)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _parse(calendar: str | bytes | icalendar.Calendar) -> icalendar.Calendar:
    if isinstance(calendar, icalendar.Calendar):
        return calendar
    if not isinstance(calendar, str | bytes):
        raise CalendarDataError(f"expected iCalendar text, got {type(calendar).__name__}")
    if len(calendar) > MAX_CALENDAR_CHARS:
        raise CalendarDataError(f"calendar data larger than {MAX_CALENDAR_CHARS} characters")
    try:
        parsed = icalendar.Calendar.from_ical(calendar)
    except _LIBRARY_ERRORS as error:
        raise CalendarDataError(f"not valid iCalendar data: {_describe(error)}") from error
    if not isinstance(parsed, icalendar.Calendar) or parsed.name != "VCALENDAR":
        raise CalendarDataError("iCalendar data must be one VCALENDAR")
    return parsed


def _window_bounds(window: TimeInterval) -> tuple[datetime, datetime]:
    if not isinstance(window, TimeInterval):
        raise CalendarDataError("the window must be a TimeInterval")
    if window.duration > MAX_WINDOW:
        raise CalendarDataError(f"the window may span at most {MAX_WINDOW.days} days")
    return window.start, window.end


def _instant(value: object, zone: ZoneInfo, *, is_end: bool) -> datetime:
    """A DATE or DATE-TIME value as UTC; dates and floating times are in the owner's zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return wall_clock_to_utc(value, zone, later_fold=is_end)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return local_instant(value, 0, zone, later_fold=is_end)
    raise CalendarDataError(f"expected a date or date-time, got {value!r}")


def _value(component: icalendar.Component, name: str) -> object:
    """The decoded value of a date, date-time, duration or period property, or None."""
    return getattr(component.get(name), "dt", None)


def _address(value: object) -> str:
    return str(value).strip().lower().removeprefix("mailto:")


def _owner_participation(event: icalendar.Event, owner: str | None) -> str | None:
    """The owner's PARTSTAT on the event, or None when the owner is not an attendee."""
    if owner is None:
        return None
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return None
    if not isinstance(attendees, list):
        attendees = [attendees]
    for attendee in attendees:
        if _address(attendee) == owner:
            params = getattr(attendee, "params", {})
            return str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()
    return None


def _check_events(calendar: icalendar.Calendar, zone: ZoneInfo) -> None:
    """Refuse calendars whose events cannot mean a busy time, before expanding anything."""
    events = calendar.walk("VEVENT")
    if len(events) > MAX_EVENTS:
        raise CalendarDataError(f"more than {MAX_EVENTS} events in one calendar")
    for event in events:
        uid = _describe(event.get("UID", "without UID"))
        if event.get("DTSTART") is None:
            raise CalendarDataError(f"event {uid} has no DTSTART")
        if event.get("DTEND") is not None:
            start = _instant(_value(event, "DTSTART"), zone, is_end=False)
            if _instant(_value(event, "DTEND"), zone, is_end=True) < start:
                raise CalendarDataError(f"event {uid} ends before it starts")
        duration = _value(event, "DURATION")
        if isinstance(duration, timedelta) and duration < timedelta(0):
            raise CalendarDataError(f"event {uid} has a negative DURATION")
        rules = event.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules]:
            if rule is None:
                continue
            for frequency in rule.get("FREQ", []):
                if str(frequency).upper() in REFUSED_FREQUENCIES:
                    raise CalendarDataError(f"event {uid} repeats too often (FREQ={frequency})")


def _occurrences(
    calendar: icalendar.Calendar, window_start: datetime, window_end: datetime
) -> Iterator[icalendar.Event]:
    """Expanded event occurrences overlapping the window in start order; refuses too many."""
    count = 0
    for occurrence in recurring_ical_events.of(calendar).after(window_start):
        value = _value(occurrence, "DTSTART")
        if value is not None:
            if isinstance(value, datetime) and value.tzinfo is not None:
                if value.astimezone(UTC) >= window_end:
                    return
            elif isinstance(value, date) and not isinstance(value, datetime):
                if value > window_end.date() + timedelta(days=1):
                    return
            elif isinstance(value, datetime) and value > window_end.replace(
                tzinfo=None
            ) + timedelta(days=1):
                return
        count += 1
        if count > MAX_OCCURRENCES:
            raise CalendarDataError(f"more than {MAX_OCCURRENCES} event occurrences in the window")
        yield occurrence


def busy_periods_from_events(
    calendar: str | bytes | icalendar.Calendar,
    *,
    window: TimeInterval,
    time_zone: str,
    owner_email: str | None,
) -> tuple[BusyPeriod, ...]:
    """The owner's busy periods inside `window` from a calendar's events, sorted by start.

    Recurring events are expanded (RRULE, EXDATE, RECURRENCE-ID); all-day and floating times
    are read in the owner's `time_zone`. Transparent events, cancelled events and cancelled
    single occurrences, and events the owner declined take no time; a tentative event, or one
    the owner accepted only tentatively or has not answered, is a soft (tentative) busy period.
    Anything malformed or hostile raises CalendarDataError, never a library exception."""
    zone = zone_named(time_zone)
    window_start, window_end = _window_bounds(window)
    owner = _address(owner_email) if owner_email else None
    parsed = _parse(calendar)
    periods: list[BusyPeriod] = []
    try:
        _check_events(parsed, zone)
        for event in _occurrences(parsed, window_start, window_end):
            status = str(event.get("STATUS", "CONFIRMED")).upper()
            if status == "CANCELLED":
                continue
            if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            participation = _owner_participation(event, owner)
            if participation == "DECLINED":
                continue
            start = _instant(event.start, zone, is_end=False)
            end = _instant(event.end, zone, is_end=True)
            start, end = max(start, window_start), min(end, window_end)
            if end <= start:
                continue
            tentative = status == "TENTATIVE" or participation in {"TENTATIVE", "NEEDS-ACTION"}
            periods.append(BusyPeriod(start, end, tentative))
    except CalendarDataError:
        raise
    except _LIBRARY_ERRORS as error:
        raise CalendarDataError(f"unreadable calendar event: {_describe(error)}") from error
    periods.sort(key=lambda period: (period.start, period.end, period.tentative))
    return tuple(periods)


def busy_periods_from_freebusy(
    calendar: str | bytes | icalendar.Calendar,
    *,
    time_zone: str,
    window: TimeInterval | None = None,
) -> tuple[BusyPeriod, ...]:
    """The busy periods of a VFREEBUSY reply (e.g. a CalDAV free-busy-query), sorted by start.

    FREEBUSY periods may be start/end or start/duration and comma-separated; FBTYPE=FREE is
    ignored, BUSY-TENTATIVE is soft, BUSY, BUSY-UNAVAILABLE and unknown types are hard.
    Floating times (not allowed by RFC 5545, but sent by some servers) are read in
    `time_zone`. Malformed data raises CalendarDataError."""
    zone = zone_named(time_zone)
    bounds = _window_bounds(window) if window is not None else None
    parsed = _parse(calendar)
    periods: list[BusyPeriod] = []
    try:
        for component in parsed.walk("VFREEBUSY"):
            values = component.get("FREEBUSY", [])
            for value in values if isinstance(values, list) else [values]:
                kind = str(value.params.get("FBTYPE", "BUSY")).upper()
                if kind == "FREE":
                    continue
                start_value, end_or_duration = getattr(value, "dt", (None, None))
                start = _instant(start_value, zone, is_end=False)
                if isinstance(end_or_duration, timedelta):
                    end = start + end_or_duration
                else:
                    end = _instant(end_or_duration, zone, is_end=True)
                if end < start:
                    raise CalendarDataError(f"FREEBUSY period ends before it starts: {start}")
                if bounds is not None:
                    start, end = max(start, bounds[0]), min(end, bounds[1])
                if end <= start:
                    continue
                if len(periods) >= MAX_OCCURRENCES:
                    raise CalendarDataError(f"more than {MAX_OCCURRENCES} FREEBUSY periods")
                periods.append(BusyPeriod(start, end, kind == "BUSY-TENTATIVE"))
    except CalendarDataError:
        raise
    except _LIBRARY_ERRORS as error:
        raise CalendarDataError(f"unreadable FREEBUSY period: {_describe(error)}") from error
    periods.sort(key=lambda period: (period.start, period.end, period.tentative))
    return tuple(periods)
