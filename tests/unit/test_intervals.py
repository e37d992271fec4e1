"""Interval math: TimeInterval validation and the span sweeps, checked against minute sets."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.domain.intervals import (
    SchedulingInputError,
    TimeInterval,
    aware_utc,
    clip_spans,
    intersect_spans,
    merge_spans,
    subtract_spans,
)

BASE = datetime(2026, 3, 28, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(minute: int) -> datetime:
    return BASE + minute * MINUTE


def minutes_of(spans) -> set[int]:
    covered: set[int] = set()
    for start, end in spans:
        covered.update(range((start - BASE) // MINUTE, (end - BASE) // MINUTE))
    return covered


def is_sorted_disjoint(spans) -> bool:
    return all(start < end for start, end in spans) and all(
        a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False)
    )


raw_spans = st.lists(
    st.tuples(st.integers(0, 300), st.integers(1, 60)).map(lambda p: (at(p[0]), at(p[0] + p[1]))),
    max_size=12,
)
clean_spans = raw_spans.map(merge_spans)
offsets = st.integers(0, 20).map(lambda m: m * MINUTE)


def test_time_interval_is_stored_in_utc():
    copenhagen = ZoneInfo("Europe/Copenhagen")
    interval = TimeInterval(
        datetime(2026, 3, 29, 9, tzinfo=copenhagen), datetime(2026, 3, 29, 17, tzinfo=copenhagen)
    )
    assert interval.start == datetime(2026, 3, 29, 7, tzinfo=UTC)
    assert interval.start.tzinfo is UTC
    assert interval.duration == timedelta(hours=8)


@pytest.mark.parametrize(
    "start, end, field",
    [
        (datetime(2026, 1, 1, 10), datetime(2026, 1, 1, 11, tzinfo=UTC), "start"),
        (datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 11), "end"),
        (datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 10, tzinfo=UTC), "end"),
        (datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 9, tzinfo=UTC), "end"),
        ("2026-01-01T10:00Z", datetime(2026, 1, 1, 11, tzinfo=UTC), "start"),
    ],
)
def test_time_interval_refuses_bad_bounds(start, end, field):
    with pytest.raises(SchedulingInputError) as error:
        TimeInterval(start, end)
    assert error.value.field == field
    assert field in str(error.value)


def test_aware_utc_accepts_fixed_offsets_and_refuses_naive():
    plus_two = timezone(timedelta(hours=2))
    assert aware_utc(datetime(2026, 5, 1, 12, tzinfo=plus_two), "now") == datetime(
        2026, 5, 1, 10, tzinfo=UTC
    )
    with pytest.raises(SchedulingInputError, match="now: datetime must be timezone-aware"):
        aware_utc(datetime(2026, 5, 1, 12), "now")


def test_overlap_and_containment_are_half_open():
    morning = TimeInterval(at(0), at(60))
    assert not morning.overlaps(TimeInterval(at(60), at(90)))
    assert morning.overlaps(TimeInterval(at(59), at(90)))
    assert morning.contains(TimeInterval(at(0), at(60)))
    assert not morning.contains(TimeInterval(at(0), at(61)))


def test_merge_joins_spans_within_the_gap():
    spans = [(at(0), at(10)), (at(15), at(20)), (at(40), at(50))]
    assert merge_spans(spans) == spans
    assert merge_spans(spans, gap=5 * MINUTE) == [(at(0), at(20)), (at(40), at(50))]


@settings(max_examples=150, deadline=None)
@given(raw_spans)
def test_merge_is_the_sorted_disjoint_union(spans):
    merged = merge_spans(spans)
    assert is_sorted_disjoint(merged)
    assert minutes_of(merged) == minutes_of(spans)


@settings(max_examples=150, deadline=None)
@given(clean_spans, clean_spans)
def test_intersect_and_subtract_match_set_operations(first, second):
    both = intersect_spans(first, second)
    rest = subtract_spans(first, second)
    assert is_sorted_disjoint(both) and is_sorted_disjoint(rest)
    assert minutes_of(both) == minutes_of(first) & minutes_of(second)
    assert minutes_of(rest) == minutes_of(first) - minutes_of(second)


@settings(max_examples=150, deadline=None)
@given(clean_spans, clean_spans, offsets, offsets)
def test_subtract_grows_removed_spans_by_lead_and_trail(base, removed, lead, trail):
    grown = merge_spans((start - lead, end + trail) for start, end in removed)
    assert subtract_spans(base, removed, lead=lead, trail=trail) == subtract_spans(base, grown)


@settings(max_examples=100, deadline=None)
@given(clean_spans, st.integers(0, 300), st.integers(1, 120))
def test_clip_keeps_only_the_window(spans, start, length):
    window = (at(start), at(start + length))
    assert minutes_of(clip_spans(spans, window)) == minutes_of(spans) & minutes_of([window])
