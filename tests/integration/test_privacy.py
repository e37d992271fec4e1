"""Erasing (GDPR art. 17) and exporting (art. 15) a candidate on SQLite and PostgreSQL:
upcoming interviews cancelled with notice through the outbox and real SMTP, calendar events
removed, and afterwards a dump of the whole database holds none of their personal data."""

import json
import sqlite3
import subprocess
from datetime import timedelta

import pytest
from sqlmodel import select

from planner.domain.tokens import hash_token
from planner.integrations.mail.smtp import SmtpConfig, SmtpTransport
from planner.models import (
    Booking,
    CalendarConnection,
    Candidate,
    CandidateInvitation,
    OutboxMessage,
    PreviousAppointment,
    PrivacyAction,
    StaffUser,
    WebhookEndpoint,
)
from planner.models.base import utcnow
from planner.services import booking, notifications, outbox, previous_calendar, privacy, scheduling
from planner.services.errors import PermissionDenied
from tests.factories import account_with_admin, actor_for
from tests.smtp_helpers import RecordingHandler, start_server

NAME = "Zebulon Quartermaine"
EMAIL = "zebulon.q@mail.example"
PHONE = "+45 98 76 54 32"
COMMENT = "My cat Whiskerface is ill"
REFERENCE = "ATS-77-ZQ"


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


def deliver(session, port) -> None:
    while notifications.render_requested(session=session):
        pass
    outbox.deliver_due_mail(
        session=session,
        transport=SmtpTransport(SmtpConfig(host="127.0.0.1", port=port)),
        now=utcnow(),
    )


@pytest.fixture
def world(session):
    account, admin = account_with_admin(session, "Acme", email="astrid@acme.example")
    recruiter = StaffUser(
        account_id=account.id, name="Mads Recruiter", email="mads@acme.example", role="recruiter"
    )
    session.add(recruiter)
    candidate = Candidate(
        account_id=account.id, name=NAME, email=EMAIL, phone=PHONE, external_ref=REFERENCE
    )
    other = Candidate(account_id=account.id, name="Other Person", email="other@mail.example")
    session.add_all([candidate, other])
    session.flush()
    # The organiser's calendar is synced: a booking becomes a provider event.
    session.add(
        CalendarConnection(
            account_id=account.id, staff_user_id=admin.id, provider="caldav", status="synced"
        )
    )
    session.add(
        WebhookEndpoint(
            account_id=account.id,
            url="https://ats.example/hooks",
            encrypted_secret="x",
            events=["interview.booked", "interview.cancelled", "invitation.no_fit"],
        )
    )
    session.commit()
    return account, actor_for(admin, account), actor_for(recruiter, account), candidate, other


def interview_with_invitation(session, actor, candidate_ids, *, start, now):
    detail = scheduling.create_interview(
        session=session,
        actor=actor,
        data={
            "title": f"Interview {start:%d %b}",
            "duration_minutes": 45,
            "participant_ids": [actor.user_id],
            "slots": [start.isoformat()],
        },
        now=now,
    )
    tokens = scheduling.invite_candidates(
        session=session, actor=actor, interview_id=detail.id, candidate_ids=candidate_ids, now=now
    )
    return detail, tokens


def test_erase_cancels_with_notice_and_leaves_no_personal_data(session, world, smtp, migrated_url):
    handler, port = smtp
    account, admin, _recruiter, candidate, other = world
    now = utcnow()
    # A past interview they attended (booked back then), an upcoming booked one, and one
    # where no time fitted (a comment, not yet rendered to mail).
    past, past_tokens = interview_with_invitation(
        session, admin, [candidate.id], start=now - timedelta(days=5), now=now - timedelta(days=10)
    )
    assert booking.book(
        session=session,
        token=past_tokens[candidate.id],
        slot_id=past.slots[0].id,
        now=now - timedelta(days=9),
    ).ok
    upcoming, tokens = interview_with_invitation(
        session, admin, [candidate.id, other.id], start=now + timedelta(days=3), now=now
    )
    token = tokens[candidate.id]
    assert booking.book(session=session, token=token, slot_id=upcoming.slots[0].id, now=now).ok
    deliver(session, port)
    third, third_tokens = interview_with_invitation(
        session, admin, [candidate.id], start=now + timedelta(days=6), now=now
    )
    booking.no_fit(session=session, token=third_tokens[candidate.id], comment=COMMENT, now=now)
    # The previous calendar names them; another upload still holds their address.
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:old-1\r\n"
        f"SUMMARY:Interview {NAME}\r\nDTSTART:20261001T090000Z\r\n"
        f"ATTENDEE;CN={NAME}:mailto:{EMAIL}\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:old-2\r\n"
        "SUMMARY:Team meeting\r\nDTSTART:20261002T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    preview = previous_calendar.preview_import(
        session=session, actor=admin, filename="old.ics", data=ics, now=now
    )
    previous_calendar.start_import(
        session=session, actor=admin, import_id=preview.import_id, now=now
    )
    previous_calendar.run_due_imports(session=session, now=now)
    previous_calendar.preview_import(
        session=session, actor=admin, filename="again.ics", data=ics, now=now
    )
    handler.received.clear()

    report = privacy.erase_candidate(
        session=session, actor=admin, candidate_id=candidate.id, request_key="erase-1", now=now
    )

    assert report.cancelled_interviews == 1
    assert report.removed_calendar_events == 2  # the upcoming and the past interview's event
    assert report.deleted_comments == 1
    assert report.deleted_appointments == 1
    assert report.notices_pending >= 2
    # The same request again, or another click, changes nothing.
    again = privacy.erase_candidate(
        session=session, actor=admin, candidate_id=candidate.id, request_key="erase-2", now=now
    )
    assert again == report
    # Calendar events are removed through the outbox like any cancellation.
    deletes = [
        r
        for r in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "calendar")).all()
        if r.payload.get("action") == "delete"
    ]
    assert len(deletes) == 2
    # The notices reach the candidate and the staff, then the erasure completes.
    deliver(session, port)
    recipients = sorted(r for m in handler.received for r in m.rcpt_tos)
    assert recipients == sorted([EMAIL, "astrid@acme.example"])
    to_candidate = next(m for m in handler.received if m.rcpt_tos == [EMAIL]).message
    assert to_candidate["Subject"].startswith("Time withdrawn")
    text = to_candidate.get_body(("plain",)).get_content()
    assert "no new time will follow" in text and "contact you about a new time" not in text
    assert privacy.complete_erasures(session=session, now=utcnow()) == 1
    action = session.exec(select(PrivacyAction)).one()
    assert action.completed_at is not None and action.actor_id == admin.user_id
    # The other candidate and the unrelated appointment are untouched.
    assert session.get(Candidate, other.id).email == "other@mail.example"
    assert [a.uid for a in session.exec(select(PreviousAppointment)).all()] == ["old-2"]
    bookings = session.exec(select(Booking)).all()
    assert {b.status for b in bookings} == {"active", "cancelled"}

    dump = dump_database(migrated_url).lower()
    for secret in (NAME, EMAIL, PHONE, COMMENT, REFERENCE, token, hash_token(token), "Zebulon"):
        assert secret.lower() not in dump, f"{secret!r} is still in the database"
    assert "other@mail.example" in dump  # the dump does hold data: the check can fail
    # The erased candidate's link no longer opens anything.
    assert booking.candidate_view(session=session, token=token, now=now) is None
    invitations = session.exec(
        select(CandidateInvitation).where(CandidateInvitation.candidate_id == candidate.id)
    ).all()
    assert {i.status for i in invitations} == {"withdrawn"}


def dump_database(url: str) -> str:
    """The whole database as text, as its own dump tool writes it."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return "\n".join(conn.iterdump())
    result = subprocess.run(  # noqa: S603 - the machine's pg_dump
        ["pg_dump", "--data-only", "--inserts", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def test_only_admins_erase_or_export(session, world):
    _account, _admin, recruiter, candidate, _other = world
    with pytest.raises(PermissionDenied):
        privacy.erase_candidate(
            session=session,
            actor=recruiter,
            candidate_id=candidate.id,
            request_key="k",
            now=utcnow(),
        )
    with pytest.raises(PermissionDenied):
        privacy.export_candidate(
            session=session,
            actor=recruiter,
            candidate_id=candidate.id,
            request_key="k",
            now=utcnow(),
        )


def test_export_holds_their_data_as_json_and_is_recorded(session, world):
    _account, admin, _recruiter, candidate, _other = world
    now = utcnow()
    detail, tokens = interview_with_invitation(
        session, admin, [candidate.id], start=now + timedelta(days=2), now=now
    )
    booking.no_fit(session=session, token=tokens[candidate.id], comment=COMMENT, now=now)

    data = privacy.export_candidate(
        session=session, actor=admin, candidate_id=candidate.id, request_key="exp-1", now=now
    )
    privacy.export_candidate(
        session=session, actor=admin, candidate_id=candidate.id, request_key="exp-1", now=now
    )

    text = json.dumps(data)
    assert data["candidate"]["email"] == EMAIL and data["candidate"]["phone"] == PHONE
    assert data["invitations"][0]["interview"] == detail.title
    assert data["invitations"][0]["invitation_status"] == "no_fit"
    assert data["comments"][0]["text"] == COMMENT
    assert NAME in text
    actions = session.exec(select(PrivacyAction)).all()
    assert [(a.action, a.candidate_id) for a in actions] == [("export", candidate.id)]
    assert COMMENT not in json.dumps(actions[0].summary)
