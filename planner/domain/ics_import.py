"""Reading an .ics export of the previous calendar into appointments, refusing hostile files.

The file is checked line by line first (size, encoding, content lines, nesting, time-zone
definitions), so that a broken or hostile file is refused with the line or event at fault
before anything is expanded; icalendar then parses it and recurring-ical-events expands the
recurring events inside a bounded window. Either the whole file is read or an
`IcsImportError` says why not: nothing is imported half-way.

Rules taken from RFC 5545: content lines and folding (3.1), components (3.4, 3.6.1 - an
event without DTEND or DURATION lasts one day for a DATE start and no time for a DATE-TIME
start), floating times (3.3.5 - read in the importing user's zone), RECURRENCE-ID (3.8.4.4).
Outlook writes Windows zone names (TZID:W. Europe Standard Time); they are read as the IANA
zone of the CLDR mapping that icalendar ships (icalendar.timezone.windows_to_olson)."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_EVENTS = 20_000  # VEVENT components in one file
MAX_OCCURRENCES = 25_000  # appointments in one file, recurring events expanded
MAX_OCCURRENCES_PER_EVENT = 1_500  # a daily event over the whole window fits
MAX_RULE_STEPS = 200_000  # steps a recurrence rule may take from its start to the window's end
MAX_DEPTH = 3  # VCALENDAR > VEVENT > VALARM, VCALENDAR > VTIMEZONE > STANDARD
MAX_ZONE_RULES = 60  # STANDARD/DAYLIGHT parts of one VTIMEZONE
MAX_PEOPLE = 100  # attendees kept per appointment
# Recurring events are expanded from a year back to two years ahead of the import.
WINDOW_BEFORE = timedelta(days=366)
WINDOW_AFTER = timedelta(days=731)

_NAME = re.compile(r"^[A-Za-z0-9-]+[;:]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_PERIOD_DAYS = {"YEARLY": 365.0, "MONTHLY": 28.0, "WEEKLY": 7.0, "DAILY": 1.0, "HOURLY": 1 / 24}
# RFC 5545 3.3.10: a BYxxx part adds occurrences only when it is finer than the frequency
# (BYDAY in a weekly rule); otherwise it only removes some (BYMONTH in a daily rule).
_EXPANDS = {
    "BYMONTH": ("YEARLY",),
    "BYWEEKNO": ("YEARLY",),
    "BYYEARDAY": ("YEARLY",),
    "BYMONTHDAY": ("YEARLY", "MONTHLY"),
    "BYDAY": ("YEARLY", "MONTHLY", "WEEKLY"),
    "BYHOUR": ("YEARLY", "MONTHLY", "WEEKLY", "DAILY"),
    "BYMINUTE": ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"),
}


class Problem(StrEnum):
    """Why a file cannot be imported; the page words each one (planner/state/imports.py)."""

    TOO_LARGE = "too_large"
    EMPTY = "empty"
    ENCODING = "encoding"
    NOT_ICALENDAR = "not_icalendar"
    BAD_LINE = "bad_line"
    CONTROL_CHARACTER = "control_character"
    NESTING = "nesting"
    UNBALANCED = "unbalanced"
    UNREADABLE = "unreadable"
    NO_EVENTS = "no_events"
    NO_START = "no_start"
    BAD_TIME = "bad_time"
    ENDS_BEFORE_START = "ends_before_start"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    TIME_ZONE_RULES = "time_zone_rules"
    TOO_MANY_OCCURRENCES = "too_many_occurrences"
    TOO_MANY_EVENTS = "too_many_events"


class IcsImportError(Exception):
    """A file that cannot be imported: `problem`, the 1-based `line` where it is (0 when no
    single line is at fault), the event's title `event` where one is, and `values` for the
    message (sizes in MB, limits, a zone name)."""

    def __init__(
        self, problem: Problem, *, line: int = 0, event: str = "", **values: object
    ) -> None:
        super().__init__(f"{problem.value} at line {line}")
        self.problem = problem
        self.line = line
        self.event = event
        self.values = values


@dataclass(frozen=True, slots=True)
class Person:
    """Someone an appointment names: e-mail in lower case (may be ""), display name."""

    email: str
    name: str


@dataclass(frozen=True, slots=True)
class Appointment:
    """One occurrence of an event of the file. `occurrence` is "" for a single event, else
    the occurrence's original start (RECURRENCE-ID) in UTC, ISO 8601; times are aware UTC;
    `line` is where the event begins in the file."""

    uid: str
    occurrence: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    location: str
    people: tuple[Person, ...]
    line: int
    fingerprint: str = field(default="")


@dataclass(frozen=True, slots=True)
class ParsedCalendar:
    """What a file holds: its appointments by start, how many VEVENTs it has, and how many
    of them repeated another's UID (the later or higher SEQUENCE one is kept)."""

    appointments: tuple[Appointment, ...]
    events: int
    duplicates_in_file: int


def one_line(value: object, limit: int) -> str:
    """Text as one line: control characters and line breaks (escaped CRLF in a SUMMARY
    included) become spaces, runs of space one, cut to `limit` characters."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", str(value or ""))).strip()
    return text[:limit]


# --- checking the lines ------------------------------------------------------------------


@dataclass
class _Scan:
    event_lines: list[int]
    zones: dict[str, int]


def decode_text(data: bytes) -> str:
    """The text of an .ics file: UTF-8 (a byte-order mark dropped) or UTF-16 with a
    byte-order mark. Raises IcsImportError (ENCODING, with the line) otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise IcsImportError(Problem.ENCODING, line=1) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IcsImportError(Problem.ENCODING, line=line) from None


def _rule_parts(value: str) -> dict[str, str]:
    parts = {}
    for item in value.split(";"):
        key, _, part = item.partition("=")
        parts[key.strip().upper()] = part.strip().upper()
    return parts


def _scan(lines: list[str]) -> _Scan:
    """Check every content line (RFC 5545 3.1) and the component structure."""
    stack: list[tuple[str, int]] = []
    scan = _Scan(event_lines=[], zones={})
    zone_rules = 0
    zone_name = ""
    finished = False
    number = 0
    logical: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if raw[:1] in (" ", "\t") and logical:
            start, text = logical[-1]
            logical[-1] = (start, text + raw[1:])
            continue
        logical.append((number, raw))
    for number, text in logical:
        if not text.strip():
            continue
        if finished:
            raise IcsImportError(Problem.UNBALANCED, line=number)
        if _CONTROL.search(text):
            raise IcsImportError(Problem.CONTROL_CHARACTER, line=number)
        if not _NAME.match(text):
            raise IcsImportError(Problem.BAD_LINE, line=number)
        name, _, value = text.partition(":")
        name = name.split(";", 1)[0].upper()
        if not stack and name != "BEGIN":
            raise IcsImportError(Problem.NOT_ICALENDAR, line=number)
        if name == "BEGIN":
            component = value.strip().upper()
            if not stack and component != "VCALENDAR":
                raise IcsImportError(Problem.NOT_ICALENDAR, line=number)
            stack.append((component, number))
            if len(stack) > MAX_DEPTH:
                raise IcsImportError(Problem.NESTING, line=number)
            if len(stack) == 2 and component == "VEVENT":
                scan.event_lines.append(number)
                if len(scan.event_lines) > MAX_EVENTS:
                    raise IcsImportError(Problem.TOO_MANY_EVENTS, limit=MAX_EVENTS)
            if len(stack) == 2 and component == "VTIMEZONE":
                zone_rules, zone_name = 0, ""
            if len(stack) == 3 and stack[1][0] == "VTIMEZONE":
                zone_rules += 1
                if zone_rules > MAX_ZONE_RULES:
                    raise IcsImportError(Problem.TIME_ZONE_RULES, line=number, zone=zone_name)
        elif name == "END":
            component = value.strip().upper()
            if not stack or stack[-1][0] != component:
                raise IcsImportError(Problem.UNBALANCED, line=number)
            stack.pop()
            finished = not stack
        elif stack and stack[-1][0] == "VTIMEZONE" and name == "TZID":
            zone_name = one_line(value, 100)
            scan.zones[zone_name] = number
        elif len(stack) == 3 and stack[1][0] == "VTIMEZONE" and name == "RRULE":
            # A zone's rules change at most once a year; anything more frequent would make
            # the zone's transitions endless to compute.
            if _rule_parts(value).get("FREQ") != "YEARLY":
                raise IcsImportError(Problem.TIME_ZONE_RULES, line=number, zone=zone_name)
        elif len(stack) == 3 and stack[1][0] == "VTIMEZONE" and name in ("DTSTART", "RDATE"):
            if name == "RDATE" and value.count(",") >= MAX_ZONE_RULES:
                raise IcsImportError(Problem.TIME_ZONE_RULES, line=number, zone=zone_name)
    if stack:
        raise IcsImportError(Problem.UNBALANCED, line=stack[-1][1])
    if not finished:
        raise IcsImportError(Problem.NOT_ICALENDAR, line=max(number, 1))
    return scan


# --- reading the events ------------------------------------------------------------------


def _zone(tzid: str) -> tzinfo | None:
    """The IANA zone for a TZID that is an IANA or a Windows zone name; None otherwise."""
    name = WINDOWS_TO_OLSON.get(tzid, tzid)
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _moment(prop: Any, default_zone: tzinfo, where: dict[str, Any]) -> tuple[datetime, bool]:
    """A DTSTART/DTEND/RECURRENCE-ID value as aware UTC, and whether it is a whole day."""
    value = prop.dt if hasattr(prop, "dt") else prop
    if isinstance(value, datetime):
        tzid = str(prop.params.get("TZID", "")) if hasattr(prop, "params") else ""
        known = _zone(tzid) if tzid else None
        if known is not None:
            value = value.replace(tzinfo=known)
        elif value.tzinfo is None:
            if tzid:
                raise IcsImportError(Problem.UNKNOWN_TIME_ZONE, zone=one_line(tzid, 100), **where)
            value = value.replace(tzinfo=default_zone)
        try:
            moment = value.astimezone(UTC)
        except (ValueError, OverflowError, TypeError):
            raise IcsImportError(Problem.BAD_TIME, **where) from None
        all_day = False
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0), tzinfo=default_zone).astimezone(UTC)
        all_day = True
    else:
        raise IcsImportError(Problem.BAD_TIME, **where)
    if not 1900 <= moment.year <= 2200:
        raise IcsImportError(Problem.BAD_TIME, **where)
    return moment, all_day


def _people(component: Any) -> tuple[Person, ...]:
    found: dict[str, Person] = {}
    props = []
    for key in ("ORGANIZER", "ATTENDEE"):
        value = component.get(key)
        if value is None:
            continue
        props.extend(value if isinstance(value, list) else [value])
    for prop in props:
        address = one_line(prop, 400)
        if address.lower().startswith("mailto:"):
            address = address[7:]
        address = address.strip().lower()
        if "@" not in address or " " in address or len(address) > 320:
            address = ""
        name = one_line(getattr(prop, "params", {}).get("CN", ""), 200).strip('"')
        if not address and not name:
            continue
        key = address or f"name:{name.lower()}"
        if key not in found:
            found[key] = Person(email=address, name=name)
        if len(found) >= MAX_PEOPLE:
            break
    return tuple(found.values())


def _fingerprint(appointment: Appointment) -> str:
    shape = [
        appointment.title,
        appointment.start.isoformat(),
        appointment.end.isoformat(),
        appointment.all_day,
        appointment.location,
        sorted([p.email, p.name] for p in appointment.people),
    ]
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode("utf-8")).hexdigest()


def _appointment(
    component: Any, *, uid: str, occurrence: str, line: int, default_zone: tzinfo
) -> Appointment:
    title = one_line(component.get("SUMMARY", ""), 300) or "—"
    where: dict[str, Any] = {"line": line, "event": title}
    if component.get("DTSTART") is None:
        raise IcsImportError(Problem.NO_START, **where)
    start, all_day = _moment(component["DTSTART"], default_zone, where)
    if component.get("DTEND") is not None:
        end, _ = _moment(component["DTEND"], default_zone, where)
    elif component.get("DURATION") is not None:
        duration = getattr(component["DURATION"], "dt", None)
        if not isinstance(duration, timedelta) or abs(duration) > timedelta(days=366):
            raise IcsImportError(Problem.BAD_TIME, **where)
        end = start + duration
    else:
        end = start + timedelta(days=1) if all_day else start
    if end < start:
        raise IcsImportError(Problem.ENDS_BEFORE_START, **where)
    found = Appointment(
        uid=uid,
        occurrence=occurrence,
        title=title,
        start=start,
        end=end,
        all_day=all_day,
        location=one_line(component.get("LOCATION", ""), 500),
        people=_people(component),
        line=line,
    )
    return Appointment(**{**_as_dict(found), "fingerprint": _fingerprint(found)})


def _as_dict(appointment: Appointment) -> dict[str, Any]:
    return {name: getattr(appointment, name) for name in Appointment.__slots__}


def _uid(component: Any) -> str:
    uid = one_line(component.get("UID", ""), 255)
    if uid:
        return uid
    # RFC 5545 requires a UID; for a file without one, the same event gets the same key on
    # every import (its start and title), so that importing it again adds nothing.
    raw = f"{component.get('DTSTART').to_ical() if component.get('DTSTART') else b''!r}"
    raw += one_line(component.get("SUMMARY", ""), 300)
    return "no-uid-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def _sequence(component: Any) -> int:
    try:
        return int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _check_rule(
    component: Any, start: datetime, window: tuple[datetime, datetime], where: dict
) -> None:
    """Refuse a recurrence rule that would take too many steps to expand (RFC 5545 3.3.10)
    before handing it to the expander."""
    window_start, window_end = window
    rules = component.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules]:
        if rule is None:
            continue
        parts = {str(k).upper(): v for k, v in dict(rule).items()}
        frequency = str((parts.get("FREQ") or [""])[0]).upper()
        if frequency not in _PERIOD_DAYS:  # SECONDLY, MINUTELY or nonsense
            raise IcsImportError(
                Problem.TOO_MANY_OCCURRENCES, limit=MAX_OCCURRENCES_PER_EVENT, **where
            )
        try:
            interval = max(1, int((parts.get("INTERVAL") or [1])[0]))
            count = int(parts["COUNT"][0]) if parts.get("COUNT") else None
        except (TypeError, ValueError):
            raise IcsImportError(Problem.BAD_TIME, **where) from None
        per_step = 1
        for key, frequencies in _EXPANDS.items():
            if frequency in frequencies:
                per_step *= max(1, len(parts.get(key) or []))
        period = _PERIOD_DAYS[frequency] * interval
        span_days = max(0.0, (window_end - start).total_seconds() / 86400)
        steps = span_days / period + 1
        window_days = max(0.0, (window_end - max(start, window_start)).total_seconds() / 86400)
        in_window = (window_days / period + 1) * per_step
        if count is not None:
            steps = min(steps, count)
            in_window = min(in_window, count * per_step)
        # Estimates from the rule alone (BYxxx parts may only make them smaller): more than
        # twice the allowed occurrences inside the window, or too many steps to get there.
        if steps * per_step > MAX_RULE_STEPS or in_window > 2 * MAX_OCCURRENCES_PER_EVENT:
            raise IcsImportError(
                Problem.TOO_MANY_OCCURRENCES, limit=MAX_OCCURRENCES_PER_EVENT, **where
            )
    dates = component.get("RDATE")
    total = sum(
        len(getattr(d, "dts", [d])) for d in (dates if isinstance(dates, list) else [dates])
    )
    if dates is not None and total > MAX_OCCURRENCES_PER_EVENT:
        raise IcsImportError(Problem.TOO_MANY_OCCURRENCES, limit=MAX_OCCURRENCES_PER_EVENT, **where)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ics(data: bytes, *, default_zone: str, now: datetime) -> ParsedCalendar:
    """Read an .ics file (bytes as uploaded) into its appointments.

    `default_zone` (IANA) reads floating times and all-day events; recurring events are
    expanded between `now` - WINDOW_BEFORE and `now` + WINDOW_AFTER (single events are
    kept whatever their date). Cancelled events (STATUS:CANCELLED) are left out.

    Raises IcsImportError naming the problem and, where possible, the line or event."""
    if len(data) > MAX_FILE_BYTES:
        raise IcsImportError(
            Problem.TOO_LARGE,
            size=round(len(data) / 1024 / 1024, 1),
            limit=MAX_FILE_BYTES // 1024 // 1024,
        )
    if not data.strip():
        raise IcsImportError(Problem.EMPTY)
    text = decode_text(data)
    lines = text.replace("\r\n", "\n").split("\n")
    first = next((line for line in lines if line.strip()), "")
    if first.strip().upper() != "BEGIN:VCALENDAR":
        raise IcsImportError(Problem.NOT_ICALENDAR, line=1)
    scan = _scan(lines)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise IcsImportError(Problem.UNREADABLE, detail=type(exc).__name__) from None
    zone = _zone(default_zone) or UTC
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not events:
        raise IcsImportError(Problem.NO_EVENTS)
    line_of = dict(zip((id(e) for e in events), scan.event_lines, strict=False))
    window_start, window_end = now - WINDOW_BEFORE, now + WINDOW_AFTER

    masters: dict[str, Any] = {}
    overrides: dict[str, list[Any]] = {}
    duplicates = 0
    for event in events:
        uid = _uid(event)
        if event.get("RECURRENCE-ID") is not None:
            overrides.setdefault(uid, []).append(event)
            continue
        if uid in masters:
            duplicates += 1
            if _sequence(event) < _sequence(masters[uid]):
                continue
        masters[uid] = event
    appointments: list[Appointment] = []
    for uid, master in masters.items():
        line = line_of.get(id(master), 0)
        if master.get("RRULE") is None and master.get("RDATE") is None:
            if str(master.get("STATUS", "")).upper() != "CANCELLED":
                appointments.append(
                    _appointment(master, uid=uid, occurrence="", line=line, default_zone=zone)
                )
            continue
        title = one_line(master.get("SUMMARY", ""), 300) or "—"
        where: dict[str, Any] = {"line": line, "event": title}
        if master.get("DTSTART") is None:
            raise IcsImportError(Problem.NO_START, **where)
        start, _ = _moment(master["DTSTART"], zone, where)
        _check_rule(master, start, (window_start, window_end), where)
        series = icalendar.Calendar()
        for component in calendar.subcomponents:
            if component.name == "VTIMEZONE":
                series.add_component(component)
        series.add_component(master)
        for override in overrides.pop(uid, []):
            series.add_component(override)
        try:
            expanded = list(
                islice(
                    recurring_ical_events.of(series).between(window_start, window_end),
                    MAX_OCCURRENCES_PER_EVENT + 1,
                )
            )
        except (ValueError, TypeError, OverflowError):
            raise IcsImportError(Problem.BAD_TIME, **where) from None
        if len(expanded) > MAX_OCCURRENCES_PER_EVENT:
            raise IcsImportError(
                Problem.TOO_MANY_OCCURRENCES, limit=MAX_OCCURRENCES_PER_EVENT, **where
            )
        for occurrence in expanded:
            if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
                continue
            original = occurrence.get("RECURRENCE-ID") or occurrence.get("DTSTART")
            key, _ = _moment(original, zone, where)
            appointments.append(
                _appointment(
                    occurrence, uid=uid, occurrence=_iso(key), line=line, default_zone=zone
                )
            )
        if len(appointments) > MAX_OCCURRENCES:
            raise IcsImportError(Problem.TOO_MANY_EVENTS, limit=MAX_OCCURRENCES)
    # Overrides whose series is not in the file stand alone.
    for uid, rest in overrides.items():
        for override in rest:
            line = line_of.get(id(override), 0)
            where = {"line": line, "event": one_line(override.get("SUMMARY", ""), 300)}
            key, _ = _moment(override["RECURRENCE-ID"], zone, where)
            if str(override.get("STATUS", "")).upper() != "CANCELLED":
                appointments.append(
                    _appointment(
                        override, uid=uid, occurrence=_iso(key), line=line, default_zone=zone
                    )
                )
    if len(appointments) > MAX_OCCURRENCES:
        raise IcsImportError(Problem.TOO_MANY_EVENTS, limit=MAX_OCCURRENCES)
    appointments.sort(key=lambda a: (a.start, a.uid, a.occurrence))
    return ParsedCalendar(
        appointments=tuple(appointments), events=len(events), duplicates_in_file=duplicates
    )
