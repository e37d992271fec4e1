"""Interview slot suggestions and free/busy grids from participants' working hours and busy time."""

import heapq
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import islice
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.domain.intervals import (
    SchedulingInputError,
    Span,
    TimeInterval,
    aware_utc,
    intersect_spans,
    subtract_spans,
)
from planner.domain.vocabulary import SyncStatus

MINUTES_PER_DAY = 24 * 60
ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
NO_TIME = timedelta(0)
_LONG_AGO = datetime(1, 1, 2, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_HORIZON = timedelta(days=366)
MAX_GRID_WINDOW = timedelta(days=62)
MAX_SUGGESTIONS = 1000


def zone_named(name: object, field_name: str = "time_zone") -> ZoneInfo:
    """The IANA time zone called `name`, or a SchedulingInputError naming the field."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise SchedulingInputError(field_name, f"not a time zone name: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SchedulingInputError(field_name, f"unknown time zone {name!r}") from error


def _clock_times(fold: int) -> tuple[time, ...]:
    return tuple(time(minute // 60, minute % 60, fold=fold) for minute in range(MINUTES_PER_DAY))


# Wall-clock times of every minute of a day, built once; datetime.replace is slow in 3.11 and
# these tables let the hot path build wall-clock datetimes with one combine() call.
_CLOCK = (_clock_times(0), _clock_times(1))
_MINUTE_STEPS = tuple(timedelta(minutes=minute) for minute in range(MINUTES_PER_DAY + 1))


def local_instant(day: date, minute: int, zone: ZoneInfo, *, later_fold: bool = False) -> datetime:
    """The UTC instant at which `zone`'s clocks read `minute` minutes past midnight of `day`.

    Working hours are wall-clock times, so DST decides the instant (see `wall_clock_to_utc`);
    minute 1440 is midnight at the end of the day."""
    if minute == MINUTES_PER_DAY:
        day, minute = day + ONE_DAY, 0
    # The wall-clock reading carried in a UTC-tagged datetime: ZoneInfo.utcoffset reads only
    # the fields and fold of its argument, and the instant is then plain subtraction.
    wall = datetime.combine(day, _CLOCK[0][minute], UTC)
    first_offset = zone.utcoffset(wall)
    second_offset = zone.utcoffset(datetime.combine(day, _CLOCK[1][minute], UTC))
    if first_offset == second_offset and first_offset is not None:
        return wall - first_offset
    return wall_clock_to_utc(wall.replace(tzinfo=None), zone, later_fold=later_fold)


def wall_clock_to_utc(naive: datetime, zone: ZoneInfo, *, later_fold: bool = False) -> datetime:
    """The UTC instant at which `zone`'s clocks show the naive wall-clock time `naive`.

    zoneinfo never raises on DST edges, so they are decided here: a time the clocks skip
    (02:30 on spring-forward day) becomes the moment they jump; a time that occurs twice
    (02:30 on fall-back day) is its first occurrence, or its second when `later_fold`, which
    the ends of windows use so that a window keeps every wall-clock minute it names."""
    naive = naive.replace(tzinfo=None, fold=0)
    first = naive.replace(tzinfo=zone)
    first_offset = first.utcoffset()
    second_offset = naive.replace(tzinfo=zone, fold=1).utcoffset()
    assert first_offset is not None and second_offset is not None  # a ZoneInfo always answers
    if first_offset == second_offset:
        return (naive - first_offset).replace(tzinfo=UTC)
    # A DST edge: a round trip through UTC tells a skipped wall time from a repeated one.
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return (naive - (second_offset if later_fold else first_offset)).replace(tzinfo=UTC)
    return _offset_change(
        (naive - second_offset).replace(tzinfo=UTC),
        (naive - first_offset).replace(tzinfo=UTC),
        zone,
    )


def _offset_change(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (before, after] whose UTC offset in `zone` differs from `before`'s."""
    offset = before.astimezone(zone).utcoffset()
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high


def _check_minutes(start_minute: object, end_minute: object) -> None:
    for name, value in (("start_minute", start_minute), ("end_minute", end_minute)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise SchedulingInputError(name, f"expected whole minutes, got {value!r}")
        if not 0 <= value <= MINUTES_PER_DAY:
            raise SchedulingInputError(name, f"must be between 0 and {MINUTES_PER_DAY}")
    assert isinstance(start_minute, int) and isinstance(end_minute, int)
    if end_minute <= start_minute:
        raise SchedulingInputError("end_minute", "must be after start_minute")


@dataclass(frozen=True, slots=True)
class WorkingWindow:
    """A weekly working window on `weekday` (0 = Monday), in minutes after local midnight."""

    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise SchedulingInputError("weekday", "must be 0 (Monday) to 6 (Sunday)")
        _check_minutes(self.start_minute, self.end_minute)


@dataclass(frozen=True, slots=True)
class DateOverride:
    """Working hours for one local date replacing the weekly windows; no minutes = a day off."""

    on_date: date
    start_minute: int | None = None
    end_minute: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.on_date, datetime) or not isinstance(self.on_date, date):
            raise SchedulingInputError("on_date", f"expected a date, got {self.on_date!r}")
        if (self.start_minute is None) != (self.end_minute is None):
            raise SchedulingInputError("end_minute", "give both minutes, or neither for a day off")
        if self.start_minute is not None:
            _check_minutes(self.start_minute, self.end_minute)

    @property
    def day_off(self) -> bool:
        """Whether the override takes the whole date off."""
        return self.start_minute is None


def _merge_minutes(windows: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class WorkingSchedule:
    """When a participant works, in their own time zone: weekly windows plus per-date overrides.

    Mirrors the stored rows (`working_hours`, `availability_override`); see `from_rows`."""

    time_zone: str
    weekly: tuple[WorkingWindow, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _by_weekday: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    _by_date: dict[date, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False)
    identity: tuple[object, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", zone_named(self.time_zone))
        weekly = tuple(self.weekly)
        overrides = tuple(self.overrides)
        for window in weekly:
            if not isinstance(window, WorkingWindow):
                raise SchedulingInputError("weekly", f"expected WorkingWindow, got {window!r}")
        for override in overrides:
            if not isinstance(override, DateOverride):
                raise SchedulingInputError("overrides", f"expected DateOverride, got {override!r}")
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "overrides", overrides)
        by_weekday = tuple(
            _merge_minutes((w.start_minute, w.end_minute) for w in weekly if w.weekday == day)
            for day in range(7)
        )
        grouped: dict[date, list[DateOverride]] = {}
        for override in overrides:
            grouped.setdefault(override.on_date, []).append(override)
        by_date = {
            on_date: ()
            if any(o.day_off for o in group)
            else _merge_minutes((o.start_minute, o.end_minute) for o in group)  # type: ignore[misc]
            for on_date, group in grouped.items()
        }
        object.__setattr__(self, "_by_weekday", by_weekday)
        object.__setattr__(self, "_by_date", by_date)
        # What the hours mean, independent of how the rows were written: equal identities
        # give equal working time.
        identity = (self.time_zone, by_weekday, tuple(sorted(by_date.items())))
        object.__setattr__(self, "identity", identity)

    @classmethod
    def from_rows(
        cls,
        time_zone: str,
        weekly_rows: Iterable[tuple[int, int, int]],
        override_rows: Iterable[tuple[str | date, int | None, int | None]] = (),
    ) -> "WorkingSchedule":
        """Working hours from stored rows: (weekday, start_minute, end_minute) and
        (ISO date, start_minute or None, end_minute or None), as the database keeps them."""
        overrides = []
        for on_date, start_minute, end_minute in override_rows:
            if isinstance(on_date, str):
                try:
                    on_date = date.fromisoformat(on_date)
                except ValueError as error:
                    raise SchedulingInputError(
                        "on_date", f"not an ISO date: {on_date!r}"
                    ) from error
            overrides.append(DateOverride(on_date, start_minute, end_minute))
        return cls(
            time_zone=time_zone,
            weekly=tuple(WorkingWindow(*row) for row in weekly_rows),
            overrides=tuple(overrides),
        )

    @classmethod
    def office_week(
        cls, time_zone: str, start_hour: int = 9, end_hour: int = 17
    ) -> "WorkingSchedule":
        """Monday to Friday, `start_hour` to `end_hour`: the default for someone with no rows."""
        return cls(
            time_zone=time_zone,
            weekly=tuple(WorkingWindow(day, start_hour * 60, end_hour * 60) for day in range(5)),
        )

    def minutes_on(self, local_date: date) -> tuple[tuple[int, int], ...]:
        """The merged (start_minute, end_minute) windows worked on a local date."""
        override = self._by_date.get(local_date)
        if override is not None:
            return override
        return self._by_weekday[local_date.weekday()]

    def spans_between(
        self, window: Span, *, skip_dates: frozenset[date] = frozenset()
    ) -> list[Span]:
        """The working time inside `window` as sorted disjoint UTC spans.

        Built per local date from wall-clock minutes, never by adding 24 hours, so a DST day
        has its 23 or 25 hours; dates in `skip_dates` (local) are left out."""
        zone = self.zone
        window_start, window_end = window
        day = window_start.astimezone(zone).date()
        last_day = window_end.astimezone(zone).date()
        spans: list[Span] = []
        by_date, by_weekday = self._by_date, self._by_weekday
        midnight_offsets: tuple[date, object, object] | None = None
        while day <= last_day:
            windows = () if day in skip_dates else by_date.get(day)
            if windows is None:
                windows = by_weekday[day.weekday()]
            if windows:
                # One UTC offset for the whole day when both bounding midnights agree on it
                # (a DST change inside the day would make them differ); otherwise each window
                # edge is resolved on its own, gaps and folds included.
                if midnight_offsets is None or midnight_offsets[0] != day:
                    midnight_offsets = _midnight_offsets(day, zone)
                tomorrow = _midnight_offsets(day + ONE_DAY, zone)
                _, first, second = midnight_offsets
                steady = first == second == tomorrow[1] == tomorrow[2]
                midnight = datetime.combine(day, _CLOCK[0][0], UTC) - first  # type: ignore[operator]
                midnight_offsets = tomorrow
                for start_minute, end_minute in windows:
                    if steady:
                        start = midnight + _MINUTE_STEPS[start_minute]
                        end = midnight + _MINUTE_STEPS[end_minute]
                    else:
                        start = local_instant(day, start_minute, zone)
                        end = local_instant(day, end_minute, zone, later_fold=True)
                    if start < window_start:
                        start = window_start
                    if end > window_end:
                        end = window_end
                    if start >= end:
                        continue
                    if spans and start <= spans[-1][1]:
                        spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
                    else:
                        spans.append((start, end))
            day += ONE_DAY
        return spans


def _midnight_offsets(day: date, zone: ZoneInfo) -> tuple[date, object, object]:
    """The UTC offsets `zone` gives local midnight of `day` on either side of a DST fold."""
    return (
        day,
        zone.utcoffset(datetime.combine(day, _CLOCK[0][0], UTC)),
        zone.utcoffset(datetime.combine(day, _CLOCK[1][0], UTC)),
    )


@dataclass(frozen=True, slots=True)
class BusyPeriod:
    """A time a participant's calendar shows as taken; tentative ones are soft conflicts."""

    start: datetime
    end: datetime
    tentative: bool = False

    def __post_init__(self) -> None:
        start = aware_utc(self.start, "start")
        end = aware_utc(self.end, "end")
        if end <= start:
            raise SchedulingInputError("end", "must be after start")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


class UnknownReason(StrEnum):
    """Why a participant's free/busy cannot be trusted for a time."""

    NOT_SYNCED = "not_synced"
    SYNC_FAILING = "sync_failing"
    STALE = "stale"


def _optional_cap(value: object, field_name: str) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SchedulingInputError(field_name, "must be a whole number of interviews, 1 or more")


@dataclass(frozen=True)
class SchedulingParticipant:
    """A staff user taking part in an interview, with everything the slot finder knows of them.

    `busy` comes from their synced calendar; it is trusted only while `sync_status` is synced
    and `busy_synced_at` is fresh, and only up to `busy_known_until` (None: the whole horizon).
    `interviews` are the interviews Planner has already booked for them: always busy, and
    counted toward the daily and weekly caps in their own time zone. `unknown` are times
    their calendar data could not be read for: a slot touching one names them as unknown,
    never treats them as free there."""

    participant_id: int
    working_hours: WorkingSchedule
    sync_status: SyncStatus = SyncStatus.NOT_INVITED
    busy_synced_at: datetime | None = None
    busy_known_until: datetime | None = None
    busy: tuple[BusyPeriod, ...] = ()
    interviews: tuple[TimeInterval, ...] = ()
    max_interviews_per_day: int | None = None
    max_interviews_per_week: int | None = None
    unknown: tuple[TimeInterval, ...] = ()
    # Busy periods and booked interviews sorted by start, once per participant (the slot
    # finder runs many times over the same participants).
    _ordered_busy: tuple[BusyPeriod, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.participant_id, int) or isinstance(self.participant_id, bool):
            raise SchedulingInputError("participant_id", "expected a staff user id")
        if not isinstance(self.working_hours, WorkingSchedule):
            raise SchedulingInputError("working_hours", "expected WorkingSchedule")
        try:
            object.__setattr__(self, "sync_status", SyncStatus(self.sync_status))
        except ValueError as error:
            raise SchedulingInputError(
                "sync_status", f"unknown status {self.sync_status!r}"
            ) from error
        for name in ("busy_synced_at", "busy_known_until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, aware_utc(value, name))
        busy = tuple(self.busy)
        for period in busy:
            if not isinstance(period, BusyPeriod):
                raise SchedulingInputError("busy", f"expected BusyPeriod, got {period!r}")
        interviews = tuple(self.interviews)
        for interview in interviews:
            if not isinstance(interview, TimeInterval):
                raise SchedulingInputError(
                    "interviews", f"expected TimeInterval, got {interview!r}"
                )
        unknown = tuple(self.unknown)
        for stretch in unknown:
            if not isinstance(stretch, TimeInterval):
                raise SchedulingInputError("unknown", f"expected TimeInterval, got {stretch!r}")
        object.__setattr__(self, "unknown", unknown)
        _optional_cap(self.max_interviews_per_day, "max_interviews_per_day")
        _optional_cap(self.max_interviews_per_week, "max_interviews_per_week")
        object.__setattr__(self, "busy", busy)
        object.__setattr__(self, "interviews", interviews)
        booked = tuple(BusyPeriod(i.start, i.end) for i in interviews)
        object.__setattr__(self, "_ordered_busy", tuple(sorted(busy + booked, key=_START)))

    @property
    def zone(self) -> ZoneInfo:
        """The participant's own time zone (that of their working hours)."""
        return self.working_hours.zone

    def capped_dates(self) -> frozenset[date]:
        """Local dates on which booked interviews already reach the daily or weekly cap."""
        day_cap, week_cap = self.max_interviews_per_day, self.max_interviews_per_week
        caps = [cap for cap in (day_cap, week_cap) if cap is not None]
        if not caps or len(self.interviews) < min(caps):
            return frozenset()
        zone = self.zone
        per_day = Counter(i.start.astimezone(zone).date() for i in self.interviews)
        capped: set[date] = set()
        if day_cap is not None:
            capped.update(day for day, count in per_day.items() if count >= day_cap)
        if week_cap is not None:
            per_week: Counter[tuple[int, int]] = Counter()
            for day, count in per_day.items():
                per_week[day.isocalendar()[:2]] += count
            for year, week in (key for key, count in per_week.items() if count >= week_cap):
                monday = date.fromisocalendar(year, week, 1)
                capped.update(monday + timedelta(days=offset) for offset in range(7))
        return frozenset(capped)


def unknown_reason(
    participant: SchedulingParticipant, *, now: datetime, stale_after: timedelta
) -> UnknownReason | None:
    """Why the participant's busy times cannot be trusted at all right now, or None.

    Not synced, a failing sync and a stale sync all mean 'unknown', never 'free'."""
    status = participant.sync_status
    if status is SyncStatus.ERROR:
        return UnknownReason.SYNC_FAILING
    if status is not SyncStatus.SYNCED:
        return UnknownReason.NOT_SYNCED
    synced_at = participant.busy_synced_at
    if synced_at is None or synced_at < aware_utc(now, "now") - stale_after:
        return UnknownReason.STALE
    return None


def _check_timedelta(
    value: object, field_name: str, *, minimum: timedelta, maximum: timedelta, inclusive: bool
) -> None:
    if not isinstance(value, timedelta):
        raise SchedulingInputError(field_name, f"expected a timedelta, got {value!r}")
    if value < minimum or (not inclusive and value == minimum):
        bound = "at least" if inclusive else "more than"
        raise SchedulingInputError(field_name, f"must be {bound} {minimum}")
    if value > maximum:
        raise SchedulingInputError(field_name, f"must be at most {maximum}")


@dataclass(frozen=True)
class SlotRequest:
    """What the recruiter asks for: an interview length and the rules a slot must keep.

    Candidate starts step by `granularity` on the clock of `align_time_zone` (the organiser's
    zone, so 15 minutes means :00/:15/:30/:45 for them). A slot lies between `now +
    minimum_notice` and `now + horizon`, and inside `search_window` when one is given.
    Buffers keep distance from busy times and booked interviews, not from working-hour edges."""

    duration: timedelta
    granularity: timedelta = timedelta(minutes=15)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=28)
    search_window: TimeInterval | None = None
    limit: int = 20
    stale_after: timedelta = timedelta(hours=1)
    align_time_zone: str = "UTC"
    align_zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zero = timedelta(0)
        _check_timedelta(self.duration, "duration", minimum=zero, maximum=ONE_DAY, inclusive=False)
        _check_timedelta(
            self.granularity, "granularity", minimum=ONE_MINUTE, maximum=ONE_DAY, inclusive=True
        )
        if self.granularity % ONE_MINUTE:
            raise SchedulingInputError("granularity", "must be a whole number of minutes")
        for name in ("buffer_before", "buffer_after"):
            _check_timedelta(
                getattr(self, name), name, minimum=zero, maximum=ONE_DAY, inclusive=True
            )
        _check_timedelta(
            self.minimum_notice, "minimum_notice", minimum=zero, maximum=MAX_HORIZON, inclusive=True
        )
        _check_timedelta(
            self.horizon, "horizon", minimum=zero, maximum=MAX_HORIZON, inclusive=False
        )
        _check_timedelta(
            self.stale_after, "stale_after", minimum=zero, maximum=MAX_HORIZON, inclusive=False
        )
        if self.search_window is not None and not isinstance(self.search_window, TimeInterval):
            raise SchedulingInputError("search_window", "expected a TimeInterval")
        limit = self.limit
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not 1 <= limit <= MAX_SUGGESTIONS
        ):
            raise SchedulingInputError("limit", f"must be between 1 and {MAX_SUGGESTIONS}")
        object.__setattr__(self, "align_zone", zone_named(self.align_time_zone, "align_time_zone"))


@dataclass(frozen=True, slots=True)
class SlotSuggestion:
    """A suggested interview time and what is uncertain about it.

    `unknown_participants` are those whose availability is unknown at that time (they are
    never assumed free); `tentative_participants` have a tentative hold overlapping it."""

    start: datetime
    end: datetime
    unknown_participants: tuple[int, ...] = ()
    tentative_participants: tuple[int, ...] = ()

    @property
    def all_known_free(self) -> bool:
        """Whether every participant is known to be free, without tentative holds."""
        return not self.unknown_participants and not self.tentative_participants


_START = attrgetter("start")
_END = itemgetter(1)


def _merged_spans(intervals: Sequence[TimeInterval]) -> list[Span]:
    """Intervals as sorted disjoint spans (overlapping and touching ones joined)."""
    merged: list[Span] = []
    for interval in sorted(intervals, key=_START):
        if merged and interval.start <= merged[-1][1]:
            if interval.end > merged[-1][1]:
                merged[-1] = (merged[-1][0], interval.end)
        else:
            merged.append((interval.start, interval.end))
    return merged


def _busy_spans(
    participant: SchedulingParticipant, until: datetime
) -> tuple[list[Span], list[Span]]:
    """The participant's hard busy time (booked interviews included) and tentative time that
    start before `until`, each merged into sorted disjoint spans.

    This sweep is the finder's only pass over every busy period, so it does no arithmetic:
    buffers are applied later, to the few spans that meet the common free time."""
    ordered = participant._ordered_busy
    hard: list[Span] = []
    soft: list[Span] = []
    add_hard, add_soft = hard.append, soft.append
    hard_start = hard_end = soft_start = soft_end = _LONG_AGO
    for period in islice(ordered, bisect_left(ordered, until, key=_START)):
        start = period.start
        if period.tentative:
            if start > soft_end:
                add_soft((soft_start, soft_end))
                soft_start, soft_end = start, period.end
            elif period.end > soft_end:
                soft_end = period.end
        elif start > hard_end:
            add_hard((hard_start, hard_end))
            hard_start, hard_end = start, period.end
        elif period.end > hard_end:
            hard_end = period.end
    add_hard((hard_start, hard_end))
    add_soft((soft_start, soft_end))
    # Drop the empty spans the sweep started from.
    return hard[1:], soft[1:]


def find_suggestions(
    participants: Sequence[SchedulingParticipant], request: SlotRequest, *, now: datetime
) -> tuple[SlotSuggestion, ...]:
    """Ranked interview times at which every participant with known availability is free.

    Each slot fits every participant's working hours (in their own zone), keeps the buffers
    clear of their hard busy times and booked interviews, respects notice, horizon and
    per-day/per-week caps. Participants whose availability is unknown are named on each
    slot. Order: all known and free first, then fewest tentative conflicts, then spread over
    days (each day's earliest slot before any day's second), then earlier first."""
    now = aware_utc(now, "now")
    if not isinstance(request, SlotRequest):
        raise SchedulingInputError("request", "expected a SlotRequest")
    if not participants:
        raise SchedulingInputError("participants", "at least one participant is needed")
    ids = [p.participant_id for p in participants]
    if len(set(ids)) != len(ids):
        raise SchedulingInputError("participants", "a participant is listed twice")

    window_start = now + request.minimum_notice
    window_end = now + request.horizon
    if request.search_window is not None:
        window_start = max(window_start, request.search_window.start)
        window_end = min(window_end, request.search_window.end)
    duration = request.duration
    if window_end - window_start < duration:
        return ()
    window = (window_start, window_end)
    before, after = request.buffer_before, request.buffer_after

    # Working hours first: they are few spans per participant and usually shrink the common
    # window to a fraction of the horizon. Colleagues with the same hours share one result.
    common: list[Span] = [window]
    seen_hours: set[tuple[object, ...]] = set()
    for participant in participants:
        hours = participant.working_hours
        capped = participant.capped_dates()
        key = (hours.identity, capped)
        if key in seen_hours:
            continue
        seen_hours.add(key)
        common = intersect_spans(common, hours.spans_between(window, skip_dates=capped))
        if not common:
            return ()
    # Then each participant's busy time: one sort and one sweep over it.
    soft_by_participant: list[tuple[int, list[Span]]] = []
    for participant in participants:
        hard, soft = _busy_spans(participant, common[-1][1] + after)
        if hard:
            common = subtract_spans(common, hard, lead=after, trail=before)
            if not common:
                return ()
        if soft:
            soft_by_participant.append((participant.participant_id, soft))

    unknown_always = tuple(
        p.participant_id
        for p in participants
        if unknown_reason(p, now=now, stale_after=request.stale_after) is not None
    )
    known_until = [
        (p.busy_known_until, p.participant_id)
        for p in participants
        if p.busy_known_until is not None and p.participant_id not in unknown_always
    ]
    # Times a participant's calendar data could not be read, as merged sorted spans.
    unknown_by_participant = [
        (p.participant_id, _merged_spans(p.unknown))
        for p in participants
        if p.unknown and p.participant_id not in unknown_always
    ]
    unknown_pointers = [0] * len(unknown_by_participant)
    order = {pid: index for index, pid in enumerate(ids)}

    ranked: list[tuple[bool, int, int, datetime, tuple[int, ...], tuple[int, ...]]] = []
    per_day_rank: Counter[tuple[bool, int, int]] = Counter()
    pointers = [0] * len(soft_by_participant)
    granularity = request.granularity
    align_zone = request.align_zone
    for free_start, free_end in common:
        last_start = free_end - duration
        if last_start < free_start:
            continue
        offset = free_start.astimezone(align_zone).utcoffset()
        steady = offset == free_end.astimezone(align_zone).utcoffset()
        remainder = (free_start + offset - EPOCH) % granularity  # type: ignore[operator]
        start = free_start + (granularity - remainder) if remainder else free_start
        while start <= last_start:
            end = start + duration
            if not steady:
                offset = start.astimezone(align_zone).utcoffset()
            day = (start + offset - EPOCH) // ONE_DAY  # type: ignore[operator]
            unknown = unknown_always
            late: list[int] = []
            if known_until:
                late = [pid for until, pid in known_until if until < end]
            for index, (pid, spans) in enumerate(unknown_by_participant):
                # The slot itself (not its buffers) against unreadable time.
                position = unknown_pointers[index]
                if position < len(spans) and spans[position][1] <= start:
                    position = bisect_right(spans, start, lo=position, key=_END)
                    unknown_pointers[index] = position
                if position < len(spans) and spans[position][0] < end and pid not in late:
                    late.append(pid)
            if late:
                unknown = tuple(sorted(unknown + tuple(late), key=order.__getitem__))
            tentative: list[int] = []
            if soft_by_participant:
                # The slot with its buffers, against tentative holds.
                probe_start, probe_end = start - before, end + after
                for index, (pid, spans) in enumerate(soft_by_participant):
                    position = pointers[index]
                    if position < len(spans) and spans[position][1] <= probe_start:
                        position = bisect_right(spans, probe_start, lo=position, key=_END)
                        pointers[index] = position
                    if position < len(spans) and spans[position][0] < probe_end:
                        tentative.append(pid)
            has_unknown = bool(unknown)
            conflicts = len(tentative)
            rank_key = (has_unknown, conflicts, day)
            rank = per_day_rank[rank_key]
            per_day_rank[rank_key] = rank + 1
            ranked.append((has_unknown, conflicts, rank, start, unknown, tuple(tentative)))
            start += granularity

    best = heapq.nsmallest(request.limit, ranked, key=lambda entry: entry[:4])
    return tuple(
        SlotSuggestion(start, start + duration, unknown, tentative)
        for _, _, _, start, unknown, tentative in best
    )


class FreeBusyState(StrEnum):
    """What a participant's grid cell shows for a stretch of time."""

    FREE = "free"
    BUSY = "busy"
    TENTATIVE = "tentative"
    UNKNOWN = "unknown"
    OUTSIDE_WORKING_HOURS = "outside_working_hours"


@dataclass(frozen=True, slots=True)
class FreeBusySegment:
    """A stretch of a participant's grid row in one state."""

    start: datetime
    end: datetime
    state: FreeBusyState


@dataclass(frozen=True, slots=True)
class ParticipantFreeBusy:
    """One participant's grid row: consecutive segments covering the whole window."""

    participant_id: int
    unknown_reason: UnknownReason | None
    segments: tuple[FreeBusySegment, ...]


def _paint(
    segments: list[tuple[datetime, datetime, FreeBusyState]],
    spans: Sequence[Span],
    state: FreeBusyState,
) -> list[tuple[datetime, datetime, FreeBusyState]]:
    """The segments with the sorted disjoint `spans` overwritten by `state`."""
    if not spans:
        return segments
    painted: list[tuple[datetime, datetime, FreeBusyState]] = []
    j = 0
    for seg_start, seg_end, seg_state in segments:
        cursor = seg_start
        while j < len(spans) and spans[j][1] <= cursor:
            j += 1
        k = j
        while k < len(spans) and spans[k][0] < seg_end:
            span_start, span_end = spans[k]
            if span_start > cursor:
                painted.append((cursor, span_start, seg_state))
                cursor = span_start
            cut = min(span_end, seg_end)
            if cut > cursor:
                painted.append((cursor, cut, state))
                cursor = cut
            if span_end > seg_end:
                break
            k += 1
        if cursor < seg_end:
            painted.append((cursor, seg_end, seg_state))
    return painted


def free_busy_grid(
    participants: Sequence[SchedulingParticipant],
    window: TimeInterval,
    *,
    now: datetime,
    stale_after: timedelta = timedelta(hours=1),
) -> tuple[ParticipantFreeBusy, ...]:
    """Each participant's row for a day or week grid: busy, tentative, free, unknown and
    outside-working-hours segments covering `window`, in UTC (the UI converts for display).

    Busy beats tentative beats outside working hours beats unknown beats free; working hours
    and booked interviews are Planner's own data, so they show even when the calendar is
    unknown. Only busy/free is shown, never what the busy time is."""
    now = aware_utc(now, "now")
    if not isinstance(window, TimeInterval):
        raise SchedulingInputError("window", "expected a TimeInterval")
    if window.duration > MAX_GRID_WINDOW:
        raise SchedulingInputError("window", f"must be at most {MAX_GRID_WINDOW.days} days")
    _check_timedelta(
        stale_after, "stale_after", minimum=timedelta(0), maximum=MAX_HORIZON, inclusive=False
    )
    span = window.span
    rows = []
    for participant in participants:
        reason = unknown_reason(participant, now=now, stale_after=stale_after)
        segments = [(window.start, window.end, FreeBusyState.FREE)]
        if reason is not None:
            segments = _paint(segments, [span], FreeBusyState.UNKNOWN)
        elif participant.busy_known_until is not None and participant.busy_known_until < window.end:
            unknown_from = max(participant.busy_known_until, window.start)
            segments = _paint(segments, [(unknown_from, window.end)], FreeBusyState.UNKNOWN)
        if reason is None and participant.unknown:
            unreadable = intersect_spans(_merged_spans(participant.unknown), [span])
            segments = _paint(segments, unreadable, FreeBusyState.UNKNOWN)
        working = participant.working_hours.spans_between(span)
        segments = _paint(
            segments, subtract_spans([span], working), FreeBusyState.OUTSIDE_WORKING_HOURS
        )
        hard, soft = _busy_spans(participant, window.end)
        segments = _paint(segments, intersect_spans(soft, [span]), FreeBusyState.TENTATIVE)
        segments = _paint(segments, intersect_spans(hard, [span]), FreeBusyState.BUSY)
        joined: list[FreeBusySegment] = []
        for start, end, state in segments:
            if joined and joined[-1].state is state and joined[-1].end == start:
                joined[-1] = FreeBusySegment(joined[-1].start, end, state)
            else:
                joined.append(FreeBusySegment(start, end, state))
        rows.append(ParticipantFreeBusy(participant.participant_id, reason, tuple(joined)))
    return tuple(rows)
