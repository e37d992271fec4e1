"""Reading interviews of the acting user's account."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from planner.domain.vocabulary import BookingStatus, InterviewStatus, SlotStatus
from planner.models import (
    Booking,
    Candidate,
    CandidateInvitation,
    Interview,
    InterviewParticipant,
    Location,
    OfferedSlot,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services.actor import Actor, owned
from planner.services.errors import InvalidInput
from planner.services.shapes import InterviewRow


def _row(interview: Interview, organiser_name: str) -> InterviewRow:
    assert interview.id is not None
    return InterviewRow(
        id=interview.id,
        title=interview.title,
        status=interview.status,
        duration_minutes=interview.duration_minutes,
        organiser_name=organiser_name,
        created_at=interview.created_at,
    )


def list_interviews(*, session: Session, actor: Actor) -> list[InterviewRow]:
    """The account's interviews, newest first."""
    rows = session.exec(
        select(Interview, StaffUser.name)
        .join(StaffUser, StaffUser.id == Interview.organiser_id)  # type: ignore[arg-type]
        .where(Interview.account_id == actor.account_id)
        .order_by(Interview.created_at.desc(), Interview.id.desc())  # type: ignore[attr-defined]
    ).all()
    return [_row(interview, name) for interview, name in rows]


def get_interview(*, session: Session, actor: Actor, interview_id: int) -> InterviewRow:
    """One interview of the account (NotFound for another account's id)."""
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    organiser = session.get(StaffUser, interview.organiser_id)
    return _row(interview, organiser.name if organiser else "")


def rename_interview(
    *, session: Session, actor: Actor, interview_id: int, title: str
) -> InterviewRow:
    """Change an interview's title: scheduling.update_interview with only a title (booked
    candidates and staff who are not synced are told, booked events updated). Raises
    InvalidInput for a title that is not one line of 1 to 200 characters, NotFound."""
    from planner.services import scheduling

    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=utcnow(), title=title
    )
    return get_interview(session=session, actor=actor, interview_id=interview_id)


@dataclass(frozen=True)
class CalendarEntry:
    """One thing on the interview calendar: a booked interview, or an offered slot still
    awaiting a candidate's choice."""

    kind: str  # "booked" | "offered"
    interview_id: int
    slot_id: int
    title: str
    start: datetime
    end: datetime
    candidates: tuple[str, ...]
    participants: tuple[str, ...]
    place: str
    meeting_kind: str
    seats_left: int


def calendar_entries(
    *,
    session: Session,
    actor: Actor,
    start: datetime,
    end: datetime,
    mine: bool = False,
    job_id: int | None = None,
) -> list[CalendarEntry]:
    """Booked interviews and still-open offered slots of the account in [start, end) (UTC
    datetimes; at most 62 days), ordered by start. `mine`: only interviews the actor
    organises or takes part in; `job_id`: only that job's interviews (a job of another
    account matches nothing). Raises InvalidInput for an empty or longer range."""
    if end <= start or end - start > timedelta(days=62):
        raise InvalidInput("end", "the range must be positive and at most 62 days")
    query = (
        select(OfferedSlot, Interview)
        .join(Interview, col(Interview.id) == OfferedSlot.interview_id)
        .where(
            OfferedSlot.account_id == actor.account_id,
            OfferedSlot.status == SlotStatus.OFFERED.value,
            Interview.status != InterviewStatus.CANCELLED.value,
            OfferedSlot.start_at < end,
            OfferedSlot.end_at > start,
        )
    )
    if mine:
        taking_part = select(InterviewParticipant.interview_id).where(
            InterviewParticipant.account_id == actor.account_id,
            InterviewParticipant.staff_user_id == actor.user_id,
        )
        query = query.where(
            or_(col(Interview.organiser_id) == actor.user_id, col(Interview.id).in_(taking_part))
        )
    if job_id is not None:
        query = query.where(Interview.job_id == job_id)
    slots = session.exec(query.order_by(col(OfferedSlot.start_at), col(OfferedSlot.id))).all()
    if not slots:
        return []
    slot_ids = [slot.id for slot, _ in slots]
    interview_ids = {interview.id for _, interview in slots}
    booked: dict[int, list[str]] = defaultdict(list)
    for slot_id, name in session.exec(
        select(Booking.slot_id, Candidate.name)
        .join(CandidateInvitation, col(CandidateInvitation.id) == Booking.invitation_id)
        .join(Candidate, col(Candidate.id) == CandidateInvitation.candidate_id)
        .where(col(Booking.slot_id).in_(slot_ids), Booking.status == BookingStatus.ACTIVE.value)
        .order_by(Candidate.name)
    ).all():
        booked[slot_id].append(name)
    people: dict[int, list[str]] = defaultdict(list)
    for interview_id, name in session.exec(
        select(InterviewParticipant.interview_id, StaffUser.name)
        .join(StaffUser, col(StaffUser.id) == InterviewParticipant.staff_user_id)
        .where(col(InterviewParticipant.interview_id).in_(interview_ids))
        .order_by(StaffUser.name)
    ).all():
        people[interview_id].append(name)
    awaiting = set(
        session.exec(
            select(CandidateInvitation.interview_id).where(
                col(CandidateInvitation.interview_id).in_(interview_ids),
                col(CandidateInvitation.status).in_(("invited", "no_fit", "cancelled")),
            )
        ).all()
    )
    places = {
        location.id: ", ".join(p for p in (location.name, location.address) if p)
        for location in session.exec(
            select(Location).where(Location.account_id == actor.account_id)
        ).all()
    }
    entries: list[CalendarEntry] = []
    for slot, interview in slots:
        assert slot.id is not None and interview.id is not None
        names = booked.get(slot.id, [])
        seats_left = interview.capacity - len(names)
        common: dict[str, Any] = dict(
            interview_id=interview.id,
            slot_id=slot.id,
            title=interview.title,
            start=slot.start_at,
            end=slot.end_at,
            participants=tuple(people.get(interview.id, [])),
            place=places.get(interview.location_id or -1, ""),
            meeting_kind=interview.meeting_kind,
            seats_left=seats_left,
        )
        if names:
            entries.append(CalendarEntry(kind="booked", candidates=tuple(names), **common))
        elif interview.id in awaiting and seats_left > 0:
            entries.append(CalendarEntry(kind="offered", candidates=(), **common))
    return entries
