"""Working hours across DST, slot suggestions and the free/busy grid: explicit cases."""

from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

import pytest

from planner.domain.availability import (
    BusyPeriod,
    DateOverride,
    FreeBusyState,
    SchedulingParticipant,
    SlotRequest,
    UnknownReason,
    WorkingSchedule,
    WorkingWindow,
    find_suggestions,
    free_busy_grid,
    local_instant,
    unknown_reason,
)
from planner.domain.intervals import SchedulingInputError, TimeInterval
from planner.domain.vocabulary import SyncStatus

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
START = attrgetter("start")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def every_day(time_zone: str, start_hour: float, end_hour: float) -> WorkingSchedule:
    return WorkingSchedule.from_rows(
        time_zone, [(day, int(start_hour * 60), int(end_hour * 60)) for day in range(7)]
    )


def spans_on(hours: WorkingSchedule, day: date) -> list[tuple[datetime, datetime]]:
    zone = hours.zone
    start = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    return hours.spans_between((start - 6 * HOUR, start + 30 * HOUR))


def synced(participant_id: int, hours: WorkingSchedule, *, now: datetime, **fields):
    return SchedulingParticipant(
        participant_id=participant_id,
        working_hours=hours,
        sync_status=SyncStatus.SYNCED,
        busy_synced_at=now - 5 * MINUTE,
        **fields,
    )


# --- time zones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "time_zone, day, expected_start, expected_end",
    [
        # Copenhagen springs forward 2026-03-29 02:00 -> 03:00: 9-17 is CEST already.
        ("Europe/Copenhagen", date(2026, 3, 28), utc(2026, 3, 28, 8), utc(2026, 3, 28, 16)),
        ("Europe/Copenhagen", date(2026, 3, 29), utc(2026, 3, 29, 7), utc(2026, 3, 29, 15)),
        ("Europe/Copenhagen", date(2026, 10, 25), utc(2026, 10, 25, 8), utc(2026, 10, 25, 16)),
        ("Europe/Helsinki", date(2026, 3, 29), utc(2026, 3, 29, 6), utc(2026, 3, 29, 14)),
        ("Europe/Helsinki", date(2026, 10, 25), utc(2026, 10, 25, 7), utc(2026, 10, 25, 15)),
        # New York changes on other dates: 2026-03-08 and 2026-11-01.
        ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 13), utc(2026, 3, 8, 21)),
        ("America/New_York", date(2026, 3, 29), utc(2026, 3, 29, 13), utc(2026, 3, 29, 21)),
        ("America/New_York", date(2026, 10, 25), utc(2026, 10, 25, 13), utc(2026, 10, 25, 21)),
        ("America/New_York", date(2026, 11, 1), utc(2026, 11, 1, 14), utc(2026, 11, 1, 22)),
    ],
)
def test_nine_to_five_on_dst_days_is_eight_hours_at_the_right_instants(
    time_zone, day, expected_start, expected_end
):
    assert spans_on(every_day(time_zone, 9, 17), day) == [(expected_start, expected_end)]


@pytest.mark.parametrize(
    "time_zone, day, hours",
    [
        ("Europe/Copenhagen", date(2026, 3, 29), 23),
        ("Europe/Copenhagen", date(2026, 10, 25), 25),
        ("Europe/Copenhagen", date(2026, 6, 1), 24),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("America/New_York", date(2026, 3, 29), 24),
    ],
)
def test_a_whole_local_day_has_its_dst_length(time_zone, day, hours):
    working = WorkingSchedule(time_zone, overrides=(DateOverride(day, 0, 1440),))
    ((start, end),) = spans_on(working, day)
    assert end - start == timedelta(hours=hours)


def test_a_window_starting_in_the_spring_forward_gap_starts_when_clocks_jump():
    # 02:30 does not exist in Copenhagen on 2026-03-29: clocks go from 02:00 CET to 03:00 CEST,
    # at 01:00 UTC.
    assert local_instant(date(2026, 3, 29), 150, COPENHAGEN) == utc(2026, 3, 29, 1)
    working = WorkingSchedule(
        "Europe/Copenhagen", overrides=(DateOverride(date(2026, 3, 29), 150, 600),)
    )
    assert spans_on(working, date(2026, 3, 29)) == [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 8))]
    # A window ending in the gap ends at the jump too: 01:00-02:30 is one real hour.
    short = WorkingSchedule(
        "Europe/Copenhagen", overrides=(DateOverride(date(2026, 3, 29), 60, 150),)
    )
    assert spans_on(short, date(2026, 3, 29)) == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 1))]


def test_new_york_gap_is_on_its_own_date():
    assert local_instant(date(2026, 3, 8), 150, NEW_YORK) == utc(2026, 3, 8, 7)
    assert local_instant(date(2026, 3, 29), 150, NEW_YORK) == utc(2026, 3, 29, 6, 30)


def test_an_ambiguous_fall_back_time_starts_at_its_first_and_ends_at_its_second_occurrence():
    # 02:30 happens twice in Copenhagen on 2026-10-25: 00:30 UTC (CEST) and 01:30 UTC (CET).
    day = date(2026, 10, 25)
    assert local_instant(day, 150, COPENHAGEN) == utc(2026, 10, 25, 0, 30)
    assert local_instant(day, 150, COPENHAGEN, later_fold=True) == utc(2026, 10, 25, 1, 30)
    starts = WorkingSchedule("Europe/Copenhagen", overrides=(DateOverride(day, 150, 600),))
    assert spans_on(starts, day) == [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 9))]
    ends = WorkingSchedule("Europe/Copenhagen", overrides=(DateOverride(day, 0, 150),))
    assert spans_on(ends, day) == [(utc(2026, 10, 24, 22), utc(2026, 10, 25, 1, 30))]


def test_overrides_replace_the_weekday_and_none_is_a_day_off():
    hours = WorkingSchedule.from_rows(
        "Europe/Copenhagen",
        [(0, 540, 1020), (1, 540, 720), (1, 780, 1020)],
        [("2026-03-30", None, None), ("2026-03-31", 600, 660)],
    )
    assert spans_on(hours, date(2026, 3, 30)) == []
    assert spans_on(hours, date(2026, 3, 31)) == [(utc(2026, 3, 31, 8), utc(2026, 3, 31, 9))]
    assert spans_on(hours, date(2026, 4, 7)) == [
        (utc(2026, 4, 7, 7), utc(2026, 4, 7, 10)),
        (utc(2026, 4, 7, 11), utc(2026, 4, 7, 15)),
    ]
    assert spans_on(hours, date(2026, 4, 8)) == []


# --- input validation -------------------------------------------------------------------------


def request(**fields) -> SlotRequest:
    return SlotRequest(**({"duration": HOUR} | fields))


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: request(duration=timedelta(0)), "duration"),
        (lambda: request(duration=-HOUR), "duration"),
        (lambda: request(duration=timedelta(days=1, minutes=1)), "duration"),
        (lambda: request(duration=60), "duration"),
        (lambda: request(granularity=timedelta(0)), "granularity"),
        (lambda: request(granularity=timedelta(seconds=450)), "granularity"),
        (lambda: request(buffer_before=-MINUTE), "buffer_before"),
        (lambda: request(buffer_after=timedelta(days=2)), "buffer_after"),
        (lambda: request(minimum_notice=-HOUR), "minimum_notice"),
        (lambda: request(horizon=timedelta(0)), "horizon"),
        (lambda: request(horizon=timedelta(days=400)), "horizon"),
        (lambda: request(limit=0), "limit"),
        (lambda: request(align_time_zone="Mars/Olympus_Mons"), "align_time_zone"),
        (lambda: WorkingSchedule("Europe/Copenhagn"), "time_zone"),
        (lambda: WorkingSchedule("../../etc/passwd"), "time_zone"),
        (lambda: WorkingSchedule.from_rows("UTC", [(7, 540, 1020)]), "weekday"),
        (lambda: WorkingSchedule.from_rows("UTC", [(0, 540, 1500)]), "end_minute"),
        (lambda: WorkingSchedule.from_rows("UTC", [(0, 600, 540)]), "end_minute"),
        (lambda: WorkingSchedule.from_rows("UTC", [], [("2026-02-30", None, None)]), "on_date"),
        (lambda: WorkingSchedule.from_rows("UTC", [], [("2026-03-02", 540, None)]), "end_minute"),
        (lambda: BusyPeriod(datetime(2026, 3, 2, 9), utc(2026, 3, 2, 10)), "start"),
        (lambda: BusyPeriod(utc(2026, 3, 2, 10), utc(2026, 3, 2, 9)), "end"),
        (
            lambda: SchedulingParticipant(1, WorkingSchedule("UTC"), max_interviews_per_day=0),
            "max_interviews_per_day",
        ),
        (
            lambda: SchedulingParticipant(1, WorkingSchedule("UTC"), sync_status="happy"),
            "sync_status",
        ),
        (
            lambda: SchedulingParticipant(
                1, WorkingSchedule("UTC"), busy_synced_at=datetime(2026, 3, 2, 9)
            ),
            "busy_synced_at",
        ),
    ],
)
def test_bad_input_names_the_field(build, field):
    with pytest.raises(SchedulingInputError) as error:
        build()
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")


def test_finder_refuses_naive_now_empty_and_duplicate_participants():
    someone = SchedulingParticipant(1, WorkingSchedule.office_week("UTC"))
    with pytest.raises(SchedulingInputError) as naive:
        find_suggestions([someone], request(), now=datetime(2026, 3, 2, 9))
    assert naive.value.field == "now"
    with pytest.raises(SchedulingInputError) as empty:
        find_suggestions([], request(), now=utc(2026, 3, 2))
    assert empty.value.field == "participants"
    with pytest.raises(SchedulingInputError) as twice:
        find_suggestions([someone, someone], request(), now=utc(2026, 3, 2))
    assert twice.value.field == "participants"


# --- the slot finder --------------------------------------------------------------------------

MONDAY = utc(2026, 3, 30, 5)  # 07:00 in Copenhagen, the first Monday of summer time


def test_free_participant_gets_aligned_slots_from_the_start_of_the_working_day():
    anna = synced(1, WorkingSchedule.office_week("Europe/Copenhagen"), now=MONDAY)
    found = find_suggestions(
        [anna], request(granularity=timedelta(minutes=30), limit=1000), now=MONDAY
    )
    monday = sorted((s for s in found if s.start.date() == date(2026, 3, 30)), key=START)
    assert monday[0].start == utc(2026, 3, 30, 7)  # 09:00 CEST
    assert monday[-1].end == utc(2026, 3, 30, 15)  # 17:00 CEST
    assert len(monday) == 15
    assert all(s.all_known_free for s in found)


def test_buffers_keep_distance_from_hard_busy_time_but_not_from_working_hours():
    busy = (BusyPeriod(utc(2026, 3, 30, 9), utc(2026, 3, 30, 10)),)
    anna = synced(1, WorkingSchedule.office_week("Europe/Copenhagen"), now=MONDAY, busy=busy)
    found = find_suggestions(
        [anna],
        request(
            buffer_before=timedelta(minutes=15),
            buffer_after=timedelta(minutes=30),
            search_window=TimeInterval(utc(2026, 3, 30), utc(2026, 3, 31)),
            limit=100,
        ),
        now=MONDAY,
    )
    starts = [s.start for s in found]
    assert starts[0] == utc(2026, 3, 30, 7)  # working-hour edge: no buffer needed
    assert utc(2026, 3, 30, 7, 30) in starts  # ends 08:30, 30 min before the busy time
    assert utc(2026, 3, 30, 7, 45) not in starts
    assert utc(2026, 3, 30, 10) not in starts
    assert utc(2026, 3, 30, 10, 15) in starts  # 15 min after the busy time
    assert starts[-1] == utc(2026, 3, 30, 14)  # ends at 17:00 CEST, the working-hour edge


def test_tentative_time_is_a_soft_conflict_ranked_after_free_slots():
    window = TimeInterval(utc(2026, 3, 30, 7), utc(2026, 3, 30, 9))
    hold = (BusyPeriod(utc(2026, 3, 30, 7), utc(2026, 3, 30, 8), tentative=True),)
    anna = synced(1, WorkingSchedule.office_week("Europe/Copenhagen"), now=MONDAY, busy=hold)
    found = find_suggestions([anna], request(search_window=window), now=MONDAY)
    assert [s.start for s in found] == [
        utc(2026, 3, 30, 8),
        utc(2026, 3, 30, 7),
        utc(2026, 3, 30, 7, 15),
        utc(2026, 3, 30, 7, 30),
        utc(2026, 3, 30, 7, 45),
    ]
    assert found[0].tentative_participants == ()
    assert all(s.tentative_participants == (1,) for s in found[1:])


def test_notice_and_horizon_bound_the_search():
    anna = synced(1, every_day("Europe/Copenhagen", 0, 24), now=MONDAY)
    found = find_suggestions(
        [anna],
        request(minimum_notice=timedelta(hours=2, minutes=5), horizon=timedelta(hours=6), limit=50),
        now=MONDAY,
    )
    assert min(s.start for s in found) == utc(2026, 3, 30, 7, 15)
    assert max(s.end for s in found) == utc(2026, 3, 30, 11)


def test_unknown_participants_are_named_never_treated_as_free():
    hours = WorkingSchedule.office_week("Europe/Copenhagen")
    anna = synced(1, hours, now=MONDAY)
    ben = SchedulingParticipant(2, hours, sync_status=SyncStatus.NOT_INVITED)
    carl = SchedulingParticipant(3, hours, sync_status=SyncStatus.ERROR)
    dora = SchedulingParticipant(
        4, hours, sync_status=SyncStatus.SYNCED, busy_synced_at=MONDAY - timedelta(hours=3)
    )
    found = find_suggestions([anna, ben, carl, dora], request(limit=30), now=MONDAY)
    assert found and all(s.unknown_participants == (2, 3, 4) for s in found)
    assert unknown_reason(ben, now=MONDAY, stale_after=HOUR) is UnknownReason.NOT_SYNCED
    assert unknown_reason(carl, now=MONDAY, stale_after=HOUR) is UnknownReason.SYNC_FAILING
    assert unknown_reason(dora, now=MONDAY, stale_after=HOUR) is UnknownReason.STALE
    assert unknown_reason(anna, now=MONDAY, stale_after=HOUR) is None


def test_beyond_the_synced_range_a_participant_is_unknown_and_ranked_later():
    hours = WorkingSchedule.office_week("Europe/Copenhagen")
    anna = synced(1, hours, now=MONDAY, busy_known_until=utc(2026, 3, 31, 12))
    found = find_suggestions([anna], request(limit=200), now=MONDAY)
    known = [s for s in found if not s.unknown_participants]
    unknown = [s for s in found if s.unknown_participants]
    assert known and unknown and found[: len(known)] == tuple(known)
    assert all(s.end <= utc(2026, 3, 31, 12) for s in known)
    assert all(s.end > utc(2026, 3, 31, 12) and s.unknown_participants == (1,) for s in unknown)


def test_hard_busy_time_of_an_unknown_participant_still_counts():
    hours = WorkingSchedule.office_week("Europe/Copenhagen")
    booked = (TimeInterval(utc(2026, 3, 30, 7), utc(2026, 3, 30, 15)),)
    ben = SchedulingParticipant(2, hours, interviews=booked)
    found = find_suggestions([ben], request(limit=200), now=MONDAY)
    assert all(s.start.date() != date(2026, 3, 30) for s in found)


def test_daily_and_weekly_caps_count_booked_interviews_in_the_participants_zone():
    hours = WorkingSchedule.office_week("America/New_York")
    # Two interviews on Monday 2026-03-30 in New York (the second at 23:00 local = Tue UTC).
    booked = (
        TimeInterval(utc(2026, 3, 30, 13), utc(2026, 3, 30, 14)),
        TimeInterval(utc(2026, 3, 31, 3), utc(2026, 3, 31, 3, 30)),
    )
    capped_day = synced(1, hours, now=MONDAY, interviews=booked, max_interviews_per_day=2)
    days = {
        s.start.astimezone(NEW_YORK).date()
        for s in find_suggestions([capped_day], request(limit=500), now=MONDAY)
    }
    assert date(2026, 3, 30) not in days and date(2026, 3, 31) in days
    capped_week = synced(1, hours, now=MONDAY, interviews=booked, max_interviews_per_week=2)
    weeks = {
        s.start.astimezone(NEW_YORK).isocalendar()[1]
        for s in find_suggestions([capped_week], request(limit=500), now=MONDAY)
    }
    assert 14 not in weeks and 15 in weeks


def test_participants_in_three_zones_meet_where_their_hours_overlap():
    now = utc(2026, 3, 27, 12)  # Friday, before the European change and after New York's
    people = [
        synced(1, WorkingSchedule.office_week("Europe/Copenhagen"), now=now),
        synced(2, WorkingSchedule.office_week("Europe/Helsinki"), now=now),
        synced(3, WorkingSchedule.office_week("America/New_York"), now=now),
    ]
    found = find_suggestions(people, request(limit=500), now=now)
    friday = sorted((s for s in found if s.start.date() == date(2026, 3, 27)), key=START)
    monday = sorted((s for s in found if s.start.date() == date(2026, 3, 30)), key=START)
    # Friday (CET, EET, EDT): New York from 13:00 UTC, Helsinki until 15:00 UTC.
    assert (friday[0].start, friday[-1].end) == (utc(2026, 3, 27, 13), utc(2026, 3, 27, 15))
    # Monday (CEST, EEST, EDT): Helsinki's 17:00 is now 14:00 UTC; one hour is left.
    assert (monday[0].start, monday[-1].end) == (utc(2026, 3, 30, 13), utc(2026, 3, 30, 14))


def test_spread_over_days_before_more_slots_on_one_day():
    anna = synced(1, WorkingSchedule.office_week("Europe/Copenhagen"), now=MONDAY)
    found = find_suggestions([anna], request(limit=5), now=MONDAY)
    assert [s.start.date() for s in found] == [
        date(2026, 3, 30),
        date(2026, 3, 31),
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
    ]
    assert all(s.start.astimezone(COPENHAGEN).hour == 9 for s in found)


def test_no_common_time_gives_no_suggestions():
    people = [
        synced(1, every_day("Europe/Copenhagen", 8, 10), now=MONDAY),
        synced(2, every_day("America/New_York", 8, 10), now=MONDAY),
    ]
    assert find_suggestions(people, request(), now=MONDAY) == ()


# --- the free/busy grid -----------------------------------------------------------------------


def test_grid_rows_cover_the_window_with_busy_tentative_unknown_and_outside_hours():
    day = TimeInterval(utc(2026, 3, 29, 22), utc(2026, 3, 30, 22))  # Monday in Copenhagen
    hours = WorkingSchedule.office_week("Europe/Copenhagen")
    anna = synced(
        1,
        hours,
        now=MONDAY,
        busy=(
            BusyPeriod(utc(2026, 3, 30, 8), utc(2026, 3, 30, 9)),
            BusyPeriod(utc(2026, 3, 30, 8, 30), utc(2026, 3, 30, 10), tentative=True),
            BusyPeriod(utc(2026, 3, 30, 18), utc(2026, 3, 30, 19)),
        ),
    )
    ben = SchedulingParticipant(2, hours)
    anna_row, ben_row = free_busy_grid([anna, ben], day, now=MONDAY)
    assert [(s.start.hour, s.end.hour, s.state) for s in anna_row.segments] == [
        (22, 7, FreeBusyState.OUTSIDE_WORKING_HOURS),
        (7, 8, FreeBusyState.FREE),
        (8, 9, FreeBusyState.BUSY),
        (9, 10, FreeBusyState.TENTATIVE),
        (10, 15, FreeBusyState.FREE),
        (15, 18, FreeBusyState.OUTSIDE_WORKING_HOURS),
        (18, 19, FreeBusyState.BUSY),
        (19, 22, FreeBusyState.OUTSIDE_WORKING_HOURS),
    ]
    assert anna_row.unknown_reason is None
    assert ben_row.unknown_reason is UnknownReason.NOT_SYNCED
    assert [s.state for s in ben_row.segments] == [
        FreeBusyState.OUTSIDE_WORKING_HOURS,
        FreeBusyState.UNKNOWN,
        FreeBusyState.OUTSIDE_WORKING_HOURS,
    ]


def test_grid_window_is_bounded():
    with pytest.raises(SchedulingInputError) as error:
        free_busy_grid([], TimeInterval(utc(2026, 1, 1), utc(2026, 6, 1)), now=MONDAY)
    assert error.value.field == "window"


def test_working_window_rows_map_straight_in():
    hours = WorkingSchedule.from_rows(
        "Europe/Helsinki", [(0, 480, 960)], [(date(2026, 4, 6), 600, 720)]
    )
    assert hours.weekly == (WorkingWindow(0, 480, 960),)
    assert hours.overrides == (DateOverride(date(2026, 4, 6), 600, 720),)
    assert hours.zone == HELSINKI
