"""Slot finder benchmark: find_suggestions over 28 days of busy calendars, against sorted()."""

import gc
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from planner.domain.availability import (
    BusyPeriod,
    SchedulingParticipant,
    SlotRequest,
    WorkingSchedule,
    find_suggestions,
    local_instant,
)
from planner.domain.intervals import TimeInterval
from planner.domain.vocabulary import SyncStatus

CASES = (("10x28", 10, 28), ("50x28", 50, 28))
NOW = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)  # Monday; the window crosses DST on 2026-03-29
ZONES = ("Europe/Copenhagen", "Europe/Stockholm", "Europe/Oslo", "Europe/Helsinki", "Europe/London")
BLOCKS_PER_DAY = 8
# Every participant keeps 13:00-14:30 Copenhagen time clear of hard busy time on weekdays, so
# that suggestions exist and every participant's calendar is processed (an empty common window
# would let the finder stop early and flatter the figures).
CLEAR_FROM, CLEAR_TO = 13 * 60, 14 * 60 + 30
WARMUP = 20
REPETITIONS = 300
REQUEST = SlotRequest(
    duration=timedelta(minutes=60),
    granularity=timedelta(minutes=15),
    buffer_before=timedelta(minutes=10),
    buffer_after=timedelta(minutes=10),
    minimum_notice=timedelta(hours=4),
    horizon=timedelta(days=28),
    limit=20,
    align_time_zone="Europe/Copenhagen",
)
_START = attrgetter("start")


def _participant(participant_id: int, days: int, rng: random.Random) -> SchedulingParticipant:
    """One synced participant: BLOCKS_PER_DAY busy blocks on each of `days` days (about one in
    ten tentative), a few booked interviews, and capped interviews per day and week."""
    zone_name = ZONES[participant_id % len(ZONES)]
    hours = WorkingSchedule.office_week(zone_name, start_hour=8, end_hour=18)
    copenhagen = WorkingSchedule.office_week("Europe/Copenhagen").zone
    busy: list[BusyPeriod] = []
    interviews: list[TimeInterval] = []
    first_day = NOW.astimezone(hours.zone).date()
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        clear = (
            local_instant(day, CLEAR_FROM, copenhagen),
            local_instant(day, CLEAR_TO, copenhagen),
        )
        placed = 0
        while placed < BLOCKS_PER_DAY:
            start = local_instant(day, rng.randrange(7 * 60, 19 * 60, 5), hours.zone)
            end = start + timedelta(minutes=rng.choice((15, 30, 30, 45, 60)))
            tentative = rng.random() < 0.1
            if not tentative and day.weekday() < 5 and start < clear[1] and clear[0] < end:
                continue
            busy.append(BusyPeriod(start, end, tentative))
            placed += 1
        if day.weekday() < 5 and rng.random() < 0.15:
            start = local_instant(day, rng.choice((8 * 60, 16 * 60)), hours.zone)
            interviews.append(TimeInterval(start, start + timedelta(minutes=45)))
    return SchedulingParticipant(
        participant_id=participant_id,
        working_hours=hours,
        sync_status=SyncStatus.SYNCED,
        busy_synced_at=NOW - timedelta(minutes=5),
        busy=tuple(busy),
        interviews=tuple(interviews),
        max_interviews_per_day=3,
        max_interviews_per_week=8,
    )


def participants_for(count: int, days: int, seed: int = 20260309) -> list[SchedulingParticipant]:
    """Deterministic (seeded) participants for a case."""
    rng = random.Random(f"{seed}-{count}-{days}")
    return [_participant(number + 1, days, rng) for number in range(count)]


def _timed(call: Callable[[], object]) -> tuple[float, float]:
    """CPU time of this thread and wall time of one call, in milliseconds. CPU time is what
    the figures report: on a shared machine wall time mostly measures the neighbours."""
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    call()
    return (time.thread_time_ns() - cpu) / 1e6, (time.perf_counter_ns() - wall) / 1e6


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def measure(case: str, count: int, days: int) -> dict:
    """Time find_suggestions and a plain sorted() of the same busy periods, interleaved."""
    participants = participants_for(count, days)
    all_busy = [period for participant in participants for period in participant.busy]
    suggestions = find_suggestions(participants, REQUEST, now=NOW)

    def finder() -> object:
        return find_suggestions(participants, REQUEST, now=NOW)

    def baseline() -> object:
        return sorted(all_busy, key=_START)

    for _ in range(WARMUP):
        finder()
        baseline()
    finder_ms: list[float] = []
    finder_wall_ms: list[float] = []
    sort_ms: list[float] = []
    # As timeit does, the collector is paused while timing: a full collection's cost depends
    # on everything else alive in the process, not on the call that happens to trigger it.
    gc.collect()
    gc.disable()
    try:
        for _ in range(REPETITIONS):
            cpu, wall = _timed(finder)
            finder_ms.append(cpu)
            finder_wall_ms.append(wall)
            sort_ms.append(_timed(baseline)[0])
    finally:
        gc.enable()
    p95, sort_p95 = _p95(finder_ms), _p95(sort_ms)
    return {
        "bench": "slots",
        "case": case,
        "p50_ms": round(statistics.median(finder_ms), 3),
        "p95_ms": round(p95, 3),
        "ratio_to_sort": round(p95 / sort_p95, 2),
        "wall_p95_ms": round(_p95(finder_wall_ms), 3),
        "sort_p50_ms": round(statistics.median(sort_ms), 3),
        "sort_p95_ms": round(sort_p95, 3),
        "busy_periods": len(all_busy),
        "suggestions": len(suggestions),
        "repetitions": REPETITIONS,
        "clock": "thread CPU time, gc paused (wall_p95_ms: wall clock)",
        "timed": "find_suggestions(participants, request, now=) on prepared domain objects",
        "baseline": "sorted(all busy periods, key=start)",
    }


def run() -> Iterator[dict]:
    """One result per case: p50/p95 of the slot finder and its p95 over sorted()'s p95."""
    for case, count, days in CASES:
        yield measure(case, count, days)
