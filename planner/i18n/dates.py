"""Dates and times as a person reads them: Babel formats, in the person's own time zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    format_timedelta,
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
    """'1:00 – 1:45 PM' (or with dates when the range spans midnight), in the zone."""
    _require_aware(start)
    _require_aware(end)
    zone = _zone(time_zone)
    lang = _locale(locale)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() == local_end.date():
        skeleton = "hm" if "a" in str(Locale.parse(lang).time_formats["short"]) else "Hm"
        return format_interval(local_start, local_end, skeleton, tzinfo=zone, locale=lang)
    return format_interval(local_start, local_end, "yMMMdHm", tzinfo=zone, locale=lang)


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
