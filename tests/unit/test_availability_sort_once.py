"""The slot finder sorts a participant's busy periods once, not on every search (issue 15)."""

from datetime import UTC, datetime, timedelta

from planner.domain import availability
from planner.domain.availability import (
    BusyPeriod,
    SchedulingParticipant,
    SlotRequest,
    WorkingSchedule,
    find_suggestions,
)
from planner.domain.intervals import TimeInterval
from planner.domain.vocabulary import SyncStatus

NOW = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)


def _participant() -> SchedulingParticipant:
    busy = tuple(
        BusyPeriod(NOW + timedelta(hours=h), NOW + timedelta(hours=h, minutes=30))
        for h in range(200, 4, -7)  # newest first: the order calendars often give
    )
    return SchedulingParticipant(
        participant_id=1,
        working_hours=WorkingSchedule.office_week("Europe/Copenhagen"),
        sync_status=SyncStatus.SYNCED,
        busy_synced_at=NOW,
        busy=busy,
        interviews=(TimeInterval(NOW + timedelta(hours=30), NOW + timedelta(hours=31)),),
    )


def test_repeated_searches_do_not_sort_the_busy_periods_again(monkeypatch):
    anna = _participant()
    request = SlotRequest(duration=timedelta(minutes=60), horizon=timedelta(days=14))
    expected = find_suggestions([anna], request, now=NOW)
    sorted_lengths: list[int] = []

    def counting_sorted(items, *args, **kwargs):  # type: ignore[no-untyped-def]
        items = list(items)
        sorted_lengths.append(len(items))
        return sorted(items, *args, **kwargs)

    monkeypatch.setattr(availability, "sorted", counting_sorted, raising=False)
    for _ in range(3):
        assert find_suggestions([anna], request, now=NOW) == expected
    busy_count = len(anna.busy) + len(anna.interviews)
    assert busy_count not in sorted_lengths
    # The busy periods and the interview still count, whatever order they came in.
    assert expected
    blocked = [(p.start, p.end) for p in anna.busy] + [(i.start, i.end) for i in anna.interviews]
    assert not any(s.start < end and start < s.end for s in expected for start, end in blocked)
