"""Interviews with their slots, invitations, bookings and candidates' comments."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from planner.api.v1 import queries, schemas
from planner.api.v1.auth import ActorDep, NowDep, SessionDep
from planner.api.v1.problems import ApiProblem, problems
from planner.api.v1.schemas import PathId
from planner.domain.vocabulary import BookingStatus, InterviewStatus
from planner.services import booking, interview_overview, interviews, scheduling
from planner.services.errors import NotFound
from planner.services.shapes import (
    AwareDateTime,
    InterviewDetail,
    InterviewRow,
    InvitationDetail,
)

router = APIRouter()
OptionalId = Annotated[int | None, Query(ge=1, le=schemas.MAX_ID)]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description="The interview's `ETag` (from GET /interviews/{id}): the change is made "
        "only if nobody changed the interview since (else 412).",
    ),
]


def _expected(if_match: str | None) -> str | None:
    """The fingerprint an If-Match header names (None: unconditional, also for `*`)."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    return None if value in ("", "*") else value


def _etag(session, actor, interview_id: int) -> str:  # type: ignore[no-untyped-def]
    overview = interview_overview.interview_overview(
        session=session, actor=actor, interview_id=interview_id
    )
    return f'"{overview.fingerprint}"'


_CONFLICTS = {
    booking.Outcome.SLOT_TAKEN: (
        "slot-taken",
        "This time was just booked by someone else; choose another offered time.",
    ),
    booking.Outcome.SLOT_UNAVAILABLE: (
        "slot-unavailable",
        "This time is no longer available (withdrawn, past, or a participant is now busy).",
    ),
    booking.Outcome.ALREADY_BOOKED: (
        "already-booked",
        "This invitation already has a booking; cancel it first to choose another time.",
    ),
    booking.Outcome.LINK_INVALID: (
        "invitation-closed",
        "This invitation expired or was withdrawn; invite the candidate again.",
    ),
}


@router.get("/interviews", tags=["interviews"], responses=problems(422))
def list_interviews(
    actor: ActorDep,
    session: SessionDep,
    status: InterviewStatus | None = None,
    created_after: Annotated[AwareDateTime | None, Query()] = None,
    created_before: Annotated[AwareDateTime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[InterviewRow]:
    """The account's interviews, newest first, filtered by status and creation time
    (RFC 3339 with an offset)."""
    rows = [
        row
        for row in interviews.list_interviews(session=session, actor=actor)
        if (status is None or row.status == status.value)
        and (created_after is None or row.created_at >= created_after)
        and (created_before is None or row.created_at < created_before)
    ]
    return rows[offset : offset + limit]


@router.post("/interviews", status_code=201, tags=["interviews"], responses=problems(422))
def create_interview(
    actor: ActorDep, session: SessionDep, now: NowDep, body: schemas.InterviewCreate
) -> InterviewDetail:
    """Create an interview with participants, a duration, offered slots and a location
    or an online-meeting kind. The key's user is the organiser unless `organiser_id` says
    otherwise. Candidates are invited with `POST /interviews/{id}/invitations`."""
    return scheduling.create_interview(session=session, actor=actor, data=body, now=now)


@router.get("/interviews/{interview_id}", tags=["interviews"], responses=problems(404, 422))
def get_interview(
    actor: ActorDep, session: SessionDep, interview_id: PathId, response: Response
) -> InterviewDetail:
    """An interview with its participants, slots and invitations. The `ETag` header names
    this version: send it as `If-Match` with a change to make it only if nobody changed
    the interview meanwhile."""
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview_id
    )
    response.headers["ETag"] = _etag(session, actor, interview_id)
    return detail


@router.patch("/interviews/{interview_id}", tags=["interviews"], responses=problems(404, 412, 422))
def update_interview(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    interview_id: PathId,
    body: schemas.InterviewUpdate,
    if_match: IfMatch = None,
) -> schemas.InterviewUpdated:
    """Change the title, the place (a location of the account) or the online-meeting kind.
    Booked candidates and staff whose calendar is not synced get a "changed" mail with an
    updated calendar invitation; synced calendars are updated. Changing nothing changes
    nothing."""
    result = scheduling.update_interview(
        session=session,
        actor=actor,
        interview_id=interview_id,
        now=now,
        title=body.title,
        location_id=body.location_id,
        meeting_kind=body.meeting_kind.value if body.meeting_kind else None,
        clear_location="location_id" in body.model_fields_set and body.location_id is None,
        expected=_expected(if_match),
    )
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview_id
    )
    return schemas.InterviewUpdated(
        **detail.model_dump(),
        changed=list(result.changed),
        bookings_updated=result.bookings_updated,
    )


@router.post(
    "/interviews/{interview_id}/cancel", tags=["interviews"], responses=problems(404, 412, 422)
)
def cancel_interview(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    interview_id: PathId,
    if_match: IfMatch = None,
) -> schemas.InterviewCancelled:
    """Cancel the interview: bookings are cancelled (candidates and staff are told, events
    removed from calendars), candidates still choosing are told, open invitations
    withdrawn. Cancelling again changes nothing (the counts are 0)."""
    result = scheduling.cancel_interview(
        session=session, actor=actor, interview_id=interview_id, now=now,
        expected=_expected(if_match),
    )  # fmt: skip
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview_id
    )
    return schemas.InterviewCancelled(
        **detail.model_dump(),
        bookings_cancelled=result.bookings_cancelled,
        candidates_told=result.candidates_told,
    )


@router.post(
    "/interviews/{interview_id}/invitations/{invitation_id}/resend",
    tags=["invitations"],
    responses=problems(404, 412, 422),
)
def resend_invitation(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    interview_id: PathId,
    invitation_id: PathId,
    if_match: IfMatch = None,
) -> InvitationDetail:
    """Mail the candidate their invitation again with a fresh link; the old link stops
    working at once."""
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview_id
    )
    if invitation_id not in {row.id for row in detail.invitations}:
        raise NotFound("Invitation not found.")
    scheduling.resend_invitation(
        session=session, actor=actor, invitation_id=invitation_id, now=now,
        expected=_expected(if_match),
    )  # fmt: skip
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview_id
    )
    return next(row for row in detail.invitations if row.id == invitation_id)


@router.post(
    "/interviews/{interview_id}/invitations",
    status_code=201,
    tags=["invitations"],
    responses=problems(404, 422),
)
def send_invitations(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    interview_id: PathId,
    body: schemas.InvitationsCreate,
) -> list[InvitationDetail]:
    """Mail each candidate a link to choose one of the offered slots. Inviting a candidate
    again sends a new link; the old one stops working."""
    invited = scheduling.invite_candidates(
        session=session,
        actor=actor,
        interview_id=interview_id,
        candidate_ids=body.candidate_ids,
        now=now,
        valid_days=body.valid_days,
    )
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview_id
    )
    return [row for row in detail.invitations if row.candidate_id in invited]


@router.post(
    "/interviews/{interview_id}/slots",
    status_code=201,
    tags=["interviews"],
    responses=problems(404, 412, 422),
)
def add_slots(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    interview_id: PathId,
    body: schemas.SlotsCreate,
    if_match: IfMatch = None,
) -> InterviewDetail:
    """Offer more times for an interview. Candidates who said no time fits are mailed the
    new times with a fresh link."""
    scheduling.add_slots(
        session=session, actor=actor, interview_id=interview_id, starts=body.starts, now=now,
        expected=_expected(if_match),
    )  # fmt: skip
    return scheduling.get_interview_detail(session=session, actor=actor, interview_id=interview_id)


@router.delete(
    "/interviews/{interview_id}/slots/{slot_id}",
    status_code=204,
    tags=["interviews"],
    responses=problems(404, 412, 422),
    response_class=Response,
)
def remove_slot(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    interview_id: PathId,
    slot_id: PathId,
    if_match: IfMatch = None,
) -> None:
    """Withdraw an offered slot; a booking on it is cancelled and its candidate told."""
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview_id
    )
    if slot_id not in {slot.id for slot in detail.slots}:
        raise NotFound("Slot not found.")
    scheduling.remove_slot(
        session=session, actor=actor, slot_id=slot_id, now=now, expected=_expected(if_match)
    )


@router.get("/interviews/{interview_id}/bookings", tags=["bookings"], responses=problems(404, 422))
def list_bookings(
    actor: ActorDep,
    session: SessionDep,
    interview_id: PathId,
    status: BookingStatus | None = None,
) -> list[schemas.Booking]:
    """The interview's bookings (active and cancelled) by slot time."""
    return queries.list_bookings(
        session=session, actor=actor, interview_id=interview_id, status=status
    )


@router.get("/bookings/{booking_id}", tags=["bookings"], responses=problems(404, 422))
def get_booking(actor: ActorDep, session: SessionDep, booking_id: PathId) -> schemas.Booking:
    """One booking of the account."""
    return queries.get_booking(session=session, actor=actor, booking_id=booking_id)


@router.post("/bookings", status_code=201, tags=["bookings"], responses=problems(404, 409, 422))
def book(
    actor: ActorDep, session: SessionDep, now: NowDep, body: schemas.BookingCreate
) -> schemas.Booking:
    """Book an offered slot for a candidate with the token of their invitation link,
    through the same booking service as the candidate's booking page. A time another
    candidate took first is a 409 conflict."""
    if queries.link_account_id(session=session, token=body.token) != actor.account_id:
        raise NotFound("No invitation with this link in this account.")
    result = booking.book(session=session, token=body.token, slot_id=body.slot_id, now=now)
    if result.outcome is booking.Outcome.BOOKED and result.booking_id is not None:
        return queries.get_booking(session=session, actor=actor, booking_id=result.booking_id)
    kind, detail = _CONFLICTS.get(result.outcome, ("conflict", "The booking was not made."))
    raise ApiProblem(409, detail, kind=kind)


@router.get("/comments", tags=["comments"], responses=problems(422))
def list_comments(
    actor: ActorDep,
    session: SessionDep,
    interview_id: OptionalId = None,
    candidate_id: OptionalId = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[schemas.Comment]:
    """Candidates' comments (no time fits, or why they cancelled), newest first."""
    return queries.list_comments(
        session=session,
        actor=actor,
        interview_id=interview_id,
        candidate_id=candidate_id,
        limit=limit,
        offset=offset,
    )
