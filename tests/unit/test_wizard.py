"""The wizard's pure rules: suggestions grouped by day in time order, a candidate's local
hours (New York, DST), and who a hand-picked time collides with."""

from datetime import UTC, datetime, timedelta

from planner.domain.availability import (
    FreeBusySegment,
    FreeBusyState,
    ParticipantFreeBusy,
    UnknownReason,
)
from planner.domain.wizard import candidate_hours, collision, days_in_order


def _utc(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_ranked_suggestions_are_shown_by_day_then_time_in_the_recruiters_zone():
    # Ranked order as the slot finder gives it: spread over days first.
    starts = [_utc(2, 9), _utc(1, 13), _utc(1, 8), _utc(2, 7), _utc(1, 23, 30)]
    days = days_in_order(starts, "Europe/Copenhagen")
    # 23:30 UTC on 1 December is 00:30 on 2 December in Copenhagen.
    assert [(d.isoformat(), positions) for d, positions in days] == [
        ("2026-12-01", [2, 1]),
        ("2026-12-02", [4, 3, 0]),
    ]


def test_a_new_york_candidate_sees_their_own_time_and_early_hours_are_marked():
    start = _utc(1, 9)  # 10:00 Copenhagen, 04:00 New York
    hours = candidate_hours(
        start,
        start + timedelta(minutes=45),
        candidate_zone="America/New_York",
        recruiter_zone="Europe/Copenhagen",
    )
    assert hours.differs and hours.unsociable
    assert hours.start.strftime("%H:%M") == "04:00"
    late_afternoon = candidate_hours(
        _utc(1, 15),
        _utc(1, 16),
        candidate_zone="America/New_York",
        recruiter_zone="Europe/Copenhagen",
    )
    assert late_afternoon.differs and not late_afternoon.unsociable


def test_a_time_ending_after_21_or_in_the_same_zone_is_judged_on_the_local_clock():
    same = candidate_hours(
        _utc(1, 19, 30),
        _utc(1, 20, 30),
        candidate_zone="Europe/Copenhagen",
        recruiter_zone="Europe/Copenhagen",
    )
    assert not same.differs and same.unsociable  # 20:30-21:30 local
    fine = candidate_hours(
        _utc(1, 19), _utc(1, 20), candidate_zone="Europe/Oslo", recruiter_zone="Europe/Copenhagen"
    )
    assert not fine.differs and not fine.unsociable  # 20:00-21:00 local


def test_new_york_dst_ends_a_week_before_europe_in_spring_and_the_offset_shows():
    # 2026-03-09 (after US DST start, before EU): New York is 5 hours behind Copenhagen.
    start = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 13:00 Copenhagen, 08:00 New York
    hours = candidate_hours(
        start,
        start + timedelta(hours=1),
        candidate_zone="America/New_York",
        recruiter_zone="Europe/Copenhagen",
    )
    assert hours.start.strftime("%H:%M") == "08:00" and not hours.unsociable


def _row(pid, *segments, reason=None):
    return ParticipantFreeBusy(
        pid, reason, tuple(FreeBusySegment(s, e, FreeBusyState(state)) for s, e, state in segments)
    )


def test_a_collision_names_who_is_busy_unknown_tentative_away_and_held():
    rows = [
        _row(1, (_utc(1, 8), _utc(1, 9), "free"), (_utc(1, 9), _utc(1, 10), "busy")),
        _row(2, (_utc(1, 0), _utc(2, 0), "unknown"), reason=UnknownReason.NOT_SYNCED),
        _row(3, (_utc(1, 8), _utc(1, 9, 30), "tentative"), (_utc(1, 9, 30), _utc(1, 12), "free")),
        _row(4, (_utc(1, 8), _utc(1, 12), "free")),
    ]
    found = collision(rows, _utc(1, 8, 30), _utc(1, 9, 15), held={4: [(_utc(1, 9), _utc(1, 10))]})
    assert (found.busy, found.unknown, found.tentative, found.held) == ((1,), (2,), (3,), (4,))
    assert not found.clear
    quiet = collision(rows[3:], _utc(1, 8), _utc(1, 9))
    assert quiet.clear
