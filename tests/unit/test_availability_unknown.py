"""Unreadable calendar time in the slot finder and the grid: unknown, never free (issue #9)."""

from datetime import UTC, datetime, timedelta

from planner.domain.availability import (
    BusyPeriod,
    FreeBusyState,
    SchedulingParticipant,
    SlotRequest,
    WorkingSchedule,
    find_suggestions,
    free_busy_grid,
)
from planner.domain.intervals import TimeInterval
from planner.domain.vocabulary import SyncStatus

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def person(participant_id: int, **fields) -> SchedulingParticipant:
    return SchedulingParticipant(
        participant_id,
        WorkingSchedule.office_week("UTC"),
        sync_status=SyncStatus.SYNCED,
        busy_synced_at=NOW,
        **fields,
    )


def test_slots_touching_unreadable_time_name_the_participant_and_rank_last():
    anna = person(1, unknown=(TimeInterval(utc(2026, 3, 2, 9), utc(2026, 3, 2, 12)),))
    bo = person(2, busy=(BusyPeriod(utc(2026, 3, 2, 13), utc(2026, 3, 2, 17)),))
    request = SlotRequest(duration=timedelta(hours=1), horizon=timedelta(hours=12), limit=100)
    slots = find_suggestions([anna, bo], request, now=NOW)
    assert [(s.start.hour, s.start.minute) for s in slots if not s.unknown_participants] == [
        (12, 0)
    ]
    unknown = [s for s in slots if s.unknown_participants]
    assert unknown and all(s.unknown_participants == (1,) for s in unknown)
    assert all(s.start < utc(2026, 3, 2, 12) for s in unknown)
    assert not slots[0].unknown_participants  # the known-free slot first
    # A slot ending exactly where the unreadable time starts is known.
    request = SlotRequest(duration=timedelta(minutes=30), horizon=timedelta(hours=12), limit=100)
    later = person(1, unknown=(TimeInterval(utc(2026, 3, 2, 10), utc(2026, 3, 2, 12)),))
    found = find_suggestions([later], request, now=NOW)
    before = [s for s in found if s.end == utc(2026, 3, 2, 10)]
    assert before and not before[0].unknown_participants


def test_grid_shows_unreadable_time_as_unknown_but_busy_over_it():
    anna = person(
        1,
        unknown=(TimeInterval(utc(2026, 3, 2, 9), utc(2026, 3, 2, 12)),),
        busy=(BusyPeriod(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)),),
    )
    [row] = free_busy_grid([anna], TimeInterval(utc(2026, 3, 2, 9), utc(2026, 3, 2, 14)), now=NOW)
    assert [(s.start.hour, s.end.hour, s.state) for s in row.segments] == [
        (9, 10, FreeBusyState.UNKNOWN),
        (10, 11, FreeBusyState.BUSY),
        (11, 12, FreeBusyState.UNKNOWN),
        (12, 14, FreeBusyState.FREE),
    ]
