"""Property-based tests of the slot finder: its guarantees, and agreement with brute force."""

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.domain.availability import (
    BusyPeriod,
    DateOverride,
    SchedulingParticipant,
    SlotRequest,
    WorkingSchedule,
    WorkingWindow,
    find_suggestions,
)
from planner.domain.intervals import TimeInterval
from planner.domain.vocabulary import SyncStatus

MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZONES = ("Europe/Copenhagen", "Europe/Helsinki", "America/New_York", "UTC", "Asia/Kolkata")
# Starting points around the DST changes of 2026 (Europe 03-29 and 10-25, New York 03-08, 11-01).
AROUND_DST = (
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2026, 3, 6, tzinfo=UTC),
    datetime(2026, 10, 30, tzinfo=UTC),
)
STALE_AFTER = timedelta(hours=1)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def minutes(low: int, high: int, step: int = 5) -> st.SearchStrategy[timedelta]:
    return st.integers(low // step, high // step).map(lambda n: n * step * MINUTE)


@st.composite
def scheduling_inputs(draw):
    now = draw(st.sampled_from(AROUND_DST)) + draw(minutes(0, 3 * 24 * 60))
    request = SlotRequest(
        duration=draw(minutes(5, 180)),
        granularity=draw(st.sampled_from([5, 10, 15, 30, 60])) * MINUTE,
        buffer_before=draw(minutes(0, 30)),
        buffer_after=draw(minutes(0, 30)),
        minimum_notice=draw(minutes(0, 12 * 60)),
        horizon=draw(minutes(24 * 60, 3 * 24 * 60, 60)),
        limit=1000,
        stale_after=STALE_AFTER,
        align_time_zone=draw(st.sampled_from(ZONES)),
    )
    count = draw(st.integers(1, 3))
    participants = [draw(participant(number + 1, now)) for number in range(count)]
    return participants, request, now


@st.composite
def participant(draw, participant_id: int, now: datetime):
    zone = draw(st.sampled_from(ZONES))
    # A daily window for every weekday (so that participants in different zones overlap),
    # plus a few random windows, some of them crossing midnight into the next day.
    daily_start, daily_length = draw(st.integers(0, 56)), draw(st.integers(16, 64))
    extra = draw(
        st.lists(st.tuples(st.integers(0, 6), st.integers(0, 95), st.integers(1, 48)), max_size=4)
    )
    windows = [(day, daily_start, daily_length) for day in range(7)] + extra
    weekly = tuple(
        WorkingWindow(day, start * 15, min(1440, (start + length) * 15))
        for day, start, length in windows
    )
    today = now.astimezone(ZoneInfo(zone)).date()
    overrides = tuple(
        DateOverride(today + timedelta(days=offset), *bounds)
        for offset, bounds in draw(
            st.lists(
                st.tuples(
                    st.integers(0, 4),
                    st.one_of(
                        st.just((None, None)),
                        st.tuples(st.integers(0, 80), st.integers(1, 40)).map(
                            lambda p: (p[0] * 15, min(1440, (p[0] + p[1]) * 15))
                        ),
                    ),
                ),
                max_size=3,
            )
        )
    )
    periods = st.tuples(minutes(-24 * 60, 4 * 24 * 60), minutes(5, 180))
    busy = tuple(
        BusyPeriod(now + offset, now + offset + length, tentative)
        for (offset, length), tentative in draw(
            st.lists(st.tuples(periods, st.booleans()), max_size=10)
        )
    )
    holds = st.tuples(minutes(0, 3 * 24 * 60), minutes(60, 8 * 60))
    busy += tuple(
        BusyPeriod(now + offset, now + offset + length, tentative=True)
        for offset, length in draw(st.lists(holds, max_size=3))
    )
    interviews = tuple(
        TimeInterval(now + offset, now + offset + length)
        for offset, length in draw(st.lists(periods, max_size=4))
    )
    # Partly unreadable calendar data: stretches whose busy state is unknown (issue #9).
    unreadable = st.tuples(minutes(-24 * 60, 4 * 24 * 60), minutes(5, 24 * 60))
    unknown = tuple(
        TimeInterval(now + offset, now + offset + length)
        for offset, length in draw(st.lists(unreadable, max_size=3))
    )
    return SchedulingParticipant(
        participant_id=participant_id,
        working_hours=WorkingSchedule(zone, weekly, overrides),
        sync_status=draw(
            st.sampled_from([SyncStatus.SYNCED] * 3 + [SyncStatus.ERROR, SyncStatus.INVITED])
        ),
        busy_synced_at=now - draw(minutes(0, 120)),
        busy_known_until=draw(st.one_of(st.none(), minutes(0, 4 * 24 * 60).map(now.__add__))),
        busy=busy,
        interviews=interviews,
        unknown=unknown,
        max_interviews_per_day=draw(st.one_of(st.none(), st.integers(1, 2))),
        max_interviews_per_week=draw(st.one_of(st.none(), st.integers(1, 3))),
    )


def hard_busy(person: SchedulingParticipant) -> list[tuple[datetime, datetime]]:
    return [(p.start, p.end) for p in person.busy if not p.tentative] + [
        (i.start, i.end) for i in person.interviews
    ]


def overlaps(start, end, spans) -> bool:
    return any(s < end and start < e for s, e in spans)


def capped_dates(person: SchedulingParticipant) -> set[date]:
    """Local dates a booked-interview cap closes, computed independently of the finder."""
    zone = person.zone
    per_day = Counter(i.start.astimezone(zone).date() for i in person.interviews)
    closed = set()
    for day, count in per_day.items():
        if person.max_interviews_per_day is not None and count >= person.max_interviews_per_day:
            closed.add(day)
    per_week = Counter()
    for day, count in per_day.items():
        per_week[day.isocalendar()[:2]] += count
    for (year, week), count in per_week.items():
        if person.max_interviews_per_week is not None and count >= person.max_interviews_per_week:
            closed.update(date.fromisocalendar(year, week, weekday) for weekday in range(1, 8))
    return closed


def is_unknown(
    person: SchedulingParticipant, now: datetime, start: datetime, end: datetime
) -> bool:
    if person.sync_status is not SyncStatus.SYNCED or person.busy_synced_at < now - STALE_AFTER:
        return True
    if overlaps(start, end, [(u.start, u.end) for u in person.unknown]):
        return True
    return person.busy_known_until is not None and person.busy_known_until < end


def wall_clock_is_ambiguous(local: datetime) -> bool:
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def in_working_hours(person: SchedulingParticipant, instant: datetime) -> bool:
    """Whether the wall clock at `instant` falls in a working window of its local date."""
    local = instant.astimezone(person.zone)
    minute = local.hour * 60 + local.minute + local.second / 60
    return any(
        start <= minute < end for start, end in person.working_hours.minutes_on(local.date())
    )


def brute_force(participants, request, now):
    """Every valid slot, found by testing each aligned start against each rule."""
    window_start, window_end = now + request.minimum_notice, now + request.horizon
    align = request.align_zone
    working = []
    for person in participants:
        closed = frozenset(capped_dates(person))
        working.append(
            person.working_hours.spans_between((window_start, window_end), skip_dates=closed)
        )
    found = set()
    start = window_start
    while start + request.duration <= window_end:
        end = start + request.duration
        offset = start.astimezone(align).utcoffset()
        aligned = (start + offset - EPOCH) % request.granularity == timedelta(0)
        guard_start, guard_end = start - request.buffer_before, end + request.buffer_after
        if aligned and all(
            any(s <= start and end <= e for s, e in spans)
            and not overlaps(guard_start, guard_end, hard_busy(person))
            for person, spans in zip(participants, working, strict=True)
        ):
            unknown = tuple(
                p.participant_id for p in participants if is_unknown(p, now, start, end)
            )
            tentative = tuple(
                p.participant_id
                for p in participants
                if overlaps(
                    guard_start, guard_end, [(b.start, b.end) for b in p.busy if b.tentative]
                )
            )
            found.add((start, unknown, tentative))
        start += 5 * MINUTE
    return found


@PROPERTY_SETTINGS
@given(scheduling_inputs())
def test_suggestions_keep_every_rule(inputs):
    participants, request, now = inputs
    suggestions = find_suggestions(participants, request, now=now)
    for slot in suggestions:
        assert slot.end - slot.start == request.duration
        assert slot.start >= now + request.minimum_notice
        assert slot.end <= now + request.horizon
        guard = (slot.start - request.buffer_before, slot.end + request.buffer_after)
        for person in participants:
            # No hard busy time or booked interview within the slot and its buffers.
            assert not overlaps(*guard, hard_busy(person))
            # Inside working hours, checked on the wall clock every 5 minutes and at the end.
            probe = slot.start
            while probe < slot.end:
                local = probe.astimezone(person.zone)
                if not wall_clock_is_ambiguous(local):
                    assert in_working_hours(person, probe), (person, probe)
                probe += 5 * MINUTE
            # Caps: the slot's local date is not closed by booked interviews.
            assert slot.start.astimezone(person.zone).date() not in capped_dates(person)
        # Unknown participants are always named.
        assert slot.unknown_participants == tuple(
            p.participant_id for p in participants if is_unknown(p, now, slot.start, slot.end)
        )
    # Ranking: all known and free first, then fewer tentative conflicts.
    classes = [(bool(s.unknown_participants), len(s.tentative_participants)) for s in suggestions]
    assert classes == sorted(classes)


@PROPERTY_SETTINGS
@given(scheduling_inputs())
def test_suggestions_are_exactly_the_brute_force_slots(inputs):
    participants, request, now = inputs
    suggestions = find_suggestions(participants, request, now=now)
    assert len(suggestions) < request.limit  # so the comparison sees every slot
    found = {(s.start, s.unknown_participants, s.tentative_participants) for s in suggestions}
    assert len(found) == len(suggestions)
    assert found == brute_force(participants, request, now)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheduling_inputs(), st.randoms(use_true_random=False))
def test_same_input_same_output_whatever_the_order_of_busy_times(inputs, rng: random.Random):
    participants, request, now = inputs
    first = find_suggestions(participants, replace(request, limit=7), now=now)
    assert find_suggestions(participants, replace(request, limit=7), now=now) == first
    shuffled = []
    for person in participants:
        busy = list(person.busy)
        rng.shuffle(busy)
        shuffled.append(replace(person, busy=tuple(busy)))
    assert find_suggestions(shuffled, replace(request, limit=7), now=now) == first


@PROPERTY_SETTINGS
@given(scheduling_inputs())
def test_unreadable_time_is_never_treated_as_free(inputs):
    """A participant whose calendar data was partly unreadable is named as unknown on every
    slot touching that time, and such slots rank after every slot where all are known."""
    participants, request, now = inputs
    suggestions = find_suggestions(participants, request, now=now)
    seen_unknown = False
    for slot in suggestions:
        for person in participants:
            if overlaps(slot.start, slot.end, [(u.start, u.end) for u in person.unknown]):
                assert person.participant_id in slot.unknown_participants
        if slot.unknown_participants:
            seen_unknown = True
        else:
            assert not seen_unknown, "an all-known slot ranks after one with unknown time"
