"""Planner's busy-time reader against recurring-ical-events' own expansion of the calendar files
shipped in the test folders of the installed recurring-ical-events and icalendar packages."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from planner.domain.busy import CalendarDataError, busy_periods_from_events, read_events
from planner.domain.intervals import TimeInterval

OWNERS = ("UTC", "America/Los_Angeles", "Pacific/Auckland")
NOW = datetime(2026, 11, 30, 4, 41, 34, tzinfo=UTC)  # a poll's "now": odd hour and minute
WINDOW = timedelta(days=23, hours=5)


def _test_folders() -> list[Path]:
    folders = []
    for module in (recurring_ical_events, icalendar):
        root = Path(module.__file__).parent
        folders.extend(p for p in (root / "test", root / "tests") if p.is_dir())
    return folders


FILES = sorted(path for folder in _test_folders() for path in folder.rglob("*.ics"))


@dataclass
class Reference:
    """recurring-ical-events' busy spans for one file and window, or why it cannot read it."""

    spans: list[tuple[datetime, datetime]] | None
    error: str | None = None


def _utc(value: object, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone).astimezone(UTC)
        return value.astimezone(UTC)
    assert isinstance(value, date)
    return datetime(value.year, value.month, value.day, tzinfo=zone).astimezone(UTC)


def reference(data: bytes, window: TimeInterval, zone_name: str) -> Reference:
    """The library's own expansion of the window read in the owner's zone, cancelled and
    transparent events dropped, clipped to the window."""
    zone = ZoneInfo(zone_name)
    try:
        calendar = icalendar.Calendar.from_ical(data)
        if getattr(calendar, "name", None) != "VCALENDAR":
            return Reference(None, f"not a VCALENDAR but {type(calendar).__name__}")
        occurrences = recurring_ical_events.of(calendar).between(
            window.start.astimezone(zone) - timedelta(hours=15),
            window.end.astimezone(zone) + timedelta(hours=15),
        )
        spans = []
        for event in occurrences:
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            start = max(_utc(event.start, zone), window.start)
            end = min(_utc(event.end, zone), window.end)
            if end > start:
                spans.append((start, end))
    except Exception as error:  # noqa: BLE001 - any failure means the library cannot read it
        return Reference(None, f"{type(error).__name__}: {error}"[:200])
    return Reference(sorted(spans))


def _first_start(data: bytes) -> datetime | None:
    try:
        calendar = icalendar.Calendar.from_ical(data)
        starts = []
        for event in calendar.walk("VEVENT"):
            value = getattr(event.get("DTSTART"), "dt", None)
            if isinstance(value, date):
                starts.append(_utc(value, ZoneInfo("UTC")))
        return min(starts) if starts else None
    except Exception:  # noqa: BLE001 - the reference reports unreadable files
        return None


def windows_for(data: bytes) -> list[TimeInterval]:
    """Windows starting at odd hours: around the file's first event, a year after it (for
    recurring events), and at a poll's "now"."""
    windows = [TimeInterval(NOW, NOW + WINDOW)]
    first = _first_start(data)
    if first is not None and datetime(1900, 1, 1, tzinfo=UTC) < first < datetime(
        2900, 1, 1, tzinfo=UTC
    ):
        early = first - timedelta(hours=7, minutes=13)
        windows.append(TimeInterval(early, early + WINDOW))
        later = first + timedelta(days=365, hours=5, minutes=47)
        windows.append(TimeInterval(later, later + WINDOW))
    return windows


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_planner_reads_what_the_library_reads(path: Path):
    data = path.read_bytes()
    for window in windows_for(data):
        for owner in OWNERS:
            expected = reference(data, window, owner)
            if expected.spans is None:
                with pytest.raises(CalendarDataError) as error:
                    busy_periods_from_events(data, window=window, time_zone=owner, owner_email=None)
                assert error.value.message and len(error.value.message) <= 400
                continue
            reading = read_events(data, window=window, time_zone=owner, owner_email=None)
            assert reading.unknown == (), (owner, window)
            got = sorted((p.start, p.end) for p in reading.busy)
            assert got == expected.spans, (owner, window)


def test_files_the_library_cannot_read_are_listed_and_planner_names_the_problem():
    """Lists (with -s) the files recurring-ical-events itself cannot read; Planner gives a
    clear CalendarDataError for each of them."""
    assert len(FILES) > 100, "the installed packages' test calendars were not found"
    window = TimeInterval(NOW, NOW + WINDOW)
    unreadable = {}
    for path in FILES:
        data = path.read_bytes()
        expected = reference(data, window, "UTC")
        if expected.spans is None:
            name = f"{path.parent.name}/{path.name}"
            with pytest.raises(CalendarDataError) as error:
                busy_periods_from_events(data, window=window, time_zone="UTC", owner_email=None)
            unreadable[name] = (expected.error, error.value.message)
    assert unreadable  # the packages ship broken calendars on purpose
    for name, (library, planner) in sorted(unreadable.items()):
        print(f"{name}\n  recurring-ical-events: {library}\n  Planner: {planner}")
