"""Interviews, their participants, offered slots, candidate invitations, bookings, comments."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from planner.domain.vocabulary import (
    LOCALES,
    BookingStatus,
    CommentKind,
    InterviewStatus,
    InvitationStatus,
    MeetingKind,
    SlotStatus,
    values,
)
from planner.models.base import UTCDateTime, one_of, utcnow


class Interview(SQLModel, table=True):
    """An interview to be held with one or more candidates at one of the offered slots."""

    __tablename__ = "interview"
    __table_args__ = (
        one_of("status", values(InterviewStatus), "status_known"),
        one_of("meeting_kind", values(MeetingKind), "meeting_kind_known"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("location_id IS NULL OR meeting_kind = 'none'", name="one_place"),
        CheckConstraint("ics_sequence >= 0", name="sequence_positive"),
        # The wizard's submit key: a double click, a second tab or a retried request that
        # carries the same key finds the interview the first one made instead of a second.
        UniqueConstraint("account_id", "submit_key", name="uq_interview_submit_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True, ondelete="SET NULL")
    title: str = Field(max_length=200)
    duration_minutes: int
    organiser_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="RESTRICT")
    location_id: int | None = Field(
        default=None, foreign_key="location.id", index=True, ondelete="SET NULL"
    )
    meeting_kind: str = Field(default=MeetingKind.NONE.value, max_length=10)
    # 1 for an ordinary interview, N for a group session.
    capacity: int = Field(default=1)
    status: str = Field(default=InterviewStatus.DRAFT.value, max_length=10)
    invitation_text: str = Field(default="", max_length=10000)
    # The candidates' mail subject; empty: the standard subject in each candidate's language.
    invitation_subject: str = Field(default="", max_length=200)
    submit_key: str | None = Field(default=None, max_length=64)
    ics_uid: str = Field(max_length=255, unique=True)
    ics_sequence: int = Field(default=0)
    created_by_id: int | None = Field(
        default=None, foreign_key="staff_user.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InterviewParticipant(SQLModel, table=True):
    """A staff user taking part in an interview."""

    __tablename__ = "interview_participant"
    __table_args__ = (
        UniqueConstraint("interview_id", "staff_user_id", name="uq_interview_participant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    interview_id: int = Field(foreign_key="interview.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")


class OfferedSlot(SQLModel, table=True):
    """A time the recruiter offers for an interview; times are UTC."""

    __tablename__ = "offered_slot"
    __table_args__ = (
        one_of("status", values(SlotStatus), "status_known"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        UniqueConstraint("interview_id", "start_at", name="uq_offered_slot_interview_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    interview_id: int = Field(foreign_key="interview.id", index=True, ondelete="CASCADE")
    start_at: datetime = Field(sa_type=UTCDateTime, index=True)
    end_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=SlotStatus.OFFERED.value, max_length=10)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SlotSeat(SQLModel, table=True):
    """One bookable seat of an offered slot: a slot has exactly `capacity` seats, so the
    database itself bounds the number of active bookings per slot."""

    __tablename__ = "slot_seat"
    __table_args__ = (
        CheckConstraint("seat_number >= 1", name="seat_positive"),
        UniqueConstraint("slot_id", "seat_number", name="uq_slot_seat_slot_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    slot_id: int = Field(foreign_key="offered_slot.id", index=True, ondelete="CASCADE")
    seat_number: int


class CandidateInvitation(SQLModel, table=True):
    """A candidate's invitation to pick a slot; the link token is stored hashed."""

    __tablename__ = "candidate_invitation"
    __table_args__ = (
        one_of("status", values(InvitationStatus), "status_known"),
        one_of("locale", LOCALES, "locale_known"),
        UniqueConstraint("interview_id", "candidate_id", name="uq_invitation_interview_candidate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    interview_id: int = Field(foreign_key="interview.id", index=True, ondelete="CASCADE")
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    status: str = Field(default=InvitationStatus.INVITED.value, max_length=10)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The language and time zone the candidate chose on this link's page (None: the
    # candidate's own); the page and the mails about this invitation follow them.
    locale: str | None = Field(default=None, max_length=5)
    time_zone: str | None = Field(default=None, max_length=64)


class Booking(SQLModel, table=True):
    """A candidate's booking of one seat of an offered slot."""

    __tablename__ = "booking"
    __table_args__ = (
        one_of("status", values(BookingStatus), "status_known"),
        CheckConstraint(
            "(status = 'active' AND cancelled_at IS NULL) OR "
            "(status = 'cancelled' AND cancelled_at IS NOT NULL)",
            name="cancelled_at_matches_status",
        ),
        # At most one active booking per seat, and per invitation.
        Index(
            "uq_booking_active_seat",
            "seat_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "uq_booking_active_invitation",
            "invitation_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    invitation_id: int = Field(
        foreign_key="candidate_invitation.id", index=True, ondelete="CASCADE"
    )
    slot_id: int = Field(foreign_key="offered_slot.id", index=True, ondelete="CASCADE")
    seat_id: int = Field(foreign_key="slot_seat.id", index=True, ondelete="CASCADE")
    status: str = Field(default=BookingStatus.ACTIVE.value, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CandidateComment(SQLModel, table=True):
    """What a candidate wrote when no slot fit, or when cancelling a booking."""

    __tablename__ = "candidate_comment"
    __table_args__ = (
        one_of("kind", values(CommentKind), "kind_known"),
        CheckConstraint("length(body) > 0", name="body_not_empty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    invitation_id: int = Field(
        foreign_key="candidate_invitation.id", index=True, ondelete="CASCADE"
    )
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    interview_id: int = Field(foreign_key="interview.id", index=True, ondelete="CASCADE")
    booking_id: int | None = Field(
        default=None, foreign_key="booking.id", index=True, ondelete="SET NULL"
    )
    kind: str = Field(max_length=20)
    body: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
