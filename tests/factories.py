"""Small builders of tenant data for tests."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from planner.domain.tokens import hash_token, new_token
from planner.domain.vocabulary import Role
from planner.models import (
    Account,
    Candidate,
    CandidateInvitation,
    Interview,
    Location,
    OfferedSlot,
    SlotSeat,
    StaffUser,
)
from planner.services.actor import Actor
from planner.services.auth import hash_password

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def account_with_admin(
    session: Session, name: str, *, email: str, password: str = "correct horse battery"
) -> tuple[Account, StaffUser]:
    account = Account(name=name)
    session.add(account)
    session.flush()
    admin = StaffUser(
        account_id=account.id,
        name=f"{name} Admin",
        email=email,
        role=Role.ADMIN.value,
        password_hash=hash_password(password),
    )
    session.add(admin)
    session.commit()
    return account, admin


def actor_for(user: StaffUser, account: Account) -> Actor:
    return Actor(
        user_id=user.id,
        account_id=account.id,
        account_name=account.name,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        time_zone=user.time_zone,
        locale=user.locale,
    )


def add_candidate(session: Session, account: Account, name: str = "Freja Nielsen") -> Candidate:
    candidate = Candidate(
        account_id=account.id, name=name, email=f"{name.split()[0].lower()}@mail.example"
    )
    session.add(candidate)
    session.commit()
    return candidate


def add_location(session: Session, account: Account, name: str = "HQ") -> Location:
    location = Location(account_id=account.id, name=name, address="Street 1")
    session.add(location)
    session.commit()
    return location


def add_interview(
    session: Session, account: Account, organiser: StaffUser, *, capacity: int = 1
) -> Interview:
    interview = Interview(
        account_id=account.id,
        title="First interview",
        duration_minutes=45,
        organiser_id=organiser.id,
        capacity=capacity,
        status="open",
        ics_uid=f"{new_token()}@planner",
    )
    session.add(interview)
    session.commit()
    return interview


def add_slot_with_seats(session: Session, interview: Interview, *, start: datetime = NOW):
    slot = OfferedSlot(
        account_id=interview.account_id,
        interview_id=interview.id,
        start_at=start,
        end_at=start + timedelta(minutes=interview.duration_minutes),
    )
    session.add(slot)
    session.flush()
    seats = [
        SlotSeat(account_id=interview.account_id, slot_id=slot.id, seat_number=n)
        for n in range(1, interview.capacity + 1)
    ]
    session.add_all(seats)
    session.commit()
    return slot, seats


def add_invitation(session: Session, interview: Interview, candidate: Candidate):
    invitation = CandidateInvitation(
        account_id=interview.account_id,
        interview_id=interview.id,
        candidate_id=candidate.id,
        token_hash=hash_token(new_token()),
        expires_at=NOW + timedelta(days=14),
    )
    session.add(invitation)
    session.commit()
    return invitation
