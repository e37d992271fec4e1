"""Reading .ics exports of the previous calendar: files shaped as Outlook (Windows zone
names), Google and Apple Calendar write them, and hostile or broken files refused with the
problem and the line or event at fault."""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from planner.domain.ics_import import (
    MAX_OCCURRENCES_PER_EVENT,
    IcsImportError,
    Problem,
    parse_ics,
)

FILES = Path(__file__).parent / "ics"
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def parse(data: bytes, zone: str = "Europe/Copenhagen"):
    return parse_ics(data, default_zone=zone, now=NOW)


def refused(data: bytes) -> IcsImportError:
    with pytest.raises(IcsImportError) as caught:
        parse(data)
    return caught.value


def calendar(*lines: str, newline: str = "\r\n") -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *lines, "END:VCALENDAR"]
    return (newline.join(body) + newline).encode("utf-8")


def event(*lines: str, uid: str = "e1@test", summary: str = "Interview") -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", *lines, "END:VEVENT"]


def by_title(parsed, title: str):
    return [a for a in parsed.appointments if a.title == title]


def test_outlook_export_with_windows_zone_names():
    parsed = parse((FILES / "outlook.ics").read_bytes())

    interview = by_title(parsed, "Samtale med Freja Nielsen")[0]
    # Romance Standard Time is Europe/Paris: 10:00 in December is 09:00 UTC.
    assert interview.start == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert interview.end - interview.start == timedelta(hours=1)
    assert interview.location == "Mødelokale 2"
    assert interview.occurrence == ""
    assert interview.line == 22
    assert [(p.email, p.name) for p in interview.people] == [
        ("astrid.holm@demo.example", "Astrid Holm"),
        ("freja.nielsen@example.com", "Freja Nielsen"),  # lower-cased, unfolded
        ("bo@elsewhere.example", "Bo Ukendt"),
    ]
    # A Windows zone name without a VTIMEZONE in the file is still known (CLDR mapping).
    carter = by_title(parsed, "Interview James Carter")[0]
    assert carter.start == datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
    # The weekly meeting: six Mondays, one excluded (EXDATE), one moved (RECURRENCE-ID).
    weekly = [a for a in parsed.appointments if a.title.startswith("Rekrutteringsmøde")]
    assert [a.occurrence for a in weekly] == [
        "2026-01-05T08:00:00Z",
        "2026-01-19T08:00:00Z",
        "2026-01-26T08:00:00Z",
        "2026-02-02T08:00:00Z",
        "2026-02-09T08:00:00Z",
    ]
    moved = weekly[1]
    assert moved.title == "Rekrutteringsmøde (flyttet)"
    assert moved.start == datetime(2026, 1, 19, 9, 0, tzinfo=UTC)
    assert len({a.uid for a in weekly}) == 1
    course = by_title(parsed, "Kursus (hele dagen)")[0]
    assert course.all_day
    assert course.start == datetime(2026, 12, 13, 23, 0, tzinfo=UTC)  # midnight in Copenhagen
    assert course.end - course.start == timedelta(days=1)


def test_google_export_utc_times_weekly_until_and_cancelled_events():
    parsed = parse((FILES / "google.ics").read_bytes())

    assert not by_title(parsed, "Cancelled interview")
    interview = by_title(parsed, "Interview – Oskar Åberg")[0]
    assert interview.start == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    assert {p.email for p in interview.people} == {
        "mads.jensen@demo.example",
        "oskar.aberg@example.com",
    }
    sync = by_title(parsed, "Team sync")
    # 15:00 Copenhagen: 13:00 UTC in summer time, 14:00 UTC after 25 October.
    assert [a.start.hour for a in sync] == [13, 14, 14, 14]
    assert len(sync) == 4  # UNTIL 10 November included


def test_apple_export_durations_floating_times_and_alarms():
    parsed = parse((FILES / "apple.ics").read_bytes(), zone="Europe/Stockholm")

    elin = by_title(parsed, "Intervju Elin Berg")[0]
    assert elin.start == datetime(2026, 12, 9, 9, 30, tzinfo=UTC)
    assert elin.location == "Kontoret, Drottninggatan 1 Stockholm"
    assert elin.people[0].email == "elin.berg@example.se"
    call = by_title(parsed, "Call with New York office")[0]
    assert call.start == datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert call.end - call.start == timedelta(minutes=45)
    # A floating time is read in the importing user's zone.
    breakfast = by_title(parsed, "Floating breakfast")[0]
    assert breakfast.start == datetime(2026, 12, 11, 7, 0, tzinfo=UTC)


def test_same_file_same_fingerprints_and_a_change_changes_only_that_fingerprint():
    original = (FILES / "google.ics").read_bytes()
    changed = original.replace(
        b"SUMMARY:Interview \xe2\x80\x93 Oskar", b"SUMMARY:Interview 2 Oskar"
    )
    first, again, edited = parse(original), parse(original), parse(changed)

    keys = lambda p: {(a.uid, a.occurrence): a.fingerprint for a in p.appointments}  # noqa: E731
    assert keys(first) == keys(again)
    differ = [k for k in keys(first) if keys(first)[k] != keys(edited)[k]]
    assert differ == [("5k2v1q0h7n3m9c8b6x4z2l1a0p@google.com", "")]


def test_a_uid_twice_keeps_the_higher_sequence_and_counts_the_duplicate():
    data = calendar(
        *event("DTSTART:20261201T090000Z", "SEQUENCE:2", summary="New"),
        *event("DTSTART:20261201T090000Z", "SEQUENCE:1", summary="Old"),
    )
    parsed = parse(data)
    assert [a.title for a in parsed.appointments] == ["New"]
    assert parsed.duplicates_in_file == 1


def test_escaped_line_breaks_in_a_summary_become_one_line():
    parsed = parse(calendar(*event("DTSTART:20261201T090000Z", summary="Interview\\nwith\\NAnna")))
    assert parsed.appointments[0].title == "Interview with Anna"


def test_utf16_with_byte_order_mark_and_lf_line_ends_are_read():
    text = calendar(*event("DTSTART:20261201T090000Z", summary="Møde"), newline="\n")
    parsed = parse(text.decode("utf-8").encode("utf-16"))
    assert parsed.appointments[0].title == "Møde"


def test_an_event_without_an_end_lasts_no_time():
    parsed = parse(calendar(*event("DTSTART:20261201T090000Z")))
    assert parsed.appointments[0].end == parsed.appointments[0].start


# --- hostile and broken files ----------------------------------------------------------


def test_not_icalendar():
    error = refused(b"<html><body>Calendar</body></html>")
    assert (error.problem, error.line) == (Problem.NOT_ICALENDAR, 1)


def test_empty_file():
    assert refused(b"  \r\n").problem is Problem.EMPTY


def test_twenty_megabytes_are_refused_before_reading():
    error = refused(b"BEGIN:VCALENDAR\r\n" + b"X" * (20 * 1024 * 1024))
    assert error.problem is Problem.TOO_LARGE
    assert error.values == {"size": 20.0, "limit": 5}


def test_a_million_occurrences_name_the_event_and_its_line():
    data = calendar(
        *event("DTSTART:20261201T090000Z", uid="fine", summary="Fine"),
        *event("DTSTART:20261201T090000Z", "RRULE:FREQ=SECONDLY;COUNT=1000000", summary="Flood"),
    )
    error = refused(data)
    assert (error.problem, error.event, error.line) == (Problem.TOO_MANY_OCCURRENCES, "Flood", 9)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY;COUNT=1000000",
        "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,5,10,15,20,25,30,35,40,45,50",
        "FREQ=MINUTELY",
    ],
)
def test_rules_that_would_expand_without_bound_are_refused_quickly(rule):
    started = time.monotonic()
    error = refused(calendar(*event("DTSTART:20261201T090000Z", f"RRULE:{rule}")))
    assert error.problem is Problem.TOO_MANY_OCCURRENCES
    assert error.values["limit"] == MAX_OCCURRENCES_PER_EVENT
    assert time.monotonic() - started < 30  # a guard against hanging, not a benchmark


def test_an_endless_daily_event_is_expanded_inside_the_window_only():
    parsed = parse(calendar(*event("DTSTART:19950101T090000Z", "RRULE:FREQ=DAILY")))
    starts = [a.start for a in parsed.appointments]
    assert min(starts) >= NOW - timedelta(days=366)
    assert max(starts) <= NOW + timedelta(days=731)
    assert 1000 < len(starts) <= MAX_OCCURRENCES_PER_EVENT


def test_a_time_zone_whose_rules_repeat_endlessly_is_refused():
    data = calendar(
        "BEGIN:VTIMEZONE",
        "TZID:Loop Time",
        "BEGIN:STANDARD",
        "DTSTART:16010101T000000",
        "RRULE:FREQ=SECONDLY",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "END:VTIMEZONE",
        *event("DTSTART;TZID=Loop Time:20261201T090000"),
    )
    error = refused(data)
    assert (error.problem, error.line, error.values["zone"]) == (
        Problem.TIME_ZONE_RULES,
        8,
        "Loop Time",
    )


def test_nested_time_zones_are_refused():
    data = calendar(*(["BEGIN:VTIMEZONE"] * 3), *(["END:VTIMEZONE"] * 3))
    error = refused(data)
    assert (error.problem, error.line) == (Problem.NESTING, 6)


def test_mixed_encodings_name_the_line():
    data = calendar(
        *event("DTSTART:20261201T090000Z", summary="Møde"),
        *event("DTSTART:20261202T090000Z", uid="e2", summary="XXXX"),
    ).replace(b"XXXX", "Mødé".encode("latin-1"))
    error = refused(data)
    assert (error.problem, error.line) == (Problem.ENCODING, 11)


def test_a_raw_line_break_inside_a_summary_names_the_line():
    data = calendar(*event("DTSTART:20261201T090000Z", summary="Interview\r\nwith Anna"))
    error = refused(data)
    assert (error.problem, error.line) == (Problem.BAD_LINE, 7)


def test_a_bare_carriage_return_inside_a_summary_names_the_line():
    data = calendar(*event("DTSTART:20261201T090000Z", summary="Interview\rwith Anna"))
    error = refused(data)
    assert (error.problem, error.line) == (Problem.CONTROL_CHARACTER, 6)


def test_an_event_without_a_start_names_the_event_and_its_line():
    data = calendar(
        *event("DTSTART:20261201T090000Z", uid="ok", summary="Fine"),
        *event("DTEND:20261201T100000Z", uid="broken", summary="No start here"),
    )
    error = refused(data)
    assert (error.problem, error.event, error.line) == (Problem.NO_START, "No start here", 9)


def test_an_unknown_zone_without_a_definition_is_named():
    error = refused(calendar(*event("DTSTART;TZID=Mars/Olympus:20261201T090000")))
    assert error.problem is Problem.UNKNOWN_TIME_ZONE
    assert error.values["zone"] == "Mars/Olympus"


def test_an_event_that_ends_before_it_starts():
    error = refused(calendar(*event("DTSTART:20261201T090000Z", "DTEND:20261201T080000Z")))
    assert (error.problem, error.event) == (Problem.ENDS_BEFORE_START, "Interview")


def test_an_unclosed_event_names_where_it_begins():
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n"
    error = refused(data)
    assert (error.problem, error.line) == (Problem.UNBALANCED, 5)


def test_a_calendar_without_events():
    assert refused(calendar()).problem is Problem.NO_EVENTS


def test_parts_that_only_narrow_a_rule_do_not_count_as_more_occurrences():
    rule = "RRULE:FREQ=DAILY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;COUNT=400"
    parsed = parse(calendar(*event("DTSTART:20261201T090000Z", rule)))
    assert len(parsed.appointments) == 400


WITHOUT_LINE = {
    Problem.TOO_LARGE,
    Problem.EMPTY,
    Problem.NO_EVENTS,
    Problem.TOO_MANY_EVENTS,
    Problem.UNREADABLE,
}
WITH_EVENT = {
    Problem.NO_START,
    Problem.BAD_TIME,
    Problem.ENDS_BEFORE_START,
    Problem.UNKNOWN_TIME_ZONE,
    Problem.TOO_MANY_OCCURRENCES,
}


@pytest.mark.parametrize("locale", ["en", "da", "sv", "nb", "fi"])
@pytest.mark.parametrize("problem", list(Problem))
def test_every_problem_has_its_own_message_naming_the_line_or_event(problem, locale):
    from planner.i18n import translator
    from planner.state.imports import problem_text

    tr = translator(locale)
    error = IcsImportError(problem, line=17, event="Board meeting", size=20.0, limit=5, zone="X")
    text = problem_text(tr, error)
    fallback = tr("The file could not be read as iCalendar.")
    assert (text == fallback) == (problem is Problem.UNREADABLE)
    assert ("17" in text) == (problem not in WITHOUT_LINE)
    assert ("Board meeting" in text) == (problem in WITH_EVENT)
