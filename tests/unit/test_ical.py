"""iMIP REQUEST / CANCEL and the .ics download, read back by icalendar and by vobject."""

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from icalendar import Calendar

from planner.domain.ical import (
    AttendeeRole,
    CalendarPerson,
    InterviewEvent,
    cancel_calendar,
    checked_address,
    download_calendar,
    event_uid,
    google_calendar_url,
    outlook_calendar_url,
    request_calendar,
)

START = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)  # the day Copenhagen springs forward
STAMP = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOSTILE_TITLE = (
    "Intro\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nATTENDEE:mailto:evil@x.example\r\n"
    'SUMMARY:pwned; "quoted", comma\\backslash'
)


def make_event(**changes) -> InterviewEvent:
    values = dict(
        uid=event_uid("abc123@planner", 7),
        sequence=2,
        start=START,
        end=START + timedelta(minutes=45),
        summary="First interview",
        organizer=CalendarPerson(email="planner@planner.localhost", name="Astrid Holm"),
        attendees=(
            CalendarPerson(
                email="astrid@demo.example", name="Astrid Holm", role=AttendeeRole.CHAIR
            ),
            CalendarPerson(email="freja@mail.example", name="Freja Nielsen"),
        ),
        stamp=STAMP,
        description="Line one\nLine two; with, punctuation",
        location="HQ, Street 1",
    )
    values.update(changes)
    return InterviewEvent(**values)


def events_with_icalendar(data: bytes):
    calendars = Calendar.from_ical(data, multiple=True)
    return calendars, [event for cal in calendars for event in cal.walk("VEVENT")]


def events_with_vobject(data: bytes):
    components = list(vobject.readComponents(data.decode("utf-8")))
    return components, [event for comp in components for event in comp.contents.get("vevent", [])]


def test_request_has_everything_imip_needs():
    data = request_calendar(make_event())
    (calendar,), (event,) = events_with_icalendar(data)
    assert calendar["METHOD"] == "REQUEST"
    assert "UID" not in calendar  # no VCALENDAR-level UID
    assert str(event["UID"]) == "booking-7.abc123@planner"
    assert event["SEQUENCE"] == 2
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == START + timedelta(minutes=45)
    assert event.decoded("DTSTAMP") == STAMP
    assert b"DTSTART:20260329T073000Z" in data  # UTC, no TZID that would need a VTIMEZONE
    assert str(event["ORGANIZER"]) == "mailto:planner@planner.localhost"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == [
        "mailto:astrid@demo.example",
        "mailto:freja@mail.example",
    ]
    for attendee in attendees:
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"
    assert attendees[0].params["ROLE"] == "CHAIR"
    assert attendees[1].params["CN"] == "Freja Nielsen"
    assert str(event["DESCRIPTION"]) == "Line one\nLine two; with, punctuation"


def test_cancel_keeps_uid_raises_sequence_and_is_cancelled():
    request = make_event(sequence=0)
    cancel = make_event(sequence=1)
    (_,), (requested,) = events_with_icalendar(request_calendar(request))
    (calendar,), (cancelled,) = events_with_icalendar(cancel_calendar(cancel))
    assert calendar["METHOD"] == "CANCEL"
    assert cancelled["UID"] == requested["UID"]
    assert cancelled["SEQUENCE"] > requested["SEQUENCE"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert str(cancelled["ORGANIZER"]) == str(requested["ORGANIZER"])
    assert [str(a) for a in cancelled["ATTENDEE"]] == [str(a) for a in requested["ATTENDEE"]]


def test_download_is_the_same_event_without_method():
    data = download_calendar(make_event())
    (calendar,), (event,) = events_with_icalendar(data)
    assert "METHOD" not in calendar
    (_,), (requested,) = events_with_icalendar(request_calendar(make_event()))
    for prop in ("UID", "SEQUENCE", "SUMMARY", "ORGANIZER", "LOCATION"):
        assert str(event[prop]) == str(requested[prop])


def test_a_duplicate_attendee_address_is_listed_once():
    event = make_event(
        attendees=(
            CalendarPerson(email="a@x.example", name="A"),
            CalendarPerson(email="A@X.example", name="A again"),
        )
    )
    (_,), (parsed,) = events_with_icalendar(request_calendar(event))
    assert str(parsed["ATTENDEE"]) == "mailto:a@x.example"


@pytest.mark.parametrize("build", [request_calendar, cancel_calendar, download_calendar])
def test_hostile_text_stays_text_in_both_parsers(build):
    event = make_event(
        summary=HOSTILE_TITLE,
        description=HOSTILE_TITLE,
        location="Room\r\nATTENDEE:mailto:evil2@x.example",
        organizer=CalendarPerson(email="planner@planner.localhost", name='Boss";ROLE=CHAIR:x'),
        attendees=(
            CalendarPerson(
                email="freja@mail.example", name='Freja\r\nATTENDEE:mailto:evil3@x.example"'
            ),
        ),
    )
    data = build(event)
    calendars, ical_events = events_with_icalendar(data)
    components, vobject_events = events_with_vobject(data)
    assert len(calendars) == 1 and len(ical_events) == 1
    assert len(components) == 1 and len(vobject_events) == 1
    (ical_event,), (vobj_event,) = ical_events, vobject_events
    assert str(ical_event["UID"]) == "booking-7.abc123@planner"
    assert vobj_event.uid.value == "booking-7.abc123@planner"
    assert str(ical_event["ATTENDEE"]) == "mailto:freja@mail.example"
    assert [a.value for a in vobj_event.attendee_list] == ["mailto:freja@mail.example"]
    assert vobj_event.organizer.value == "mailto:planner@planner.localhost"
    # The title arrives as one line of text, the same in both parsers.
    expected_summary = " ".join(HOSTILE_TITLE.replace("\r\n", " ").split("  "))
    assert str(ical_event["SUMMARY"]) == vobj_event.summary.value == expected_summary
    assert vobj_event.description.value == HOSTILE_TITLE.replace("\r\n", "\n")


@pytest.mark.parametrize(
    "address",
    ["evil@x.example\r\nATTENDEE:mailto:a@b", "a b@x.example", "<a@x.example>", "nobody", "a@b@c"],
)
def test_addresses_that_could_break_out_are_refused(address):
    with pytest.raises(ValueError):
        checked_address(address)
    with pytest.raises(ValueError):
        request_calendar(make_event(attendees=(CalendarPerson(email=address, name="X"),)))


def test_event_times_must_be_aware_and_ordered():
    with pytest.raises(ValueError):
        make_event(start=datetime(2026, 3, 29, 7, 30))
    with pytest.raises(ValueError):
        make_event(end=START)


def test_add_to_calendar_links_carry_utc_times():
    event = make_event()
    google = google_calendar_url(event)
    outlook = outlook_calendar_url(event)
    assert google.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert "dates=20260329T073000Z%2F20260329T081500Z" in google
    assert "startdt=2026-03-29T07%3A30%3A00Z" in outlook
