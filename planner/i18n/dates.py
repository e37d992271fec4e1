"""Dates and times as a person reads them: Babel formats, in the person's own time zone."""

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    format_timedelta,
    get_timezone_location,
    get_timezone_name,
)

from planner.domain.vocabulary import LOCALES

FALLBACK_ZONE = "UTC"


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)


def _locale(locale: str) -> str:
    return locale if locale in LOCALES else "en"


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")


def zone_name(at: datetime, *, locale: str, time_zone: str) -> str:
    """The long name of the zone at that instant (summer or standard time), e.g.
    'Central European Standard Time'."""
    _require_aware(at)
    local = at.astimezone(_zone(time_zone))
    return get_timezone_name(local, "long", locale=_locale(locale))


def format_weekday_date(at: datetime, *, locale: str, time_zone: str) -> str:
    """The full date with the weekday, e.g. 'Wednesday, November 25, 2026'."""
    _require_aware(at)
    return format_date(at.astimezone(_zone(time_zone)), "full", locale=_locale(locale))


def format_time_range(start: datetime, end: datetime, *, locale: str, time_zone: str) -> str:
    """'1:00 – 1:45 PM' in the zone; across midnight the end carries its day
    ('11:30 PM – Dec 30 1:00 AM')."""
    _require_aware(start)
    _require_aware(end)
    zone = _zone(time_zone)
    lang = _locale(locale)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() == local_end.date():
        skeleton = "hm" if "a" in str(Locale.parse(lang).time_formats["short"]) else "Hm"
        return format_interval(local_start, local_end, skeleton, tzinfo=zone, locale=lang)
    # Across midnight: the end's day, short ('11:30 PM – Dec 30 1:00 AM'); Babel's own
    # fallback repeats both full dates with seconds, too long for a phone or a subject.
    start_text = format_time(local_start, "short", tzinfo=zone, locale=lang)
    end_day = format_skeleton("MMMd", local_end, tzinfo=zone, locale=lang)
    end_text = format_time(local_end, "short", tzinfo=zone, locale=lang)
    return f"{start_text} – {end_day} {end_text}"


def format_when(start: datetime, end: datetime, *, locale: str, time_zone: str) -> str:
    """'Wednesday, November 25, 2026, 1:00 – 1:45 PM (Central European Standard Time)'."""
    day = format_weekday_date(start, locale=locale, time_zone=time_zone)
    times = format_time_range(start, end, locale=locale, time_zone=time_zone)
    return f"{day}, {times} ({zone_name(start, locale=_locale(locale), time_zone=time_zone)})"


def format_short(at: datetime, *, locale: str, time_zone: str) -> str:
    """A compact date and time for subjects, e.g. 'Nov 25, 2026, 1:00 PM'."""
    _require_aware(at)
    zone = _zone(time_zone)
    lang = _locale(locale)
    local = at.astimezone(zone)
    pattern = str(Locale.parse(lang).datetime_formats["medium"])
    date_text = format_date(local, "medium", locale=lang)
    time_text = format_time(local, "short", tzinfo=zone, locale=lang)
    return pattern.replace("{1}", date_text).replace("{0}", time_text)


def format_day(at: datetime, *, locale: str, time_zone: str) -> str:
    """A date alone in the long form, e.g. 'December 9, 2026'."""
    _require_aware(at)
    return format_date(at.astimezone(_zone(time_zone)), "long", locale=_locale(locale))


# Zone names a person may pick: the IANA regions (not the legacy aliases such as
# "US/Eastern", "EST5EDT" or "Factory"), and UTC.
_REGIONS = (
    "Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/",
    "Europe/", "Indian/", "Pacific/",
)  # fmt: skip


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA zone a person may choose (region/city names and "UTC"), sorted."""
    return tuple(sorted(z for z in available_timezones() if z.startswith(_REGIONS))) + ("UTC",)


def is_time_zone(name: str) -> bool:
    """Whether `name` is a zone `time_zones()` offers."""
    return name in _zone_set()


@lru_cache(maxsize=1)
def _zone_set() -> frozenset[str]:
    return frozenset(time_zones())


def zone_generic_name(time_zone: str, *, locale: str) -> str:
    """The zone's name without summer or standard time, e.g. 'Eastern Time': right for a
    list of times on both sides of a DST change."""
    if time_zone == "UTC":
        return "UTC"  # CLDR has no name for it beyond "Unknown Region (UTC) Time"
    try:
        return str(get_timezone_name(_zone(time_zone), "long", locale=_locale(locale)))
    except LookupError:
        return time_zone


def zone_city(time_zone: str, *, locale: str) -> str:
    """The zone's exemplar city in the language, e.g. 'København' for Europe/Copenhagen."""
    if time_zone == "UTC":
        return "UTC"
    try:
        city = get_timezone_location(time_zone, locale=_locale(locale), return_city=True)
    except LookupError:
        city = time_zone
    return str(city).rsplit("/", 1)[-1].replace("_", " ")


@lru_cache(maxsize=len(LOCALES))
def zone_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(zone, 'City – generic zone name') for every choosable zone, in the language, for a
    searchable picker, e.g. ('America/New_York', 'New York – Eastern Time')."""
    lang = _locale(locale)
    choices = []
    for zone in time_zones():
        city, generic = zone_city(zone, locale=lang), zone_generic_name(zone, locale=lang)
        choices.append((zone, city if city == generic else f"{city} – {generic}"))
    return tuple(choices)


def find_time_zone(query: str, *, locale: str) -> list[str]:
    """Zones matching what a person typed: an exact zone name, else every zone whose name
    or label (in the language) contains the text, ignoring case, spaces and underscores."""
    text = " ".join(query.replace("_", " ").split()).casefold()
    if not text:
        return []
    exact = [zone for zone in time_zones() if zone.casefold() == query.strip().casefold()]
    if exact:
        return exact
    return [
        zone
        for zone, label in zone_choices(locale)
        if text in zone.replace("_", " ").casefold() or text in label.casefold()
    ]


def format_day_month(at: datetime, *, locale: str, time_zone: str) -> str:
    """Day and abbreviated month without the year, e.g. 'Dec 12' / '12. dec.'."""
    _require_aware(at)
    zone = _zone(time_zone)
    return format_skeleton("MMMd", at.astimezone(zone), tzinfo=zone, locale=_locale(locale))


def format_ago(at: datetime, now: datetime, *, locale: str) -> str:
    """How long ago `at` was, relative to `now`, e.g. '12 minutes ago' / 'for 12 minutter siden'
    (Babel's CLDR relative-time patterns, rounded to the largest unit); a moment in the
    future counts as one second ago."""
    _require_aware(at)
    _require_aware(now)
    delta = min(at - now, timedelta(seconds=-1))
    return format_timedelta(delta, add_direction=True, locale=_locale(locale))


def format_date_span(first: date, last: date, *, locale: str) -> str:
    """Two calendar dates as a range, e.g. '30 Nov – 6 Dec 2026' / '30. nov. – 6. dec. 2026'
    (both inclusive; the year once, at the end)."""
    lang = _locale(locale)
    start, end = format_date(first, "d MMM", locale=lang), format_date(last, "d MMM y", locale=lang)
    return f"{start} – {end}"
