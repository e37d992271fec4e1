"""No mail lost in silence: text a later stage (mail header, iCalendar) would refuse is refused
or normalised where it arrives; a mail that still cannot be built or delivered is a failure
staff see; the development Sent-mail page shows each account only its own mail."""

import email
from datetime import timedelta
from email import policy

import pytest
from sqlmodel import Session, select

from planner.domain.text import UnusableText, check_line, normalise_multiline
from planner.integrations.mail.devserver import start_dev_smtp
from planner.integrations.mail.smtp import SmtpConfig, SmtpTransport
from planner.models import Booking, OutboxMessage
from planner.models.base import utcnow
from planner.services import candidates, mail_log, notifications, outbox, scheduling
from planner.services.errors import InvalidInput, PermissionDenied
from tests import factories
from tests.integration.test_api import Tenant, api_client
from tests.smtp_helpers import RecordingHandler, free_port, start_server

BREAKERS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\r", "\n"]


@pytest.mark.parametrize("breaker", BREAKERS + ["\x00", "\x7f", "\x9b", "\ud800"])
def test_single_line_text_with_a_line_break_or_control_is_refused(breaker):
    with pytest.raises(UnusableText):
        check_line(f"Backend{breaker}interview")


@pytest.mark.parametrize("breaker", BREAKERS)
def test_free_text_line_breaks_become_newlines(breaker):
    assert normalise_multiline(f"Hello{breaker}there\x00!") == "Hello\nthere!"
    assert normalise_multiline("a\r\nb") == "a\nb"


def _queue_confirmation(session, *, candidate_name="Freja Nielsen", candidate_email=None):
    account, admin = factories.account_with_admin(session, "Acme", email="astrid@acme.example")
    admin.is_active = False  # only the candidate's mail
    interview = factories.add_interview(session, account, admin)
    slot, seats = factories.add_slot_with_seats(
        session, interview, start=utcnow() + timedelta(days=2)
    )
    candidate = factories.add_candidate(session, account, candidate_name)
    if candidate_email is not None:
        candidate.email = candidate_email
    invitation = factories.add_invitation(session, interview, candidate)
    booking = Booking(
        account_id=account.id, invitation_id=invitation.id, slot_id=slot.id, seat_id=seats[0].id
    )
    session.add(booking)
    session.commit()
    notifications.queue_booking_confirmation(session=session, booking_id=booking.id, link="")
    session.commit()
    return factories.actor_for(admin, account)


@pytest.mark.parametrize("breaker", ["\u2028", "\u2029", "\x85"])
def test_the_api_refuses_a_title_or_name_no_mail_header_could_carry(engine, monkeypatch, breaker):
    with Session(engine, expire_on_commit=False) as session:
        tenant = Tenant(session, "Alpha")
    client = api_client(engine, monkeypatch)
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()
    response = client.post(
        "/api/v1/interviews",
        headers=tenant.headers,
        json={"title": f"Backend{breaker}interview", "duration_minutes": 30,
              "participant_ids": [tenant.admin.id], "slots": [start]},
    )  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "title"
    response = client.post(
        "/api/v1/candidates",
        headers=tenant.headers,
        json={"name": f"Nel{breaker}Name", "email": "nel@mail.example"},
    )
    assert response.status_code == 422, response.text


def test_services_refuse_line_breaks_in_names_and_keep_them_in_free_text(session):
    account, admin = factories.account_with_admin(session, "Acme", email="astrid@acme.example")
    actor = factories.actor_for(admin, account)
    with pytest.raises(InvalidInput) as caught:
        candidates.create_candidate(
            session=session, actor=actor, data={"name": "Nel\x85Name", "email": "n@mail.example"}
        )
    assert caught.value.field == "name"
    interview = scheduling.create_interview(
        session=session, actor=actor, now=utcnow(),
        data={"title": "Backend", "duration_minutes": 30, "participant_ids": [admin.id],
              "invitation_text": "Welcome\u2028to the\x85interview"},
    )  # fmt: skip
    from planner.models import Interview

    assert session.get(Interview, interview.id).invitation_text == "Welcome\nto the\ninterview"


def test_an_old_row_with_a_line_separator_still_gets_its_mail(session):
    """Rows stored before the edge refused these characters: the header is normalised."""
    _queue_confirmation(session, candidate_name="Nel\x85Name Backend\u2028Person")
    [row] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
    assert row.done_at is None and row.last_error is None
    message = email.message_from_bytes(row.payload["raw"].encode("ascii"), policy=policy.default)
    assert message["To"].addresses[0].display_name == "Nel Name Backend Person"


def test_a_mail_that_cannot_be_built_is_a_failure_staff_see(session):
    actor = _queue_confirmation(session, candidate_email="not an address")
    [row] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
    assert row.done_at is not None and row.last_error.startswith("gave up")
    [failed] = mail_log.undelivered_mail(session=session, actor=actor)
    assert failed.reason == "the mail could not be built (unusable recipient address)"
    assert failed.to == "not an address" and failed.subject.startswith("Confirmed")


def test_a_mail_the_server_refuses_is_a_failure_staff_see(session):
    actor = _queue_confirmation(session)
    handler = RecordingHandler()
    handler.replies.append("550 5.1.1 No such user")
    controller = start_server(handler)
    try:
        config = SmtpConfig(host="127.0.0.1", port=controller.port)
        report = outbox.deliver_due_mail(
            session=session, transport=SmtpTransport(config), now=utcnow()
        )
    finally:
        controller.stop()
    assert report.given_up == 1
    [failed] = mail_log.undelivered_mail(session=session, actor=actor)
    assert "550" in failed.reason
    other_account, other_admin = factories.account_with_admin(
        session, "Other", email="o@other.example"
    )
    assert (
        mail_log.undelivered_mail(
            session=session, actor=factories.actor_for(other_admin, other_account)
        )
        == []
    )


def test_the_sent_mail_page_shows_each_account_only_its_own_mail(session, tmp_path):
    maildir = tmp_path / "mail"
    port = free_port()
    controller = start_dev_smtp("127.0.0.1", port, maildir)
    actors = []
    try:
        for name in ("Acme", "Beta"):
            account, admin = factories.account_with_admin(
                session, name, email=f"admin@{name.lower()}.example"
            )
            interview = factories.add_interview(session, account, admin)
            slot, seats = factories.add_slot_with_seats(
                session, interview, start=utcnow() + timedelta(days=2)
            )
            candidate = factories.add_candidate(session, account, f"{name} Candidate")
            invitation = factories.add_invitation(session, interview, candidate)
            booking = Booking(
                account_id=account.id, invitation_id=invitation.id, slot_id=slot.id,
                seat_id=seats[0].id,
            )  # fmt: skip
            session.add(booking)
            session.commit()
            notifications.queue_booking_confirmation(
                session=session, booking_id=booking.id, link=f"http://x/book/{name}"
            )
            session.commit()
            actors.append(factories.actor_for(admin, account))
        outbox.deliver_due_mail(
            session=session,
            transport=SmtpTransport(SmtpConfig(host="127.0.0.1", port=port)),
            now=utcnow(),
        )
    finally:
        controller.stop()
    acme, beta = actors
    seen_by_acme = mail_log.received_mail_of_account(session=session, actor=acme, directory=maildir)
    seen_by_beta = mail_log.received_mail_of_account(session=session, actor=beta, directory=maildir)
    assert seen_by_acme and seen_by_beta
    assert all("Acme" in mail.to or "acme" in mail.to for mail in seen_by_acme)
    assert all("Beta" in mail.to or "beta" in mail.to for mail in seen_by_beta)
    assert not {m.key for m in seen_by_acme} & {m.key for m in seen_by_beta}
    recruiter = factories.actor_for(*_recruiter(session, acme))
    with pytest.raises(PermissionDenied):
        mail_log.received_mail_of_account(session=session, actor=recruiter, directory=maildir)


def _recruiter(session, admin_actor):
    from planner.models import Account, StaffUser

    account = session.get(Account, admin_actor.account_id)
    user = StaffUser(account_id=account.id, name="Rita Recruiter", email="rita@acme.example",
                     role="recruiter")  # fmt: skip
    session.add(user)
    session.commit()
    return user, account


def test_the_candidates_ics_does_not_list_staff_addresses(session):
    account, admin = factories.account_with_admin(session, "Acme", email="astrid@acme.example")
    interview = factories.add_interview(session, account, admin)
    slot, seats = factories.add_slot_with_seats(
        session, interview, start=utcnow() + timedelta(days=2)
    )
    candidate = factories.add_candidate(session, account)
    invitation = factories.add_invitation(session, interview, candidate)
    booking = Booking(
        account_id=account.id, invitation_id=invitation.id, slot_id=slot.id, seat_id=seats[0].id
    )
    session.add(booking)
    session.commit()
    ics = notifications.booking_ics(session=session, booking_id=booking.id).decode("utf-8")
    assert "freja@mail.example" in ics
    assert "astrid@acme.example" not in ics and "acme.example" not in ics
    google, outlook = notifications.booking_calendar_links(session=session, booking_id=booking.id)
    assert "acme.example" not in google + outlook


@pytest.mark.parametrize("title", ["Backend\u2028interview", "Back\x85end", "A\x00B"])
def test_renaming_an_interview_refuses_a_line_break_of_any_kind(session, title):
    from planner.services import interviews

    account, admin = factories.account_with_admin(session, "Acme", email="astrid@acme.example")
    interview = factories.add_interview(session, account, admin)
    with pytest.raises(InvalidInput):
        interviews.rename_interview(
            session=session,
            actor=factories.actor_for(admin, account),
            interview_id=interview.id,
            title=title,
        )


def test_a_notification_that_could_not_be_rendered_is_listed_too(session):
    account, admin = factories.account_with_admin(session, "Acme", email="astrid@acme.example")
    notifications.request(
        session=session, name="booking_confirmation", account_id=account.id, booking_id=987654
    )
    session.commit()
    notifications.render_requested(session=session)
    [failed] = mail_log.undelivered_mail(session=session, actor=factories.actor_for(admin, account))
    assert failed.subject == "booking_confirmation" and "NotFound" in failed.reason
