"""Each mail is produced by the service whose change causes it: the service records the
notification in its own transaction, the worker renders and delivers it through a real SMTP
server, and what arrives is parsed."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from planner.models import OutboxMessage, StaffUser
from planner.models.base import utcnow
from planner.services import booking, notifications, scheduling, sync_invitations
from tests.factories import account_with_admin, actor_for, add_candidate
from tests.integration.test_mail_notifications import calendar_part, deliver, parse_both
from tests.smtp_helpers import RecordingHandler, start_server


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


def _run_worker(session, port):
    notifications.render_requested(session=session)
    return deliver(session, port)


def _arrived(handler):
    mails = [(r.rcpt_tos[0], r.message) for r in handler.received]
    handler.received.clear()
    return mails


def test_the_whole_life_of_an_interview_sends_the_right_mails(session, smtp):
    handler, port = smtp
    now = utcnow().replace(microsecond=0)
    account, admin = account_with_admin(session, "Acme", email="astrid@acme.example")
    manager = StaffUser(
        account_id=account.id,
        name="Hanna Manager",
        email="hanna@acme.example",
        role="hiring_manager",
        locale="sv",
        time_zone="Europe/Stockholm",
    )
    session.add(manager)
    session.commit()
    actor = actor_for(admin, account)
    freja = add_candidate(session, account, "Freja Nielsen")
    freja.locale, freja.time_zone = "da", "Europe/Copenhagen"
    james = add_candidate(session, account, "James Carter")
    james.time_zone = "America/New_York"
    session.commit()
    interview = scheduling.create_interview(
        session=session, actor=actor, now=now,
        data={"title": "Backend interview", "duration_minutes": 45,
              "participant_ids": [manager.id],
              "slots": [now + timedelta(days=3), now + timedelta(days=4)]},
    )  # fmt: skip

    # Invitations: one mail per candidate, in their language, with their own link.
    tokens = scheduling.invite_candidates(
        session=session, actor=actor, interview_id=interview.id,
        candidate_ids=[freja.id, james.id], now=now,
    )  # fmt: skip
    assert _run_worker(session, port).sent == 2
    mails = dict(_arrived(handler))
    freja_text = mails[freja.email].get_body(("plain",)).get_content()
    assert f"/book/{tokens[freja.id]}" in freja_text
    assert tokens[james.id] not in freja_text
    # Freja reads Danish, James English.
    assert mails[freja.email]["Subject"] != mails[james.email]["Subject"]
    assert mails[freja.email]["Content-Language"] == "da"

    # Booking: the candidate and both staff (not synced: iMIP REQUEST) are told.
    slot_id = interview.slots[0].id
    assert booking.book(session=session, token=tokens[freja.id], slot_id=slot_id, now=now).ok
    assert _run_worker(session, port).sent == 3
    mails = dict(_arrived(handler))
    assert set(mails) == {freja.email, admin.email, manager.email}
    for message in mails.values():
        part = calendar_part(message)
        assert part is not None and part.get_param("method") == "REQUEST"
        events = parse_both(part.get_content())
        assert len(events[0]) == 1 and len(events[1]) == 1
    uid = str(parse_both(calendar_part(mails[freja.email]).get_content())[0][0]["UID"])

    # The other candidate says no time fits: the staff read the comment.
    assert booking.no_fit(
        session=session, token=tokens[james.id], comment="Only Fridays", now=now
    ).ok
    assert _run_worker(session, port).sent == 2
    for to, message in _arrived(handler):
        assert to in (admin.email, manager.email)
        assert "Only Fridays" in message.get_body(("plain",)).get_content()

    # The candidate cancels: CANCEL with the same UID and a higher SEQUENCE, comment shown.
    assert booking.cancel(
        session=session, token=tokens[freja.id], comment="Got another job", now=now
    ).ok
    assert _run_worker(session, port).sent == 3
    for to, message in _arrived(handler):
        part = calendar_part(message)
        assert part.get_param("method") == "CANCEL"
        event = parse_both(part.get_content())[0][0]
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) >= 1
        if to != freja.email:
            assert "Got another job" in message.get_body(("plain",)).get_content()

    # She books again and staff remove that slot: she is told, with a CANCEL.
    assert booking.book(session=session, token=tokens[freja.id], slot_id=slot_id, now=now).ok
    _run_worker(session, port)
    _arrived(handler)
    assert scheduling.remove_slot(session=session, actor=actor, slot_id=slot_id, now=now) == 1
    assert _run_worker(session, port).sent == 3
    mails = dict(_arrived(handler))
    assert calendar_part(mails[freja.email]).get_param("method") == "CANCEL"

    # Nothing is left to send, and no link token stays in the outbox once delivered.
    assert _run_worker(session, port).sent == 0
    for row in session.exec(select(OutboxMessage)).all():
        assert row.done_at is not None
        assert not any(token in str(row.payload) for token in tokens.values())


def test_sync_invitations_go_to_those_with_an_address_and_name_the_others(session, smtp):
    handler, port = smtp
    account, admin = account_with_admin(session, "Acme", email="astrid@acme.example")
    no_mail = StaffUser(account_id=account.id, name="Oliver Bennett", role="hiring_manager")
    nora = StaffUser(
        account_id=account.id,
        name="Nora Recruiter",
        email="nora@acme.example",
        role="recruiter",
        locale="nb",
    )
    session.add_all([no_mail, nora])
    session.commit()
    result = sync_invitations.send_sync_invitations(
        session=session, actor=actor_for(admin, account), user_ids=[no_mail.id, nora.id],
        now=utcnow(),
    )  # fmt: skip
    assert result.sent == ["Nora Recruiter"] and result.without_email == ["Oliver Bennett"]
    assert _run_worker(session, port).sent == 1
    [(to, message)] = _arrived(handler)
    assert to == "nora@acme.example"
    assert re.search(r"/connect/[A-Za-z0-9_-]{40,}", message.get_body(("plain",)).get_content())
