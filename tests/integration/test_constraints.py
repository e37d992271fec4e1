"""The database itself refuses rows that break the model's rules."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from planner.models import Booking, CandidateInvitation, Interview, StaffUser
from tests.factories import (
    NOW,
    account_with_admin,
    add_candidate,
    add_interview,
    add_invitation,
    add_slot_with_seats,
)


@pytest.fixture
def world(session):
    account, admin = account_with_admin(session, "Acme", email="admin@acme.example")
    interview = add_interview(session, account, admin)
    slot, seats = add_slot_with_seats(session, interview)
    return account, admin, interview, slot, seats


def _book(session, invitation, slot, seat, status="active"):
    booking = Booking(
        account_id=invitation.account_id,
        invitation_id=invitation.id,
        slot_id=slot.id,
        seat_id=seat.id,
        status=status,
        cancelled_at=NOW if status == "cancelled" else None,
    )
    session.add(booking)
    session.commit()
    return booking


def test_a_seat_holds_one_active_booking(session, world):
    account, _admin, interview, slot, seats = world
    first = add_invitation(session, interview, add_candidate(session, account, "Freja Nielsen"))
    second = add_invitation(session, interview, add_candidate(session, account, "Elin Johansson"))
    _book(session, first, slot, seats[0])
    with pytest.raises(IntegrityError):
        _book(session, second, slot, seats[0])
    session.rollback()


def test_a_cancelled_booking_frees_the_seat(session, world):
    account, _admin, interview, slot, seats = world
    first = add_invitation(session, interview, add_candidate(session, account, "Freja Nielsen"))
    second = add_invitation(session, interview, add_candidate(session, account, "Elin Johansson"))
    _book(session, first, slot, seats[0], status="cancelled")
    _book(session, second, slot, seats[0])


def test_an_invitation_holds_one_active_booking(session, world):
    account, admin, interview, slot, seats = world
    invitation = add_invitation(session, interview, add_candidate(session, account))
    other_slot, other_seats = add_slot_with_seats(
        session, interview, start=NOW + timedelta(hours=2)
    )
    _book(session, invitation, slot, seats[0])
    with pytest.raises(IntegrityError):
        _book(session, invitation, other_slot, other_seats[0])
    session.rollback()


def test_group_session_capacity_is_its_number_of_seats(session, world):
    account, admin, _interview, _slot, _seats = world
    group = add_interview(session, account, admin, capacity=3)
    slot, seats = add_slot_with_seats(session, group)
    assert [seat.seat_number for seat in seats] == [1, 2, 3]
    for seat, name in zip(seats, ("A One", "B Two", "C Three"), strict=True):
        _book(
            session,
            add_invitation(session, group, add_candidate(session, account, name)),
            slot,
            seat,
        )
    fourth = add_invitation(session, group, add_candidate(session, account, "D Four"))
    with pytest.raises(IntegrityError):
        _book(session, fourth, slot, seats[0])
    session.rollback()


def test_invitation_tokens_are_unique(session, world):
    account, _admin, interview, _slot, _seats = world
    first = add_invitation(session, interview, add_candidate(session, account, "Freja Nielsen"))
    clash = CandidateInvitation(
        account_id=account.id,
        interview_id=interview.id,
        candidate_id=add_candidate(session, account, "Nora Hansen").id,
        token_hash=first.token_hash,
        expires_at=NOW,
    )
    session.add(clash)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


@pytest.mark.parametrize(
    "field, value",
    [("role", "superuser"), ("locale", "de"), ("name", "")],
)
def test_staff_vocabulary_is_checked_by_the_database(session, world, field, value):
    account = world[0]
    user = StaffUser(account_id=account.id, name="X", role="recruiter", email=None)
    setattr(user, field, value)
    session.add(user)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_password_needs_an_email(session, world):
    session.add(
        StaffUser(account_id=world[0].id, name="No Mail", role="recruiter", password_hash="x")
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_interview_duration_and_place_are_checked(session, world):
    account, admin, *_ = world
    for bad in (
        {"duration_minutes": 0},
        {"duration_minutes": 1441},
        {"capacity": 0},
        {"meeting_kind": "skype"},
    ):
        interview = Interview(
            account_id=account.id,
            title="T",
            duration_minutes=30,
            organiser_id=admin.id,
            ics_uid=f"uid-{bad}",
            **{k: v for k, v in bad.items() if k != "duration_minutes"},
        )
        if "duration_minutes" in bad:
            interview.duration_minutes = bad["duration_minutes"]
        session.add(interview)
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()


def test_naive_datetimes_are_refused(session, world):
    account, admin, interview, *_ = world
    invitation = add_invitation(session, interview, add_candidate(session, account))
    invitation.expires_at = NOW.replace(tzinfo=None)
    with pytest.raises(StatementError):
        session.commit()
    session.rollback()


def test_timestamps_come_back_as_aware_utc(session, world):
    _account, _admin, _interview, slot, _seats = world
    session.expire_all()
    again = session.get(type(slot), slot.id)
    assert again.start_at == NOW
    assert again.start_at.utcoffset() == timedelta(0)
