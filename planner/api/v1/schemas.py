"""Request and response bodies of the API: the services' shapes, with ids bounded to what
the database can hold, plus the few shapes only the API has."""

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from planner.domain.vocabulary import BookingStatus, CommentKind, MeetingKind
from planner.services.shapes import (
    AwareDateTime,
    CandidateInput,
    CandidatePatch,
    InterviewDetail,
    InterviewInput,
    InvitationDetail,
    SlotDetail,
)

MAX_ID = 2_147_483_647
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CandidateCreate(CandidateInput):
    """A new candidate."""

    job_id: DbId | None = None


class CandidateUpdate(CandidatePatch):
    """Fields of a candidate to change; fields left out stay as they are."""

    job_id: DbId | None = None


class InterviewCreate(InterviewInput):
    """A new interview: participants, duration, offered slots (RFC 3339 times with an
    offset) and either a location or an online-meeting kind."""

    participant_ids: Annotated[list[DbId], Field(min_length=1, max_length=50)]
    organiser_id: DbId | None = None
    job_id: DbId | None = None
    location_id: DbId | None = None


class InvitationsCreate(_Body):
    """Candidates to invite by mail to pick a slot (inviting again sends a new link)."""

    candidate_ids: Annotated[list[DbId], Field(min_length=1, max_length=200)]
    valid_days: Annotated[int, Field(ge=1, le=90)] = 14


class SlotsCreate(_Body):
    """More start times to offer (RFC 3339 with an offset)."""

    starts: Annotated[list[AwareDateTime], Field(min_length=1, max_length=200)]


class InterviewUpdate(_Body):
    """Fields of an interview to change; fields left out stay as they are. `location_id`
    null removes the place; a location makes the meeting kind "none", an online kind
    removes the location. A new meeting kind for booked candidates replaces their calendar
    events with ones carrying the new meeting, and their updated invitations carry its link
    (or say it follows, when the provider is slow to make it)."""

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    location_id: DbId | None = None
    meeting_kind: MeetingKind | None = None


class InterviewUpdated(InterviewDetail):
    """The interview after a change: what changed, and how many booked interviews were
    updated in calendars and told by mail."""

    changed: list[str]
    bookings_updated: int


class InterviewCancelled(InterviewDetail):
    """The interview after cancelling: bookings cancelled, and candidates told (booked ones
    and those still choosing). Both 0 when it was cancelled before."""

    bookings_cancelled: int
    candidates_told: int


# InterviewDetail names its parts as forward references: resolve them for the subclasses.
_PARTS = {"SlotDetail": SlotDetail, "InvitationDetail": InvitationDetail}
InterviewUpdated.model_rebuild(_types_namespace=_PARTS)
InterviewCancelled.model_rebuild(_types_namespace=_PARTS)


class BookingCreate(_Body):
    """A candidate's choice, made with the token of their invitation link (for an ATS that
    shows the offered times in its own candidate portal)."""

    token: Annotated[str, Field(min_length=1, max_length=200)]
    slot_id: DbId


class Job(BaseModel):
    id: int
    title: str


class Booking(BaseModel):
    """A candidate's booking of an offered slot."""

    id: int
    interview_id: int
    invitation_id: int
    candidate_id: int
    slot_id: int
    status: BookingStatus
    start_at: datetime
    end_at: datetime
    created_at: datetime
    cancelled_at: datetime | None


class Comment(BaseModel):
    """What a candidate wrote: no offered time fits, or why they cancelled."""

    id: int
    interview_id: int
    candidate_id: int
    invitation_id: int
    booking_id: int | None
    kind: CommentKind
    body: str
    created_at: datetime
