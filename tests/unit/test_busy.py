"""Busy periods from iCalendar events and VFREEBUSY replies, and refusal of hostile data."""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.domain.availability import BusyPeriod
from planner.domain.busy import (
    CalendarDataError,
    busy_periods_from_events,
    busy_periods_from_freebusy,
)
from planner.domain.intervals import SchedulingInputError, TimeInterval

MARCH = TimeInterval(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC))
OWNER = "Anna.Holm@Example.com"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def calendar(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n".replace(
            "\n        ", "\r\n"
        )
    )


def event(uid: str, *lines: str) -> str:
    return "\r\n".join((f"UID:{uid}", "DTSTAMP:20260301T000000Z", *lines))


def busy(data, **fields) -> list[tuple[datetime, datetime, bool]]:
    arguments = {"window": MARCH, "time_zone": "Europe/Copenhagen", "owner_email": OWNER} | fields
    return [(p.start, p.end, p.tentative) for p in busy_periods_from_events(data, **arguments)]


def test_weekly_meeting_keeps_its_wall_clock_time_across_dst_with_exdate_and_moved_instance():
    data = calendar(
        event(
            "standup",
            "DTSTART;TZID=Europe/Copenhagen:20260316T090000",
            "DTEND;TZID=Europe/Copenhagen:20260316T093000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "EXDATE;TZID=Europe/Copenhagen:20260323T090000",
        ),
        event(
            "standup",
            "RECURRENCE-ID;TZID=Europe/Copenhagen:20260406T090000",
            "DTSTART;TZID=Europe/Copenhagen:20260406T140000",
            "DTEND;TZID=Europe/Copenhagen:20260406T150000",
        ),
    )
    assert busy(data) == [
        (utc(2026, 3, 16, 8), utc(2026, 3, 16, 8, 30), False),  # CET
        (utc(2026, 3, 30, 7), utc(2026, 3, 30, 7, 30), False),  # CEST, same 09:00 wall clock
        (utc(2026, 4, 6, 12), utc(2026, 4, 6, 13), False),  # moved occurrence
    ]


def test_cancelled_transparent_and_declined_events_take_no_time():
    data = calendar(
        event(
            "series",
            "DTSTART:20260302T100000Z",
            "DTEND:20260302T110000Z",
            "RRULE:FREQ=DAILY;COUNT=3",
        ),
        event(
            "series",
            "RECURRENCE-ID:20260303T100000Z",
            "DTSTART:20260303T100000Z",
            "DTEND:20260303T110000Z",
            "STATUS:CANCELLED",
        ),
        event("gone", "DTSTART:20260305T100000Z", "DTEND:20260305T110000Z", "STATUS:CANCELLED"),
        event("lunch", "DTSTART:20260305T120000Z", "DTEND:20260305T130000Z", "TRANSP:TRANSPARENT"),
        event(
            "declined",
            "DTSTART:20260306T120000Z",
            "DTEND:20260306T130000Z",
            "ORGANIZER:mailto:boss@example.com",
            "ATTENDEE;PARTSTAT=DECLINED:mailto:anna.holm@example.com",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:carl@example.com",
        ),
    )
    assert busy(data) == [
        (utc(2026, 3, 2, 10), utc(2026, 3, 2, 11), False),
        (utc(2026, 3, 4, 10), utc(2026, 3, 4, 11), False),
    ]


def test_tentative_status_or_owner_participation_is_soft():
    data = calendar(
        event("maybe", "DTSTART:20260302T100000Z", "DTEND:20260302T110000Z", "STATUS:TENTATIVE"),
        event(
            "asked",
            "DTSTART:20260303T100000Z",
            "DTEND:20260303T110000Z",
            "ATTENDEE;PARTSTAT=TENTATIVE:MAILTO:anna.holm@example.com",
        ),
        event(
            "unanswered",
            "DTSTART:20260304T100000Z",
            "DTEND:20260304T110000Z",
            "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:anna.holm@example.com",
        ),
        event(
            "someone else declined",
            "DTSTART:20260305T100000Z",
            "DTEND:20260305T110000Z",
            "ATTENDEE;PARTSTAT=DECLINED:mailto:carl@example.com",
        ),
    )
    assert [tentative for _, _, tentative in busy(data)] == [True, True, True, False]


def test_all_day_and_floating_events_are_in_the_owners_zone():
    data = calendar(
        event("holiday", "DTSTART;VALUE=DATE:20260330", "DTEND;VALUE=DATE:20260401"),
        event("floating", "DTSTART:20260310T090000", "DTEND:20260310T100000"),
        event("no end", "DTSTART;VALUE=DATE:20260312"),
        event("instant", "DTSTART:20260313T090000Z"),
        # An unknown TZID without a VTIMEZONE: icalendar reads it as floating time.
        event("atlantis", "DTSTART;TZID=Nowhere/Atlantis:20260314T100000", "DURATION:PT1H"),
    )
    assert busy(data, time_zone="America/New_York") == [
        (utc(2026, 3, 10, 13), utc(2026, 3, 10, 14), False),  # EDT since 2026-03-08
        (utc(2026, 3, 12, 4), utc(2026, 3, 13, 4), False),
        (utc(2026, 3, 14, 14), utc(2026, 3, 14, 15), False),
        (utc(2026, 3, 30, 4), utc(2026, 4, 1, 4), False),
    ]
    assert busy(data)[3] == (utc(2026, 3, 29, 22), utc(2026, 3, 31, 22), False)


def test_events_are_clipped_to_the_window():
    window = TimeInterval(utc(2026, 3, 2, 10, 30), utc(2026, 3, 2, 12))
    data = calendar(
        event("a", "DTSTART:20260302T100000Z", "DTEND:20260302T110000Z"),
        event("b", "DTSTART:20260302T120000Z", "DTEND:20260302T130000Z"),
        event("c", "DTSTART:20260302T080000Z", "RRULE:FREQ=DAILY", "DURATION:PT1H"),
    )
    assert busy(data, window=window) == [(utc(2026, 3, 2, 10, 30), utc(2026, 3, 2, 11), False)]


def test_freebusy_periods_with_end_or_duration_and_types():
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VFREEBUSY\r\n"
        "DTSTART:20260301T000000Z\r\nDTEND:20260401T000000Z\r\n"
        "FREEBUSY:20260302T090000Z/20260302T100000Z,20260302T110000Z/PT30M\r\n"
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260303T090000Z/PT1H\r\n"
        "FREEBUSY;FBTYPE=FREE:20260304T090000Z/PT1H\r\n"
        "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260305T090000Z/PT8H\r\n"
        "END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
    assert busy_periods_from_freebusy(data, time_zone="Europe/Copenhagen") == (
        BusyPeriod(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        BusyPeriod(utc(2026, 3, 2, 11), utc(2026, 3, 2, 11, 30)),
        BusyPeriod(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10), tentative=True),
        BusyPeriod(utc(2026, 3, 5, 9), utc(2026, 3, 5, 17)),
    )
    window = TimeInterval(utc(2026, 3, 5, 12), utc(2026, 3, 6))
    assert busy_periods_from_freebusy(data, time_zone="UTC", window=window) == (
        BusyPeriod(utc(2026, 3, 5, 12), utc(2026, 3, 5, 17)),
    )


HOSTILE = [
    "",
    "garbage",
    b"\xff\xfe\x00not ical",
    "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260302T100000Z\r\nEND:VEVENT\r\n",
    calendar(event("x", "DTSTART:yesterday")),
    calendar(event("x", "SUMMARY:no start")),
    # Repeating far more often than the occurrence cap inside the window: unreadable data.
    calendar(event("x", "DTSTART:20260302T100000Z", "RRULE:FREQ=SECONDLY")),
    calendar(event("x", "DTSTART:20260302T100000Z", "RRULE:FREQ=MINUTELY;INTERVAL=5")),
    calendar(event("x", "DTSTART:20260302T100000Z", "RRULE:FREQ=DAILY;BYHOUR=99")),
    "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260302T100000Z\r\n",
    "BEGIN:VCALENDAR\r\n" + "X-PAD:" + "a" * 6_000_000 + "\r\nEND:VCALENDAR\r\n",
    12345,
]


@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_calendar_data_raises_one_clear_error(data):
    with pytest.raises(CalendarDataError) as error:
        busy(data)
    assert error.value.message and len(error.value.message) < 400


def test_too_many_occurrences_are_refused(monkeypatch):
    monkeypatch.setattr("planner.domain.busy.MAX_OCCURRENCES", 100)
    data = calendar(event("x", "DTSTART:20260302T100000Z", "RRULE:FREQ=HOURLY", "DURATION:PT1M"))
    with pytest.raises(CalendarDataError, match="repeats more than 100 times in the window"):
        busy(data)


def test_freebusy_refuses_reversed_periods():
    data = (
        "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\n"
        "FREEBUSY:20260302T100000Z/20260302T090000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(CalendarDataError, match="greater than end time|ends before it starts"):
        busy_periods_from_freebusy(data, time_zone="UTC")


def test_unknown_owner_zone_is_an_input_error():
    with pytest.raises(SchedulingInputError) as error:
        busy(calendar(), time_zone="Europe/Nowhere")
    assert error.value.field == "time_zone"


ICAL_LINES = st.sampled_from(
    [
        "BEGIN:VCALENDAR",
        "END:VCALENDAR",
        "BEGIN:VEVENT",
        "END:VEVENT",
        "BEGIN:VFREEBUSY",
        "END:VFREEBUSY",
        "UID:x",
        "DTSTART:20260302T100000Z",
        "DTSTART;VALUE=DATE:20260302",
        "DTSTART;TZID=Europe/Copenhagen:20260329T023000",
        "DTEND:20260302T110000Z",
        "DTEND:2026",
        "DURATION:PT1H",
        "DURATION:P-1D",
        "RRULE:FREQ=DAILY;COUNT=3",
        "RRULE:FREQ=WEEKLY;UNTIL=20260101",
        "RRULE:garbage",
        "EXDATE:20260303T100000Z",
        "RECURRENCE-ID:20260303T100000Z",
        "STATUS:CANCELLED",
        "ATTENDEE;PARTSTAT=DECLINED:mailto:anna.holm@example.com",
        "FREEBUSY:20260302T090000Z/PT1H",
        "FREEBUSY:20260302T090000Z/",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Copenhagen",
        "END:VTIMEZONE",
        ":",
        ";;;",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ICAL_LINES, max_size=14))
def test_fuzzed_calendars_give_busy_periods_or_calendar_data_error(lines):
    data = "\r\n".join(lines) + "\r\n"
    for read in (
        lambda: busy(data),
        lambda: busy_periods_from_freebusy(data, time_zone="UTC", window=MARCH),
    ):
        try:
            periods = read()
        except CalendarDataError:
            continue
        assert isinstance(periods, list | tuple)
