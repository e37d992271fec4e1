"""Busy periods from iCalendar data (expanded events or a VFREEBUSY reply) for the slot finder.

Calendar data is read as a mainstream client shows it (the way recurring-ical-events and
icalendar read it); what cannot be read becomes an unknown period, never free time."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]
from dateutil import rrule as dateutil_rrule  # type: ignore[import-untyped]

from planner.domain.availability import BusyPeriod, local_instant, wall_clock_to_utc, zone_named
from planner.domain.intervals import TimeInterval

MAX_CALENDAR_CHARS = 5_000_000
MAX_EVENTS = 20_000
# Occurrences one calendar object may have inside a window; past that it is unreadable data.
MAX_OCCURRENCES = 5_000
MAX_WINDOW = timedelta(days=400)
MAX_REASON_CHARS = 200
# Rules repeating more often than daily are counted before they are expanded.
_SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
# The widest UTC offset any zone has had (+14:00, -12:00, with historical LMT margins):
# occurrences of floating and all-day values are searched this far beyond the window.
_ZONE_MARGIN = timedelta(hours=15)

# What icalendar, dateutil and recurring-ical-events raise on malformed input (their own
# errors subclass ValueError); all of it becomes unreadable data, never a crash.
_LIBRARY_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    NotImplementedError,
)


class CalendarDataError(ValueError):
    """iCalendar data that cannot be read as busy times (malformed, hostile or too large)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class UnknownPeriod:
    """A stretch of time (UTC, [start, end)) whose busy state could not be read, and why.

    Availability there is unknown, never free."""

    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class BusyReading:
    """What one calendar object (or answer) says: busy periods sorted by start, the periods
    that could not be read, and how many of its events (series) were unreadable."""

    busy: tuple[BusyPeriod, ...] = ()
    unknown: tuple[UnknownPeriod, ...] = ()
    unreadable: int = 0

    @property
    def complete(self) -> bool:
        """Whether everything in the data was read."""
        return not self.unknown and not self.unreadable


def _describe(error: BaseException | str) -> str:
    text = (error if isinstance(error, str) else str(error)) or type(error).__name__
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS] + "…"


# ------------------------------------------------------------------------------- parsing

_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def _repair_timezones(text: str) -> str:
    """The text with Outlook-style VTIMEZONE rules that lack TZOFFSETFROM given one equal
    to their TZOFFSETTO (Outlook for Mac writes `TZID:(UTC+10:00) Brisbane` this way;
    RFC 5545 section 3.6.5 requires both). Folded lines are unfolded first."""
    lines = _LINE_BREAK.split(text.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", ""))
    repaired: list[str] = []
    rule: list[str] | None = None
    depth_in_timezone = False
    for line in lines:
        upper = line.upper()
        if upper.startswith("BEGIN:VTIMEZONE"):
            depth_in_timezone = True
        elif upper.startswith("END:VTIMEZONE"):
            depth_in_timezone = False
        if depth_in_timezone and upper in ("BEGIN:STANDARD", "BEGIN:DAYLIGHT"):
            rule = [line]
            continue
        if rule is not None:
            if upper in ("END:STANDARD", "END:DAYLIGHT"):
                names = {entry.split(":", 1)[0].split(";", 1)[0].upper() for entry in rule}
                if "TZOFFSETFROM" not in names:
                    to = next((e for e in rule if e.upper().startswith("TZOFFSETTO")), None)
                    if to is not None:
                        rule.append("TZOFFSETFROM" + to[len("TZOFFSETTO") :])
                repaired.extend(rule)
                repaired.append(line)
                rule = None
                continue
            rule.append(line)
            continue
        repaired.append(line)
    return "\r\n".join(repaired)


def _clear_timezone_cache() -> None:
    """Forget VTIMEZONE definitions cached by icalendar from earlier calendars: a TZID is
    only a name, and one calendar's definition must not change how another is read."""
    provider = getattr(icalendar.timezone, "tzp", None)
    cache = getattr(provider, "_TZP__tz_cache", None)
    if isinstance(cache, dict):
        cache.clear()


def _parse(calendar: str | bytes | icalendar.Calendar) -> icalendar.Calendar:
    if isinstance(calendar, icalendar.Calendar):
        return calendar
    if not isinstance(calendar, str | bytes):
        raise CalendarDataError(f"expected iCalendar text, got {type(calendar).__name__}")
    if len(calendar) > MAX_CALENDAR_CHARS:
        raise CalendarDataError(f"calendar data larger than {MAX_CALENDAR_CHARS} characters")
    _clear_timezone_cache()
    try:
        parsed = icalendar.Calendar.from_ical(calendar)
    except _LIBRARY_ERRORS as first_error:
        try:
            text = calendar.decode("utf-8") if isinstance(calendar, bytes) else calendar
            parsed = icalendar.Calendar.from_ical(_repair_timezones(text))
        except (*_LIBRARY_ERRORS, UnicodeDecodeError):
            raise CalendarDataError(
                f"not valid iCalendar data: {_describe(first_error)}"
            ) from first_error
    if not isinstance(parsed, icalendar.Calendar) or parsed.name != "VCALENDAR":
        raise CalendarDataError("iCalendar data must be one VCALENDAR")
    return parsed


def _window_bounds(window: TimeInterval) -> tuple[datetime, datetime]:
    if not isinstance(window, TimeInterval):
        raise CalendarDataError("the window must be a TimeInterval")
    if window.duration > MAX_WINDOW:
        raise CalendarDataError(f"the window may span at most {MAX_WINDOW.days} days")
    return window.start, window.end


def instant(value: object, zone: ZoneInfo, *, is_end: bool = False) -> datetime:
    """A DATE or DATE-TIME value as a UTC datetime.

    RFC 5545 section 3.3.5: a date-time without a zone ("floating") means the same wall
    clock everywhere, i.e. the calendar owner's; a DATE is the owner's whole local day, from
    local midnight (DST gaps and folds resolved as in `wall_clock_to_utc`). Raises
    CalendarDataError for anything else."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return wall_clock_to_utc(value, zone, later_fold=is_end)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return local_instant(value, 0, zone, later_fold=is_end)
    raise CalendarDataError(f"expected a date or date-time, got {type(value).__name__}")


def _value(component: icalendar.Component, name: str) -> object:
    """The decoded value of a date, date-time, duration or period property, or None when
    it is absent or unreadable (icalendar keeps a broken value and raises on access)."""
    found = component.get(name)
    if isinstance(found, list):
        found = found[0] if found else None
    try:
        return getattr(found, "dt", None)
    except _LIBRARY_ERRORS:
        return None


def _address(value: object) -> str:
    return str(value).strip().lower().removeprefix("mailto:")


def _owner_participation(event: icalendar.Component, owner: str | None) -> str | None:
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


# ------------------------------------------------------------------------------- extents


def _component_extent(
    component: icalendar.Component, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None, bool]:
    """(earliest start, latest end, open-ended) of what one VEVENT can occupy, read without
    expanding anything; None where a value is unreadable."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for name in ("DTSTART", "RECURRENCE-ID", "DTEND"):
        try:
            value = _value(component, name)
            if value is not None:
                moment = instant(value, zone, is_end=name == "DTEND")
                (ends if name == "DTEND" else starts).append(moment)
        except (CalendarDataError, *_LIBRARY_ERRORS):
            continue
    repeats = component.get("RRULE") is not None or component.get("RDATE") is not None
    if not starts:
        return None, None, True
    start, end = min(starts + ends), max(starts + ends)
    duration = _value(component, "DURATION")
    if isinstance(duration, timedelta):
        # A negative DURATION is read like an end before the start: swapped.
        end = max(end, max(starts) + abs(duration))
        if duration < timedelta(0):
            start = min(start, min(starts) - abs(duration))
    elif not ends:
        end = max(end, max(starts) + timedelta(days=1))
    return start, end, repeats


def _extent(
    components: Iterable[icalendar.Component], zone: ZoneInfo, window: tuple[datetime, datetime]
) -> tuple[datetime, datetime]:
    """The part of `window` that these components could occupy (all of it when their times
    cannot be read or a rule repeats them without a readable end)."""
    window_start, window_end = window
    lows: list[datetime] = []
    highs: list[datetime] = []
    for component in components:
        start, end, repeats = _component_extent(component, zone)
        if start is None or end is None:
            return window
        lows.append(start)
        highs.append(window_end if repeats else end)
    if not lows:
        return window
    start, end = max(min(lows), window_start), min(max(highs), window_end)
    if end <= start:
        # Nothing in the window by its own times; a moved occurrence may still land there.
        return window
    return start, end


# ------------------------------------------------------------------------------- events


class _TooMany(Exception):
    """More occurrences than the cap inside the window."""


def _rule_counts_exceed(
    components: Iterable[icalendar.Component], local_start: datetime, local_end: datetime, cap: int
) -> bool:
    """Whether a rule repeating more often than daily has more than `cap` occurrences
    before the window ends, counted with dateutil (microseconds per occurrence) before
    recurring-ical-events builds a component for each (milliseconds)."""
    for component in components:
        rules = component.get("RRULE")
        dtstart = _value(component, "DTSTART")
        if not isinstance(dtstart, datetime):
            continue
        for rule in rules if isinstance(rules, list) else [rules]:
            if rule is None or not hasattr(rule, "get"):
                continue
            if not {str(f).upper() for f in rule.get("FREQ", [])} & _SUB_DAILY:
                continue
            try:
                expanded = dateutil_rrule.rrulestr(rule.to_ical().decode(), dtstart=dtstart)
                aware = dtstart.tzinfo is not None
                start = local_start if aware else local_start.replace(tzinfo=None)
                end = local_end if aware else local_end.replace(tzinfo=None)
                count = 0
                for moment in expanded:
                    if moment > end:
                        break
                    if moment >= start:
                        count += 1
                        if count > cap:
                            return True
            except _LIBRARY_ERRORS:
                continue  # recurring-ical-events decides whether the rule is readable
    return False


def _occurrences(
    calendar: icalendar.Calendar,
    components: list[icalendar.Component],
    local_start: datetime,
    local_end: datetime,
    cap: int,
) -> list[icalendar.Component]:
    """The occurrences of the calendar's events overlapping [local_start, local_end]
    (recurring-ical-events' `between`, in the owner's zone so that floating and all-day
    values are read in it), at most `cap` of them."""
    if _rule_counts_exceed(components, local_start, local_end, cap):
        raise _TooMany
    found = recurring_ical_events.of(calendar).between(local_start, local_end)
    if len(found) > cap:
        raise _TooMany
    return list(found)


def _busy_of(
    occurrences: Iterable[icalendar.Component],
    zone: ZoneInfo,
    window: tuple[datetime, datetime],
    owner: str | None,
) -> list[BusyPeriod]:
    window_start, window_end = window
    periods: list[BusyPeriod] = []
    for event in occurrences:
        status = str(event.get("STATUS", "CONFIRMED")).upper()
        if status == "CANCELLED":
            continue
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        participation = _owner_participation(event, owner)
        if participation == "DECLINED":
            continue
        start = instant(event.start, zone, is_end=False)  # type: ignore[attr-defined]
        end = instant(event.end, zone, is_end=True)  # type: ignore[attr-defined]
        start, end = max(start, window_start), min(end, window_end)
        if end <= start:
            continue
        tentative = status == "TENTATIVE" or participation in {"TENTATIVE", "NEEDS-ACTION"}
        periods.append(BusyPeriod(start, end, tentative))
    return periods


def _sub_calendar(
    calendar: icalendar.Calendar, events: list[icalendar.Component]
) -> icalendar.Calendar:
    """A calendar with the same properties and time zones holding only `events`."""
    part = icalendar.Calendar()
    if "CALSCALE" in calendar:
        part["CALSCALE"] = calendar["CALSCALE"]
    for timezone in calendar.walk("VTIMEZONE"):
        part.add_component(timezone)
    for event in events:
        part.add_component(event)
    return part


def _uid(component: icalendar.Component) -> str:
    return str(component.get("UID", f"without UID #{id(component)}"))


def _read_series(
    calendar: icalendar.Calendar,
    events: list[icalendar.Component],
    *,
    zone: ZoneInfo,
    window: tuple[datetime, datetime],
    local: tuple[datetime, datetime],
    owner: str | None,
    cap: int,
) -> tuple[list[BusyPeriod], list[UnknownPeriod], int]:
    """One series (the events sharing a UID: the rule and its moved occurrences), salvaged
    as far as possible: a moved occurrence that cannot be read is left out and its times
    become unknown, so that one bad override never blinds the whole series."""
    uid = _describe(_uid(events[0]))
    try:
        found = _occurrences(_sub_calendar(calendar, events), events, *local, cap)
        return _busy_of(found, zone, window, owner), [], 0
    except _TooMany:
        start, end = _extent(events, zone, window)
        reason = f"event {uid} repeats more than {cap} times in the window"
        return [], [UnknownPeriod(start, end, reason)], 1
    except (CalendarDataError, *_LIBRARY_ERRORS) as error:
        series_error: BaseException = error
    masters = [e for e in events if e.get("RECURRENCE-ID") is None]
    moved = [e for e in events if e.get("RECURRENCE-ID") is not None]
    if masters and moved:
        bad = []
        for override in moved:
            try:
                _occurrences(_sub_calendar(calendar, [override]), [override], *local, cap)
            except (_TooMany, CalendarDataError, *_LIBRARY_ERRORS):
                bad.append(override)
        if bad and len(bad) < len(moved) + 1:
            good = masters + [e for e in moved if e not in bad]
            try:
                found = _occurrences(_sub_calendar(calendar, good), good, *local, cap)
            except (_TooMany, CalendarDataError, *_LIBRARY_ERRORS):
                pass
            else:
                unknown = []
                for override in bad:
                    start, end = _extent([override], zone, window)
                    unknown.append(
                        UnknownPeriod(
                            start, end, f"a moved occurrence of event {uid} is unreadable"
                        )
                    )
                return _busy_of(found, zone, window, owner), unknown, len(bad)
    start, end = _extent(events, zone, window)
    reason = f"event {uid} is unreadable: {_describe(series_error)}"
    return [], [UnknownPeriod(start, end, reason)], 1


def read_events(
    calendar: str | bytes | icalendar.Calendar,
    *,
    window: TimeInterval,
    time_zone: str,
    owner_email: str | None,
    max_occurrences: int | None = None,
) -> BusyReading:
    """The owner's busy periods inside `window` from a calendar object's events, and the
    periods that could not be read.

    Recurring events are expanded by recurring-ical-events (RRULE, RDATE, EXDATE,
    RECURRENCE-ID) over the window read in the owner's `time_zone`, so that floating times
    and all-day (DATE) values mean the owner's wall clock and local days (RFC 5545 3.3.5,
    3.3.4) and are found whatever UTC hour the window starts at. Transparent events,
    cancelled events and occurrences, and events the owner declined take no time; a
    tentative event, or one the owner accepted tentatively or has not answered, is soft.

    What mainstream clients show is salvaged as the libraries read it (an end before the
    start is swapped, an Outlook VTIMEZONE without TZOFFSETFROM gets one). A series that
    still cannot be read, or repeats more than `max_occurrences` times in the window,
    becomes an UnknownPeriod over the part of the window it could occupy. Raises
    CalendarDataError only when nothing can be read at all (not iCalendar, too large)."""
    zone = zone_named(time_zone)
    window_start, window_end = _window_bounds(window)
    cap = MAX_OCCURRENCES if max_occurrences is None else max_occurrences
    owner = _address(owner_email) if owner_email else None
    parsed = _parse(calendar)
    events = parsed.walk("VEVENT")
    if len(events) > MAX_EVENTS:
        raise CalendarDataError(f"more than {MAX_EVENTS} events in one calendar")
    bounds = (window_start, window_end)
    local = (
        (window_start - _ZONE_MARGIN).astimezone(zone),
        (window_end + _ZONE_MARGIN).astimezone(zone),
    )
    busy: list[BusyPeriod] = []
    unknown: list[UnknownPeriod] = []
    unreadable = 0
    try:
        found = _occurrences(parsed, events, *local, cap)
        busy = _busy_of(found, zone, bounds, owner)
    except (_TooMany, CalendarDataError, *_LIBRARY_ERRORS):
        # Something in the calendar cannot be read: read it series by series.
        series: dict[str, list[icalendar.Component]] = {}
        for event in events:
            series.setdefault(_uid(event), []).append(event)
        busy = []
        for members in series.values():
            read, lost, bad = _read_series(
                parsed, members, zone=zone, window=bounds, local=local, owner=owner, cap=cap
            )
            busy.extend(read)
            unknown.extend(lost)
            unreadable += bad
    busy.sort(key=lambda period: (period.start, period.end, period.tentative))
    unknown.sort(key=lambda period: (period.start, period.end))
    return BusyReading(tuple(busy), tuple(unknown), unreadable)


def busy_periods_from_events(
    calendar: str | bytes | icalendar.Calendar,
    *,
    window: TimeInterval,
    time_zone: str,
    owner_email: str | None,
) -> tuple[BusyPeriod, ...]:
    """The owner's busy periods inside `window` (see `read_events`), sorted by start;
    raises CalendarDataError naming the first problem when any part could not be read."""
    reading = read_events(calendar, window=window, time_zone=time_zone, owner_email=owner_email)
    if reading.unknown:
        raise CalendarDataError(reading.unknown[0].reason)
    return reading.busy


def calendar_extent(
    calendar: str | bytes, *, window: TimeInterval, time_zone: str
) -> tuple[datetime, datetime]:
    """The part of `window` (UTC) a calendar object's events could occupy, read without
    expanding any rule: what becomes unknown when reading the object fails or takes too
    long. The whole window when the data cannot be parsed."""
    zone = zone_named(time_zone)
    bounds = _window_bounds(window)
    try:
        parsed = _parse(calendar)
        return _extent(parsed.walk("VEVENT"), zone, bounds)
    except (CalendarDataError, *_LIBRARY_ERRORS):
        return bounds


# ------------------------------------------------------------------------------- free/busy


def _freebusy_kind(component: icalendar.Component, value: object = None) -> str:
    params = getattr(value, "params", None) or {}
    kind = params.get("FBTYPE") if value is not None else component.get("FBTYPE")
    return str(kind or "BUSY").strip().upper()


def busy_periods_from_freebusy(
    calendar: str | bytes | icalendar.Calendar,
    *,
    time_zone: str,
    window: TimeInterval | None = None,
) -> tuple[BusyPeriod, ...]:
    """The busy periods of a VFREEBUSY reply (e.g. a CalDAV free-busy-query), sorted.

    RFC 5545 section 3.6.4: FREEBUSY periods may be start/end or start/duration and
    comma-separated; FBTYPE=FREE is ignored, BUSY-TENTATIVE is soft, BUSY,
    BUSY-UNAVAILABLE and unknown (X-) types are hard. Dialects read as well: one VFREEBUSY
    per busy interval with its DTSTART/DTEND (or DURATION) and FBTYPE on the component
    (Radicale before 3.2); several VFREEBUSY components without FREEBUSY lines, each an
    interval; floating times (read in `time_zone`). A lone VFREEBUSY spanning the query
    with no FREEBUSY line is a free calendar. Raises CalendarDataError for an answer
    without any VFREEBUSY, or with a period that cannot be read: unknown, never free."""
    zone = zone_named(time_zone)
    bounds = _window_bounds(window) if window is not None else None
    parsed = _parse(calendar)
    components = parsed.walk("VFREEBUSY")
    if not components:
        raise CalendarDataError("the free-busy answer has no VFREEBUSY component")
    periods: list[BusyPeriod] = []

    def add(start: datetime, end: datetime, kind: str) -> None:
        if end < start:
            raise CalendarDataError(f"FREEBUSY period ends before it starts: {start}")
        if kind == "FREE":
            return
        if bounds is not None:
            start, end = max(start, bounds[0]), min(end, bounds[1])
        if end <= start:
            return
        if len(periods) >= MAX_OCCURRENCES:
            raise CalendarDataError(f"more than {MAX_OCCURRENCES} FREEBUSY periods")
        periods.append(BusyPeriod(start, end, kind == "BUSY-TENTATIVE"))

    try:
        for component in components:
            values = component.get("FREEBUSY")
            if values is not None:
                for value in values if isinstance(values, list) else [values]:
                    period = getattr(value, "dt", None)
                    if not isinstance(period, tuple) or len(period) != 2:
                        raise CalendarDataError(
                            f"unreadable FREEBUSY value {_describe(str(value))}"
                        )
                    start_value, end_or_duration = period
                    start = instant(start_value, zone)
                    if isinstance(end_or_duration, timedelta):
                        end = start + end_or_duration
                    else:
                        end = instant(end_or_duration, zone, is_end=True)
                    add(start, end, _freebusy_kind(component, value))
                continue
            per_interval = component.get("FBTYPE") is not None or len(components) > 1
            if not per_interval:
                continue  # the query range of a free calendar
            start_value = _value(component, "DTSTART")
            if start_value is None:
                raise CalendarDataError("a VFREEBUSY interval has no DTSTART")
            start = instant(start_value, zone)
            duration = _value(component, "DURATION")
            end_value = _value(component, "DTEND")
            if end_value is not None:
                end = instant(end_value, zone, is_end=True)
            elif isinstance(duration, timedelta):
                end = start + duration
            else:
                raise CalendarDataError("a VFREEBUSY interval has neither DTEND nor DURATION")
            add(start, end, _freebusy_kind(component))
    except CalendarDataError:
        raise
    except _LIBRARY_ERRORS as error:
        raise CalendarDataError(f"unreadable FREEBUSY period: {_describe(error)}") from error
    periods.sort(key=lambda period: (period.start, period.end, period.tentative))
    return tuple(periods)
