"""Each notification, queued in the caller's transaction, delivered through a real SMTP server
(aiosmtpd) and parsed as it arrived: MIME shape, iMIP semantics, languages, hostile input."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
import vobject
from icalendar import Calendar
from sqlmodel import func, select

from planner.domain.ical import event_uid
from planner.domain.vocabulary import CommentKind
from planner.integrations.mail.smtp import SmtpConfig, SmtpTransport
from planner.models import (
    Booking,
    CalendarConnection,
    CandidateComment,
    InterviewParticipant,
    OutboxMessage,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services import notifications, outbox
from tests import factories
from tests.smtp_helpers import RecordingHandler, start_server

LINK = "http://localhost:3000/book/tok-Abc_123"
FROM = "planner@planner.localhost"
# Rendering does not depend on the database: these tests run on SQLite only; the ones that
# queue and claim (dialect-specific SQL) run on both.
sqlite_only = pytest.mark.parametrize("migrated_url", ["sqlite"], indirect=True)


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


def deliver(session, port) -> outbox.DeliveryReport:
    transport = SmtpTransport(SmtpConfig(host="127.0.0.1", port=port))
    return outbox.deliver_due_mail(session=session, transport=transport, now=utcnow())


def build_world(
    session,
    *,
    locale="en",
    time_zone="Europe/Copenhagen",
    title="First interview",
    candidate_name="Freja Nielsen",
    staff_name="Bo Synced",
    location_name="HQ",
):
    """An interview organised by a non-synced admin, with a synced participant, a participant
    without e-mail, a location, one future slot and a booking by one candidate."""
    account, admin = factories.account_with_admin(session, "Acme", email="astrid@acme.example")
    synced = StaffUser(
        account_id=account.id,
        name=staff_name,
        email="bo@acme.example",
        role="recruiter",
        locale="da",
        time_zone="Europe/Copenhagen",
    )
    no_mail = StaffUser(account_id=account.id, name="Cai NoMail", role="hiring_manager")
    session.add_all([synced, no_mail])
    session.flush()
    session.add(
        CalendarConnection(
            account_id=account.id, staff_user_id=synced.id, provider="google", status="synced"
        )
    )
    location = factories.add_location(session, account, name=location_name)
    interview = factories.add_interview(session, account, admin)
    interview.title = title
    interview.location_id = location.id
    session.add_all(
        [
            InterviewParticipant(
                account_id=account.id, interview_id=interview.id, staff_user_id=user.id
            )
            for user in (admin, synced, no_mail)
        ]
    )
    session.commit()
    slot, seats = factories.add_slot_with_seats(
        session, interview, start=utcnow().replace(microsecond=0) + timedelta(days=5)
    )
    candidate = factories.add_candidate(session, account, candidate_name)
    candidate.email = "freja@mail.example"
    candidate.locale, candidate.time_zone = locale, time_zone
    invitation = factories.add_invitation(session, interview, candidate)
    booking = Booking(
        account_id=account.id, invitation_id=invitation.id, slot_id=slot.id, seat_id=seats[0].id
    )
    session.add(booking)
    session.commit()
    return dict(
        account=account,
        admin=admin,
        synced=synced,
        interview=interview,
        slot=slot,
        candidate=candidate,
        invitation=invitation,
        booking=booking,
    )


def by_recipient(handler) -> dict:
    result = {}
    for received in handler.received:
        assert len(received.rcpt_tos) == 1
        result[received.rcpt_tos[0]] = received.message
    return result


def calendar_part(message):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return parts[0] if parts else None


def parse_both(ics: str):
    """The VEVENTs as icalendar and as vobject (an independent parser) read them."""
    ical = [e for cal in Calendar.from_ical(ics, multiple=True) for e in cal.walk("VEVENT")]
    vobj = [e for c in vobject.readComponents(ics) for e in c.contents.get("vevent", [])]
    return ical, vobj


def test_booking_confirmation_reaches_each_recipient_the_right_way(session, smtp):
    handler, port = smtp
    world = build_world(session)
    queued = notifications.queue_booking_confirmation(
        session=session, booking_id=world["booking"].id, link=LINK
    )
    session.commit()
    assert queued == 3  # candidate, organiser (iMIP), synced participant; nobody without mail
    assert deliver(session, port).sent == 3
    mails = by_recipient(handler)
    assert set(mails) == {"freja@mail.example", "astrid@acme.example", "bo@acme.example"}

    candidate_mail = mails["freja@mail.example"]
    assert candidate_mail.get_content_type() == "multipart/alternative"
    parts = list(candidate_mail.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    assert parts[2].get_param("method") == "REQUEST" and parts[2].get_param("charset") == "UTF-8"
    assert parts[2].get("Content-Disposition") is None
    assert LINK in parts[0].get_content()
    assert str(candidate_mail["Reply-To"]) == "Acme Admin <astrid@acme.example>"
    row = session.exec(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.endswith(":candidate"))
    ).one()
    assert candidate_mail["Message-ID"] == row.message_id
    assert row.done_at is not None and row.last_error is None and "raw" not in row.payload

    ical, vobj = parse_both(parts[2].get_content())
    assert len(ical) == len(vobj) == 1
    uid = event_uid(world["interview"].ics_uid, world["booking"].id)
    assert str(ical[0]["UID"]) == vobj[0].uid.value == uid
    assert ical[0].decoded("DTSTART") == world["slot"].start_at
    # The candidate's copy names the candidate only: staff addresses are not given out.
    attendees = {a.value.lower() for a in vobj[0].attendee_list}
    assert attendees == {"mailto:freja@mail.example"}
    assert vobj[0].organizer.value == f"mailto:{FROM}"
    assert Calendar.from_ical(parts[2].get_content())["METHOD"] == "REQUEST"

    assert calendar_part(mails["astrid@acme.example"]).get_param("method") == "REQUEST"
    _, staff_vobj = parse_both(calendar_part(mails["astrid@acme.example"]).get_content())
    assert {a.value.lower() for a in staff_vobj[0].attendee_list} == {
        "mailto:astrid@acme.example",
        "mailto:bo@acme.example",
        "mailto:freja@mail.example",
    }
    synced_mail = mails["bo@acme.example"]
    assert calendar_part(synced_mail) is None  # the provider puts it in the calendar
    assert synced_mail["Content-Language"] == "da"
    assert "Planner tilføjer samtalen" in synced_mail.get_body(("plain",)).get_content()


def test_cancellation_cancels_the_same_event(session, smtp):
    handler, port = smtp
    world = build_world(session)
    notifications.queue_booking_confirmation(session=session, booking_id=world["booking"].id)
    session.commit()
    deliver(session, port)
    requests = {
        k: calendar_part(m).get_content()
        for k, m in by_recipient(handler).items()
        if calendar_part(m) is not None
    }
    handler.received.clear()

    queued = notifications.queue_booking_cancellation(
        session=session,
        booking_id=world["booking"].id,
        comment="I got another job, sorry.",
        link=LINK,
    )
    session.commit()
    assert queued == 3
    deliver(session, port)
    mails = by_recipient(handler)
    staff_text = mails["astrid@acme.example"].get_body(("plain",)).get_content()
    assert "I got another job, sorry." in staff_text
    assert calendar_part(mails["bo@acme.example"]) is None
    for address, request_ics in requests.items():
        part = calendar_part(mails[address])
        assert part.get_param("method") == "CANCEL"
        (requested,), _ = parse_both(request_ics)
        (cancelled,), (cancelled_v,) = parse_both(part.get_content())
        assert Calendar.from_ical(part.get_content())["METHOD"] == "CANCEL"
        assert cancelled["UID"] == requested["UID"] == cancelled_v.uid.value
        assert cancelled["SEQUENCE"] > requested["SEQUENCE"]
        assert int(cancelled_v.sequence.value) == cancelled["SEQUENCE"]
        assert cancelled["STATUS"] == "CANCELLED" == cancelled_v.status.value
        assert str(cancelled["ORGANIZER"]) == str(requested["ORGANIZER"])
        assert {str(a) for a in cancelled["ATTENDEE"]} == {str(a) for a in requested["ATTENDEE"]}


@sqlite_only
def test_slot_removed_tells_the_candidate_with_a_cancel(session, smtp):
    handler, port = smtp
    world = build_world(session, locale="sv")
    assert (
        notifications.queue_slot_removed(
            session=session, booking_id=world["booking"].id, link=LINK, notify_staff=False
        )
        == 1
    )
    session.commit()
    deliver(session, port)
    (message,) = by_recipient(handler).values()
    assert message["Subject"].startswith("Tiden har dragits tillbaka")
    assert calendar_part(message).get_param("method") == "CANCEL"
    assert LINK in message.get_body(("plain",)).get_content()


@sqlite_only
@pytest.mark.parametrize(
    ("locale", "zone", "greeting", "zone_word"),
    [
        ("en", "America/New_York", "Hello Freja", "Eastern"),
        ("da", "Europe/Copenhagen", "Hej Freja", "Centraleuropæisk"),
        ("sv", "America/New_York", "Hej Freja!", "östnordamerikansk"),
        ("nb", "Europe/Oslo", "Hei Freja!", "sentraleuropeisk"),
        ("fi", "Europe/Helsinki", "Hei Freja,", "Itä-Euroopan"),
    ],
)
def test_candidate_invitation_in_the_candidates_language_and_zone(
    session, smtp, locale, zone, greeting, zone_word
):
    handler, port = smtp
    world = build_world(session, locale=locale, time_zone=zone, candidate_name="Freja Nielsen")
    world["candidate"].name = "Freja"
    session.commit()
    assert (
        notifications.queue_interview_invitation(
            session=session, invitation_id=world["invitation"].id, link=LINK
        )
        == 1
    )
    session.commit()
    deliver(session, port)
    (message,) = by_recipient(handler).values()
    assert message["Content-Language"] == locale
    text = message.get_body(("plain",)).get_content()
    assert text.startswith(greeting)
    assert zone_word in text
    assert LINK in text
    assert calendar_part(message) is None  # no time chosen yet: nothing for the calendar


@sqlite_only
def test_no_fit_comment_goes_to_staff_with_an_address(session, smtp):
    handler, port = smtp
    world = build_world(session)
    comment = CandidateComment(
        account_id=world["account"].id,
        invitation_id=world["invitation"].id,
        candidate_id=world["candidate"].id,
        interview_id=world["interview"].id,
        kind=CommentKind.NO_FIT.value,
        body="Mornings only, please.\nThanks!",
    )
    session.add(comment)
    session.flush()
    assert notifications.queue_no_fit_comment(session=session, comment_id=comment.id) == 2
    session.commit()
    deliver(session, port)
    mails = by_recipient(handler)
    assert set(mails) == {"astrid@acme.example", "bo@acme.example"}
    text = mails["astrid@acme.example"].get_body(("plain",)).get_content()
    assert "> Mornings only, please.\n> Thanks!" in text.replace("\r\n", "\n")
    assert calendar_part(mails["astrid@acme.example"]) is None


@sqlite_only
def test_sync_invitation_in_the_staff_language_and_none_without_address(session, smtp):
    handler, port = smtp
    world = build_world(session)
    no_mail = session.exec(select(StaffUser).where(StaffUser.email.is_(None))).one()
    link = "http://localhost:3000/connect/tok-xyz"
    assert (
        notifications.queue_sync_invitation(session=session, staff_user_id=no_mail.id, link=link)
        == 0
    )
    assert (
        notifications.queue_sync_invitation(
            session=session, staff_user_id=world["synced"].id, link=link
        )
        == 1
    )
    session.commit()
    deliver(session, port)
    (message,) = by_recipient(handler).values()
    assert message["Subject"] == "Forbind din kalender med Planner"
    assert link in message.get_body(("plain",)).get_content()


def test_queued_twice_is_stored_once_and_nothing_survives_a_rollback(session):
    world = build_world(session)
    booking_id = world["booking"].id
    notifications.queue_booking_confirmation(session=session, booking_id=booking_id)
    session.rollback()  # the caller's change failed: its mails go with it
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    assert notifications.queue_booking_confirmation(session=session, booking_id=booking_id) == 3
    assert notifications.queue_booking_confirmation(session=session, booking_id=booking_id) == 0
    session.commit()
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 3
    # A re-sent invitation has a new link, so it is a new mail; the same link is not.
    invitation_id = world["invitation"].id
    assert (
        notifications.queue_interview_invitation(
            session=session, invitation_id=invitation_id, link=LINK
        )
        == 1
    )
    assert (
        notifications.queue_interview_invitation(
            session=session, invitation_id=invitation_id, link=LINK
        )
        == 0
    )
    assert (
        notifications.queue_interview_invitation(
            session=session, invitation_id=invitation_id, link=LINK + "2"
        )
        == 1
    )
    keys = session.exec(select(OutboxMessage.dedupe_key)).all()
    assert not any("tok-Abc" in key for key in keys)  # tokens never in keys


class Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


HOSTILE_NAME = "Eve\r\nBcc: victim@evil.example\r\nX-Injected: 1 <script>alert(1)</script>"
HOSTILE_TITLE = (
    'Intro <script>alert("t")</script>\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n'
    "ATTENDEE:mailto:evil@x.example\r\nSUMMARY:pwned"
)
HOSTILE_STAFF = 'Bo";ROLE=CHAIR:mailto:evil2@x.example\r\nATTENDEE:mailto:evil3@x.example'


@sqlite_only
def test_hostile_names_titles_and_comments_stay_text(session, smtp):
    handler, port = smtp
    world = build_world(session, title="Plain title", candidate_name="Eve Plain")
    notifications.queue_booking_confirmation(session=session, booking_id=world["booking"].id)
    session.commit()
    deliver(session, port)
    benign = by_recipient(handler)
    handler.received.clear()
    for row in session.exec(select(OutboxMessage)).all():
        session.delete(row)
    world["candidate"].name = HOSTILE_NAME
    world["interview"].title = HOSTILE_TITLE
    world["synced"].name = HOSTILE_STAFF
    session.commit()
    notifications.queue_booking_cancellation(
        session=session,
        booking_id=world["booking"].id,
        comment="</blockquote><script>alert(2)</script>\r\nBEGIN:VEVENT",
    )
    notifications.queue_booking_confirmation(session=session, booking_id=world["booking"].id)
    session.commit()
    deliver(session, port)
    assert len(handler.received) == 6
    for received in handler.received:
        message = received.message
        (address,) = received.rcpt_tos
        assert list(message.keys()) == list(benign[address].keys())
        assert "X-Injected" not in message and "Bcc" not in message
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["To"])
        markup = Markup()
        markup.feed(message.get_body(("html",)).get_content())
        assert "script" not in markup.tags
        assert markup.tags.count("blockquote") <= 1
        assert "<script>alert(1)</script>" in "".join(markup.text)
        part = calendar_part(message)
        if part is None:
            continue
        ical, vobj = parse_both(part.get_content())
        assert len(ical) == 1 and len(vobj) == 1
        everyone = {
            "mailto:astrid@acme.example",
            "mailto:bo@acme.example",
            "mailto:freja@mail.example",
        }
        expected = {"mailto:freja@mail.example"} if "freja" in address else everyone
        assert {a.value.lower() for a in vobj[0].attendee_list} == expected
        listed = ical[0]["ATTENDEE"]
        listed = listed if isinstance(listed, list) else [listed]
        assert {str(a).lower() for a in listed} == expected
        assert vobj[0].organizer.value == f"mailto:{FROM}"
        assert ical[0]["SUMMARY"].startswith('Intro <script>alert("t")</script> END:VEVENT')
