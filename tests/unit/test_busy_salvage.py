"""Issue #9: calendar data read as its owner means it; what cannot be read is unknown, not free."""

from datetime import UTC, datetime

import pytest

from planner.domain.availability import BusyPeriod
from planner.domain.busy import (
    CalendarDataError,
    UnknownPeriod,
    busy_periods_from_freebusy,
    calendar_extent,
    read_events,
)
from planner.domain.intervals import TimeInterval


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def calendar(*events: list[str], timezones: str = "") -> str:
    body = "".join(
        "BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"
        for lines in events
    )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    return f"{head}{timezones}{body}END:VCALENDAR\r\n"


def read(data, start, end, zone="UTC", owner=None):
    return read_events(data, window=TimeInterval(start, end), time_zone=zone, owner_email=owner)


def spans(reading):
    return [(p.start, p.end) for p in reading.busy]


# ----------------------------------------------------------------- kind 1: not instants


def test_floating_event_is_found_when_the_utc_window_starts_after_its_wall_clock():
    data = calendar(["UID:f", "DTSTART:20260310T180000", "DTEND:20260310T190000"])
    reading = read(data, utc(2026, 3, 10, 23), utc(2026, 3, 20), "America/Los_Angeles")
    assert spans(reading) == [(utc(2026, 3, 11, 1), utc(2026, 3, 11, 2))]
    assert reading.complete


def test_all_day_event_keeps_the_rest_of_the_local_day_for_a_late_afternoon_poll():
    data = calendar(["UID:d", "DTSTART;VALUE=DATE:20260310"])
    reading = read(data, utc(2026, 3, 11, 2), utc(2026, 3, 20), "America/Los_Angeles")
    assert spans(reading) == [(utc(2026, 3, 11, 2), utc(2026, 3, 11, 7))]


def test_all_day_event_ahead_of_utc_is_found_beside_a_utc_event_at_the_window_end():
    data = calendar(
        ["UID:d", "DTSTART;VALUE=DATE:20260310"],
        ["UID:u", "DTSTART:20260310T000000Z", "DTEND:20260310T010000Z"],
    )
    reading = read(data, utc(2026, 3, 9), utc(2026, 3, 10), "Pacific/Auckland")
    assert spans(reading) == [(utc(2026, 3, 9, 11), utc(2026, 3, 10))]


@pytest.mark.parametrize(
    ("zone", "window_start", "expected"),
    [
        # Floating weekly meeting 08:30-09:00 on Mondays, windows starting at odd hours.
        (
            "Pacific/Auckland",
            utc(2026, 3, 15, 19, 17),
            [(utc(2026, 3, 15, 19, 30), utc(2026, 3, 15, 20))],
        ),
        (
            "Pacific/Auckland",
            utc(2026, 3, 15, 19, 45),
            [(utc(2026, 3, 15, 19, 45), utc(2026, 3, 15, 20))],
        ),
        (
            "America/Los_Angeles",
            utc(2026, 3, 16, 15, 31),
            [(utc(2026, 3, 16, 15, 31), utc(2026, 3, 16, 16))],
        ),
        ("UTC", utc(2026, 3, 16, 8, 59), [(utc(2026, 3, 16, 8, 59), utc(2026, 3, 16, 9))]),
    ],
)
def test_floating_recurring_event_in_the_owners_zone_at_odd_window_starts(
    zone, window_start, expected
):
    data = calendar(
        ["UID:w", "DTSTART:20260302T083000", "DTEND:20260302T090000", "RRULE:FREQ=WEEKLY;COUNT=3"]
    )
    reading = read(data, window_start, utc(2026, 3, 17), zone)
    assert spans(reading) == expected


def test_all_day_event_across_a_dst_change_in_the_owners_zone():
    # Europe/Copenhagen springs forward on 2026-03-29: that local day has 23 hours.
    data = calendar(["UID:d", "DTSTART;VALUE=DATE:20260329", "DTEND;VALUE=DATE:20260330"])
    reading = read(data, utc(2026, 3, 28, 23, 30), utc(2026, 4, 1), "Europe/Copenhagen")
    assert spans(reading) == [(utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 22))]


# ----------------------------------------------------------------- kind 3: salvage


def test_end_before_start_is_read_swapped_as_the_libraries_do():
    data = calendar(
        [
            "UID:late",
            "DTSTART;TZID=Europe/Paris:20260310T234500",
            "DTEND;TZID=Europe/Paris:20260310T233000",
        ]
    )
    reading = read(data, utc(2026, 3, 1), utc(2026, 4, 1))
    assert spans(reading) == [(utc(2026, 3, 10, 22, 30), utc(2026, 3, 10, 22, 45))]
    assert reading.complete


def test_weekly_series_with_one_reversed_override_keeps_all_its_occurrences():
    data = calendar(
        [
            "UID:series",
            "DTSTART;TZID=Europe/Paris:20260302T100000",
            "DTEND;TZID=Europe/Paris:20260302T110000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
        ],
        [
            "UID:series",
            "RECURRENCE-ID;TZID=Europe/Paris:20260309T100000",
            "DTSTART;TZID=Europe/Paris:20260309T234500",
            "DTEND;TZID=Europe/Paris:20260309T233000",
        ],
    )
    reading = read(data, utc(2026, 3, 1), utc(2026, 4, 1))
    assert spans(reading) == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        (utc(2026, 3, 9, 22, 30), utc(2026, 3, 9, 22, 45)),
        (utc(2026, 3, 16, 9), utc(2026, 3, 16, 10)),
        (utc(2026, 3, 23, 9), utc(2026, 3, 23, 10)),
    ]


BRISBANE = (
    "BEGIN:VTIMEZONE\r\nTZID:(UTC+10:00) Brisbane\r\nBEGIN:STANDARD\r\n"
    "DTSTART:16010101T000000\r\nTZOFFSETTO:+1000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


def test_outlook_timezone_without_tzoffsetfrom_is_read():
    data = calendar(
        [
            "UID:brisbane",
            'DTSTART;TZID="(UTC+10:00) Brisbane":20300107T090000',
            'DTEND;TZID="(UTC+10:00) Brisbane":20300107T100000',
        ],
        timezones=BRISBANE,
    )
    reading = read(data, utc(2030, 1, 1), utc(2030, 2, 1), "America/Los_Angeles")
    assert spans(reading) == [(utc(2030, 1, 6, 23), utc(2030, 1, 7, 0))]
    assert reading.complete


def test_outlook_timezone_with_daylight_rule_and_folded_lines_is_read():
    timezones = (
        "BEGIN:VTIMEZONE\r\n"
        "TZID:(UTC+01:00) Amsterdam\\, Berlin\\, Bern\\, Rome\\, Stockholm\\, Vi\r\n"
        " enna\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
        "TZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )
    tzid = "(UTC+01:00) Amsterdam\\, Berlin\\, Bern\\, Rome\\, Stockholm\\, Vienna"
    data = calendar(
        ["UID:x", f'DTSTART;TZID="{tzid}":20300107T090000', f'DTEND;TZID="{tzid}":20300107T100000'],
        timezones=timezones,
    )
    reading = read(data, utc(2030, 1, 1), utc(2030, 2, 1))
    assert reading.complete
    # Without TZOFFSETFROM the standard rule's offset is its own: 09:00 at +01:00.
    assert spans(reading) == [(utc(2030, 1, 7, 8), utc(2030, 1, 7, 9))]


def test_unreadable_series_becomes_unknown_from_its_start_and_others_are_read():
    data = calendar(
        ["UID:ok", "DTSTART:20260305T100000Z", "DTEND:20260305T110000Z"],
        ["UID:bad", "DTSTART:20260310T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;BYHOUR=99"],
    )
    reading = read(data, utc(2026, 3, 1), utc(2026, 4, 1))
    assert spans(reading) == [(utc(2026, 3, 5, 10), utc(2026, 3, 5, 11))]
    assert reading.unreadable == 1
    [unknown] = reading.unknown
    assert (unknown.start, unknown.end) == (utc(2026, 3, 10, 10), utc(2026, 4, 1))
    assert "bad" in unknown.reason


def test_rule_the_library_reads_as_empty_is_a_single_event_as_clients_show_it():
    data = calendar(
        ["UID:odd", "DTSTART:20260310T100000Z", "DTEND:20260310T110000Z", "RRULE:garbage"],
    )
    reading = read(data, utc(2026, 3, 1), utc(2026, 4, 1))
    assert spans(reading) == [(utc(2026, 3, 10, 10), utc(2026, 3, 10, 11))]


def test_event_with_unreadable_start_is_unknown_over_the_whole_window():
    data = calendar(
        ["UID:ok", "DTSTART:20260305T100000Z", "DTEND:20260305T110000Z"],
        ["UID:bad", "DTSTART:yesterday", "DTEND:20260310T110000Z"],
    )
    reading = read(data, utc(2026, 3, 1), utc(2026, 4, 1))
    assert spans(reading) == [(utc(2026, 3, 5, 10), utc(2026, 3, 5, 11))]
    assert reading.unreadable == 1
    assert [(u.start, u.end) for u in reading.unknown] == [(utc(2026, 3, 1), utc(2026, 4, 1))]


def test_unreadable_moved_occurrence_leaves_the_rest_of_its_series_busy():
    data = calendar(
        [
            "UID:series",
            "DTSTART:20260302T100000Z",
            "DTEND:20260302T110000Z",
            "RRULE:FREQ=WEEKLY;COUNT=3",
        ],
        [
            "UID:series",
            "RECURRENCE-ID:20260309T100000Z",
            "DTSTART:next monday",
            "DTEND:20260309T150000Z",
        ],
    )
    reading = read(data, utc(2026, 3, 1), utc(2026, 4, 1))
    assert (utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)) in spans(reading)
    assert (utc(2026, 3, 16, 10), utc(2026, 3, 16, 11)) in spans(reading)
    assert reading.unreadable == 1
    [unknown] = reading.unknown
    # Where it moved to cannot be read: from its original time to its readable end.
    assert (unknown.start, unknown.end) == (utc(2026, 3, 9, 10), utc(2026, 3, 9, 15))


def test_too_many_occurrences_are_unknown_from_the_series_start_not_a_crash():
    data = calendar(["UID:s", "DTSTART:20260302T100000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY"])
    reading = read(data, utc(2026, 3, 1), utc(2026, 3, 29))
    assert reading.busy == ()
    assert [(u.start, u.end) for u in reading.unknown] == [(utc(2026, 3, 2, 10), utc(2026, 3, 29))]


def test_data_that_is_not_icalendar_is_an_error_and_its_extent_is_the_whole_window():
    window = TimeInterval(utc(2026, 3, 1), utc(2026, 4, 1))
    with pytest.raises(CalendarDataError):
        read_events("garbage", window=window, time_zone="UTC", owner_email=None)
    assert calendar_extent("garbage", window=window, time_zone="UTC") == (window.start, window.end)


def test_extent_of_a_series_without_end_runs_to_the_window_end():
    window = TimeInterval(utc(2026, 3, 1), utc(2026, 4, 1))
    data = calendar(
        [
            "UID:h",
            "DTSTART:20260310T100000Z",
            "DURATION:PT1H",
            "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        ]
    )
    assert calendar_extent(data, window=window, time_zone="UTC") == (
        utc(2026, 3, 10, 10),
        window.end,
    )
    single = calendar(["UID:s", "DTSTART;VALUE=DATE:20260310"])
    assert calendar_extent(single, window=window, time_zone="America/Los_Angeles") == (
        utc(2026, 3, 10, 7),
        utc(2026, 3, 11, 7),
    )


def test_a_timezone_defined_by_one_calendar_does_not_change_how_another_is_read():
    first = calendar(
        ["UID:a", "DTSTART;TZID=Office:20300107T090000", "DTEND;TZID=Office:20300107T100000"],
        timezones="BEGIN:VTIMEZONE\r\nTZID:Office\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        "TZOFFSETFROM:+1000\r\nTZOFFSETTO:+1000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
    )
    second = calendar(
        ["UID:b", "DTSTART;TZID=Office:20300107T090000", "DTEND;TZID=Office:20300107T100000"],
        timezones="BEGIN:VTIMEZONE\r\nTZID:Office\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
    )
    window = (utc(2030, 1, 1), utc(2030, 2, 1))
    assert spans(read(first, *window)) == [(utc(2030, 1, 6, 23), utc(2030, 1, 7, 0))]
    assert spans(read(second, *window)) == [(utc(2030, 1, 7, 14), utc(2030, 1, 7, 15))]


# ----------------------------------------------------------------- kind 4: dialects


def freebusy(*components: str) -> str:
    body = "".join(f"BEGIN:VFREEBUSY\r\n{c}END:VFREEBUSY\r\n" for c in components)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Radicale//EN\r\n{body}END:VCALENDAR\r\n"


def test_radicale_one_vfreebusy_per_interval_with_fbtype_on_the_component():
    data = freebusy(
        "UID:1\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260302T090000Z\r\n"
        "DTEND:20260302T100000Z\r\nFBTYPE:BUSY\r\n",
        "UID:2\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260303T130000Z\r\n"
        "DTEND:20260303T140000Z\r\nFBTYPE:BUSY-TENTATIVE\r\n",
    )
    assert busy_periods_from_freebusy(data, time_zone="UTC") == (
        BusyPeriod(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        BusyPeriod(utc(2026, 3, 3, 13), utc(2026, 3, 3, 14), tentative=True),
    )


def test_several_vfreebusy_intervals_without_fbtype_or_lines_are_busy():
    data = freebusy(
        "DTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\n",
        "DTSTART:20260302T120000Z\r\nDURATION:PT30M\r\n",
    )
    assert busy_periods_from_freebusy(data, time_zone="UTC") == (
        BusyPeriod(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        BusyPeriod(utc(2026, 3, 2, 12), utc(2026, 3, 2, 12, 30)),
    )


def test_lone_vfreebusy_of_the_query_range_without_lines_is_a_free_calendar():
    data = freebusy("DTSTART:20260301T000000Z\r\nDTEND:20260401T000000Z\r\n")
    window = TimeInterval(utc(2026, 3, 1), utc(2026, 4, 1))
    assert busy_periods_from_freebusy(data, time_zone="UTC", window=window) == ()


def test_standard_lines_with_lowercase_and_x_types_and_floating_times():
    data = freebusy(
        "DTSTART:20260301T000000Z\r\nDTEND:20260401T000000Z\r\n"
        "FREEBUSY;FBTYPE=busy-tentative:20260302T090000Z/PT1H\r\n"
        "FREEBUSY;FBTYPE=X-OUT-OF-OFFICE:20260302T110000/20260302T120000\r\n"
    )
    assert busy_periods_from_freebusy(data, time_zone="Europe/Copenhagen") == (
        BusyPeriod(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10), tentative=True),
        BusyPeriod(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)),
    )


@pytest.mark.parametrize(
    "data",
    [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n",
        freebusy("DTSTART:20260302T090000Z\r\nFBTYPE:BUSY\r\n"),
        freebusy("FBTYPE:BUSY\r\n"),
        freebusy("DTSTART:20260301T000000Z\r\nFREEBUSY:tomorrow/later\r\n"),
    ],
    ids=["no VFREEBUSY", "interval without end", "interval without start", "unreadable line"],
)
def test_freebusy_answer_without_a_readable_period_is_a_data_problem(data):
    with pytest.raises(CalendarDataError):
        busy_periods_from_freebusy(data, time_zone="UTC")


def test_unknown_period_shape():
    period = UnknownPeriod(utc(2026, 3, 1), utc(2026, 3, 2), "why")
    assert period.reason == "why"
