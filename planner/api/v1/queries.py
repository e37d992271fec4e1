"""Read-only queries the API needs that no service offers yet (bookings, comments, the
account of a candidate link); every one is filtered by the actor's account."""

from sqlmodel import Session, col, select

from planner.api.v1 import schemas
from planner.domain.tokens import hash_token
from planner.domain.vocabulary import BookingStatus
from planner.models import Booking, CandidateComment, CandidateInvitation, Interview, OfferedSlot
from planner.services.actor import Actor, owned
from planner.services.errors import NotFound

_BOOKINGS = (
    select(Booking, OfferedSlot, CandidateInvitation)
    .join(OfferedSlot, col(OfferedSlot.id) == Booking.slot_id)
    .join(CandidateInvitation, col(CandidateInvitation.id) == Booking.invitation_id)
)


def _booking(row: Booking, slot: OfferedSlot, invitation: CandidateInvitation) -> schemas.Booking:
    return schemas.Booking(
        id=row.id or 0,
        interview_id=invitation.interview_id,
        invitation_id=invitation.id or 0,
        candidate_id=invitation.candidate_id,
        slot_id=slot.id or 0,
        status=BookingStatus(row.status),
        start_at=slot.start_at,
        end_at=slot.end_at,
        created_at=row.created_at,
        cancelled_at=row.cancelled_at,
    )


def list_bookings(
    *,
    session: Session,
    actor: Actor,
    interview_id: int,
    status: BookingStatus | None = None,
) -> list[schemas.Booking]:
    """The bookings of one interview of the account, by slot time."""
    owned(actor, session.get(Interview, interview_id), "Interview")
    query = _BOOKINGS.where(
        Booking.account_id == actor.account_id, OfferedSlot.interview_id == interview_id
    )
    if status is not None:
        query = query.where(Booking.status == status.value)
    rows = session.exec(query.order_by(col(OfferedSlot.start_at), col(Booking.id))).all()
    return [_booking(*row) for row in rows]


def get_booking(*, session: Session, actor: Actor, booking_id: int) -> schemas.Booking:
    """One booking of the account."""
    row = session.exec(
        _BOOKINGS.where(Booking.id == booking_id, Booking.account_id == actor.account_id)
    ).first()
    if row is None:
        raise NotFound("Booking not found.")
    return _booking(*row)


def list_comments(
    *,
    session: Session,
    actor: Actor,
    interview_id: int | None = None,
    candidate_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[schemas.Comment]:
    """Candidates' comments in the account, newest first, optionally for one interview
    or one candidate."""
    query = select(CandidateComment).where(CandidateComment.account_id == actor.account_id)
    if interview_id is not None:
        query = query.where(CandidateComment.interview_id == interview_id)
    if candidate_id is not None:
        query = query.where(CandidateComment.candidate_id == candidate_id)
    rows = session.exec(
        query.order_by(col(CandidateComment.created_at).desc(), col(CandidateComment.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        schemas.Comment(
            id=row.id or 0,
            interview_id=row.interview_id,
            candidate_id=row.candidate_id,
            invitation_id=row.invitation_id,
            booking_id=row.booking_id,
            kind=row.kind,
            body=row.body,
            created_at=row.created_at,
        )
        for row in rows
    ]


def link_account_id(*, session: Session, token: str) -> int | None:
    """The account of the invitation behind a candidate's link token, or None."""
    if not token or len(token) > 200:
        return None
    return session.exec(
        select(CandidateInvitation.account_id).where(
            CandidateInvitation.token_hash == hash_token(token)
        )
    ).first()
