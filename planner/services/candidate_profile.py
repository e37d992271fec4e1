"""A candidate's page in the ATS: contact data, every interview with its status, times and
the candidate's comments, and previous-calendar appointments naming them."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from planner.domain.vocabulary import BookingStatus, InterviewStatus, SlotStatus
from planner.models import (
    Booking,
    Candidate,
    CandidateComment,
    CandidateInvitation,
    Interview,
    Job,
    OfferedSlot,
)
from planner.models.base import utcnow
from planner.services import previous_calendar
from planner.services.actor import Actor, owned
from planner.services.previous_calendar import AppointmentRow


@dataclass(frozen=True)
class ProfileComment:
    """What the candidate wrote (kind: no_fit | cancellation), when (UTC)."""

    kind: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class ProfileBooking:
    """A time the candidate booked (UTC); `status` active or cancelled."""

    start: datetime
    end: datetime
    status: str


@dataclass(frozen=True)
class ProfileInterview:
    """One interview the candidate was invited to."""

    interview_id: int
    title: str
    interview_status: str
    invitation_status: str
    invited_at: datetime
    bookings: tuple[ProfileBooking, ...]
    comments: tuple[ProfileComment, ...]
    # The times still offered (UTC start, end), while the candidate has not booked one.
    offered: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class CandidateProfile:
    id: int
    name: str
    email: str
    phone: str
    locale: str
    time_zone: str
    job_title: str
    erased: bool
    interviews: tuple[ProfileInterview, ...]
    appointments: tuple[AppointmentRow, ...]


def candidate_profile(
    *, session: Session, actor: Actor, candidate_id: int, now: datetime | None = None
) -> CandidateProfile:
    """A candidate of the account with their interviews (newest invitation first; each with
    its bookings, the candidate's comments and, while they still choose, the times they can
    still book: offered, after `now` (UTC, default the current time) and with a free seat,
    as their booking page lists them) and previous-calendar appointments. Raises NotFound
    for another account's candidate."""
    now = now or utcnow()
    candidate = owned(actor, session.get(Candidate, candidate_id), "Candidate")
    assert candidate.id is not None
    job = session.get(Job, candidate.job_id) if candidate.job_id else None
    comments: dict[int, list[ProfileComment]] = {}
    for comment in session.exec(
        select(CandidateComment)
        .where(CandidateComment.candidate_id == candidate_id)
        .order_by(col(CandidateComment.created_at))
    ).all():
        comments.setdefault(comment.invitation_id, []).append(
            ProfileComment(kind=comment.kind, body=comment.body, created_at=comment.created_at)
        )
    bookings: dict[int, list[ProfileBooking]] = {}
    for booking, slot in session.exec(
        select(Booking, OfferedSlot)
        .join(OfferedSlot, col(OfferedSlot.id) == Booking.slot_id)
        .join(CandidateInvitation, col(CandidateInvitation.id) == Booking.invitation_id)
        .where(CandidateInvitation.candidate_id == candidate_id)
        .order_by(col(Booking.created_at))
    ).all():
        bookings.setdefault(booking.invitation_id, []).append(
            ProfileBooking(start=slot.start_at, end=slot.end_at, status=booking.status)
        )
    offered: dict[int, list[tuple[datetime, datetime]]] = {}
    seats_taken = (
        select(func.count())
        .select_from(Booking)
        .where(Booking.slot_id == OfferedSlot.id, Booking.status == BookingStatus.ACTIVE.value)
        .correlate(OfferedSlot)
        .scalar_subquery()
    )
    for interview_id, start, end in session.exec(
        select(OfferedSlot.interview_id, OfferedSlot.start_at, OfferedSlot.end_at)
        .join(
            CandidateInvitation,
            col(CandidateInvitation.interview_id) == OfferedSlot.interview_id,
        )
        .join(Interview, col(Interview.id) == OfferedSlot.interview_id)
        .where(
            CandidateInvitation.candidate_id == candidate_id,
            col(CandidateInvitation.status).in_(("invited", "no_fit")),
            OfferedSlot.status == SlotStatus.OFFERED.value,
            OfferedSlot.start_at > now,
            seats_taken < Interview.capacity,  # a time another candidate filled is gone
        )
        .order_by(col(OfferedSlot.start_at))
    ).all():
        offered.setdefault(interview_id, []).append((start, end))
    interviews = tuple(
        ProfileInterview(
            interview_id=interview.id or 0,
            title=interview.title,
            interview_status=interview.status,
            invitation_status=invitation.status,
            invited_at=invitation.sent_at or invitation.created_at,
            bookings=tuple(bookings.get(invitation.id or 0, [])),
            comments=tuple(comments.get(invitation.id or 0, [])),
            offered=tuple(offered.get(interview.id or 0, []))
            if invitation.status in ("invited", "no_fit")
            and interview.status != InterviewStatus.CANCELLED.value
            else (),
        )
        for invitation, interview in session.exec(
            select(CandidateInvitation, Interview)
            .join(Interview, col(Interview.id) == CandidateInvitation.interview_id)
            .where(CandidateInvitation.candidate_id == candidate_id)
            .order_by(col(CandidateInvitation.created_at).desc(), col(CandidateInvitation.id))
        ).all()
    )
    return CandidateProfile(
        id=candidate.id,
        name=candidate.name,
        email="" if candidate.erased_at else candidate.email,
        phone=candidate.phone or "",
        locale=candidate.locale,
        time_zone=candidate.time_zone,
        job_title=job.title if job else "",
        erased=candidate.erased_at is not None,
        interviews=interviews,
        appointments=tuple(
            previous_calendar.for_candidate(session=session, actor=actor, candidate_id=candidate_id)
        ),
    )
