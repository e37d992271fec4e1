"""Time intervals in UTC and the sweep operations (merge, subtract, intersect) over sorted spans."""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter

# A span is a (start, end) pair of UTC datetimes with start < end; lists of spans passed to the
# functions below are sorted by start and pairwise disjoint unless a docstring says otherwise.
# Spans are plain tuples because the slot finder creates thousands of them per call.
Span = tuple[datetime, datetime]

NO_GAP = timedelta(0)
_end = itemgetter(1)


class SchedulingInputError(ValueError):
    """Input to scheduling that cannot be used; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def aware_utc(value: object, field: str) -> datetime:
    """`value` as a UTC datetime, refusing naive datetimes and non-datetimes.

    A naive datetime has no defined instant, so accepting one would silently pick a zone."""
    if not isinstance(value, datetime):
        raise SchedulingInputError(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise SchedulingInputError(field, "datetime must be timezone-aware")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class TimeInterval:
    """A half-open stretch of time [start, end), stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start = aware_utc(self.start, "start")
        end = aware_utc(self.end, "end")
        if end <= start:
            raise SchedulingInputError("end", "must be after start")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def duration(self) -> timedelta:
        """How long the interval lasts in real (elapsed) time."""
        return self.end - self.start

    @property
    def span(self) -> Span:
        """The interval as a (start, end) tuple for the sweep functions."""
        return (self.start, self.end)

    def overlaps(self, other: "TimeInterval") -> bool:
        """Whether the two intervals share any instant (touching ends do not overlap)."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: "TimeInterval") -> bool:
        """Whether `other` lies entirely within this interval."""
        return self.start <= other.start and other.end <= self.end


def merge_spans(spans: Iterable[Span], *, gap: timedelta = NO_GAP) -> list[Span]:
    """The union of possibly unsorted, overlapping spans as a sorted disjoint list.

    Spans separated by at most `gap` are joined too: the slot finder uses this to treat two
    busy blocks closer than the buffers as one."""
    merged: list[Span] = []
    ordered = sorted(spans)
    if not ordered:
        return merged
    current_start, current_end = ordered[0]
    for start, end in ordered[1:]:
        if start <= current_end + gap:
            if end > current_end:
                current_end = end
        else:
            merged.append((current_start, current_end))
            current_start, current_end = start, end
    merged.append((current_start, current_end))
    return merged


def subtract_spans(
    base: Sequence[Span],
    removed: Sequence[Span],
    *,
    lead: timedelta = NO_GAP,
    trail: timedelta = NO_GAP,
) -> list[Span]:
    """The parts of sorted disjoint `base` not covered by sorted disjoint `removed`, each
    removed span first grown by `lead` before its start and `trail` after its end.

    Growing here rather than beforehand means only the removed spans that meet `base` are
    touched: the rest are skipped by binary search, so a long busy list costs little where
    `base` has nothing (outside working hours, say). Grown spans may overlap; that is fine."""
    result: list[Span] = []
    append = result.append
    j = 0
    count = len(removed)
    for start, end in base:
        if j < count and removed[j][1] + trail <= start:
            j = bisect_right(removed, start - trail, lo=j, key=_end)
        k = j
        cursor = start
        while k < count:
            cut_start, cut_end = removed[k]
            cut_start -= lead
            if cut_start >= end:
                break
            if cut_start > cursor:
                append((cursor, cut_start))
            cut_end += trail
            if cut_end > cursor:
                cursor = cut_end
                if cursor >= end:
                    break
            k += 1
        if cursor < end:
            append((cursor, end))
    return result


def intersect_spans(first: Sequence[Span], second: Sequence[Span]) -> list[Span]:
    """The instants covered by both sorted disjoint span lists, as a sorted disjoint list."""
    result: list[Span] = []
    append = result.append
    i = j = 0
    first_count, second_count = len(first), len(second)
    while i < first_count and j < second_count:
        a_start, a_end = first[i]
        b_start, b_end = second[j]
        start = a_start if a_start > b_start else b_start
        end = a_end if a_end < b_end else b_end
        if start < end:
            append((start, end))
        if a_end < b_end:
            i += 1
        else:
            j += 1
    return result


def clip_spans(spans: Sequence[Span], window: Span) -> list[Span]:
    """The parts of sorted disjoint `spans` that fall inside `window`."""
    return intersect_spans(spans, [window])
