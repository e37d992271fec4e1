"""A booking's transaction writes the booking and one outbox row; the worker expands it into
mails, webhooks and calendar writes, once, and nothing is lost when it dies half-way
(issue 15, deliver 7)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import select

from planner.domain.vocabulary import Role
from planner.models import (
    CalendarConnection,
    OutboxMessage,
    ProviderEventLink,
    StaffUser,
    WebhookEndpoint,
)
from planner.services import booking, notifications, scheduling
from tests.factories import NOW, account_with_admin, actor_for, add_candidate

SLOT = NOW + timedelta(days=2)


@pytest.fixture
def world(session):
    """An interview of the admin with a manager, both with a synced calendar, an account
    webhook for interview.booked, and one invited candidate: (token, slot id)."""
    account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    manager = StaffUser(
        account_id=account.id,
        name="Hanna Manager",
        email="hanna@alpha.example",
        role=Role.HIRING_MANAGER.value,
    )
    session.add(manager)
    session.commit()
    for user in (admin, manager):
        session.add(
            CalendarConnection(
                account_id=account.id,
                staff_user_id=user.id,
                provider="caldav",
                server_url="http://calendar.invalid/",
                calendar_id=f"http://calendar.invalid/{user.id}/",
            )
        )
    session.add(
        WebhookEndpoint(
            account_id=account.id,
            url="https://ats.example/hooks",
            encrypted_secret="unused-here",
            events=["interview.booked"],
        )
    )
    session.commit()
    actor = actor_for(admin, account)
    interview = scheduling.create_interview(
        session=session,
        actor=actor,
        data={
            "title": "Tech talk",
            "duration_minutes": 60,
            "participant_ids": [manager.id],
            "slots": [SLOT],
        },
        now=NOW,
    )
    candidate = add_candidate(session, account)
    tokens = scheduling.invite_candidates(
        session=session, actor=actor, interview_id=interview.id,
        candidate_ids=[candidate.id], now=NOW,
    )  # fmt: skip
    # The invitation mail is not what this test is about: render it and count it as sent.
    notifications.render_requested(session=session)
    session.exec(update(OutboxMessage).values(done_at=NOW))
    session.commit()
    return tokens[candidate.id], interview.slots[0].id


def _outbox(session) -> dict[str, int]:
    rows = session.exec(
        select(OutboxMessage.kind, func.count())
        .where(OutboxMessage.done_at.is_(None))  # type: ignore[union-attr]
        .group_by(OutboxMessage.kind)
    ).all()
    return dict(rows)


def test_the_booking_transaction_writes_one_outbox_row(session, world):
    token, slot_id = world
    before = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    assert booking.book(session=session, token=token, slot_id=slot_id, now=NOW).ok
    after = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    assert after - before == 1
    assert _outbox(session) == {notifications.NOTIFICATION_KIND: 1}
    assert session.exec(select(ProviderEventLink)).all() == []


def test_the_worker_expands_it_once_into_mails_webhooks_and_calendar_writes(session, world):
    token, slot_id = world
    result = booking.book(session=session, token=token, slot_id=slot_id, now=NOW)
    assert notifications.render_requested(session=session) == 1
    # 2 calendar writes (admin and manager), 1 webhook, 3 mails (candidate and two staff).
    assert _outbox(session) == {"calendar": 2, "webhook": 1, "mail": 3}
    links = session.exec(select(ProviderEventLink)).all()
    assert {link.booking_id for link in links} == {result.booking_id}
    # Expanding the same booking again (e.g. a worker that died after its commit was
    # acknowledged by the database but before it knew) adds nothing.
    assert (
        booking.expand_booking_made(
            session=session, booking_id=result.booking_id, link="http://x/book/t"
        )
        == 0
    )
    session.commit()
    assert _outbox(session) == {"calendar": 2, "webhook": 1, "mail": 3}
    assert len(session.exec(select(ProviderEventLink)).all()) == 2


def test_a_worker_dying_mid_expansion_loses_nothing(session, world, monkeypatch):
    token, slot_id = world
    assert booking.book(session=session, token=token, slot_id=slot_id, now=NOW).ok

    def dies(**_kwargs):
        raise ConnectionResetError("worker lost its database mid-expansion")

    # The calendar links and webhook are recorded, then the process dies before the mails.
    monkeypatch.setattr(notifications, "queue_booking_confirmation", dies)
    with pytest.raises(ConnectionResetError):
        notifications.render_requested(session=session)
    session.rollback()
    assert _outbox(session) == {notifications.NOTIFICATION_KIND: 1}
    assert session.exec(select(ProviderEventLink)).all() == []
    monkeypatch.undo()
    assert notifications.render_requested(session=session) == 1
    assert _outbox(session) == {"calendar": 2, "webhook": 1, "mail": 3}


def test_a_booking_cancelled_before_expansion_writes_no_calendar_event(session, world):
    token, slot_id = world
    assert booking.book(session=session, token=token, slot_id=slot_id, now=NOW).ok
    assert booking.cancel(session=session, token=token, comment="Sorry", now=NOW).ok
    assert notifications.render_requested(session=session) == 2
    pending = _outbox(session)
    assert "calendar" not in pending
    assert session.exec(select(ProviderEventLink)).all() == []
    # Confirmation and cancellation both reach the three people, in that order.
    assert pending["mail"] == 6
