"""Jobs, candidates and locations: what the rest of the ATS hands to Planner."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from planner.domain.vocabulary import LOCALES
from planner.models.base import UTCDateTime, one_of, utcnow


class Job(SQLModel, table=True):
    """An open position candidates are interviewed for."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        UniqueConstraint("account_id", "external_ref", name="uq_job_account_external_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    external_ref: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Candidate(SQLModel, table=True):
    """A person applying for a job; never signs in, reached only through mailed links."""

    __tablename__ = "candidate"
    __table_args__ = (
        one_of("locale", LOCALES, "locale_known"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        UniqueConstraint("account_id", "external_ref", name="uq_candidate_account_external_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True, ondelete="SET NULL")
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    locale: str = Field(default="en", max_length=5)
    time_zone: str = Field(default="Europe/Copenhagen", max_length=64)
    external_ref: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # GDPR art. 17: set when the candidate's personal data was erased (the row stays, emptied,
    # so that interviews keep their history without naming anyone).
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Location(SQLModel, table=True):
    """A physical place where interviews are held."""

    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        UniqueConstraint("account_id", "name", name="uq_location_account_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Archived locations are no longer offered; interviews that use them keep the address.
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PreviousAppointment(SQLModel, table=True):
    """An appointment of the previous, manual calendar (spec 7): imported from an .ics file
    (one row per occurrence of a recurring event) or typed in by hand while the account
    uses the previous calendar. Times are UTC."""

    __tablename__ = "previous_appointment"
    __table_args__ = (
        CheckConstraint("end_at >= start_at", name="ends_after_start"),
        CheckConstraint("source IN ('import', 'manual')", name="source_known"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        # One row per event occurrence: `occurrence` is "" for a single event, otherwise the
        # occurrence's original start (its RECURRENCE-ID) in UTC, ISO 8601.
        UniqueConstraint(
            "account_id", "uid", "occurrence", name="uq_previous_appointment_account_uid"
        ),
        Index("ix_previous_appointment_account_start", "account_id", "start_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    uid: str = Field(max_length=255)
    occurrence: str = Field(default="", max_length=40)
    title: str = Field(max_length=300)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    all_day: bool = Field(default=False)
    location: str = Field(default="", max_length=500)
    source: str = Field(default="import", max_length=10)
    # SHA-256 of what was imported, so that importing the same file again changes nothing
    # and a changed event updates its copy.
    fingerprint: str = Field(default="", max_length=64)
    import_id: int | None = Field(
        default=None, foreign_key="calendar_import.id", index=True, ondelete="SET NULL"
    )
    created_by_id: int | None = Field(
        default=None, foreign_key="staff_user.id", ondelete="SET NULL"
    )
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PreviousAppointmentPerson(SQLModel, table=True):
    """Someone an appointment names (attendee or organiser), matched by e-mail to a staff
    user or a candidate of the account; unmatched people keep only their name and address."""

    __tablename__ = "previous_appointment_person"
    __table_args__ = (
        UniqueConstraint("appointment_id", "email", name="uq_previous_person_appointment_email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    appointment_id: int = Field(
        foreign_key="previous_appointment.id", index=True, ondelete="CASCADE"
    )
    staff_user_id: int | None = Field(
        default=None, foreign_key="staff_user.id", index=True, ondelete="CASCADE"
    )
    candidate_id: int | None = Field(
        default=None, foreign_key="candidate.id", index=True, ondelete="CASCADE"
    )
    email: str = Field(default="", max_length=320)
    name: str = Field(default="", max_length=200)


class CalendarImport(SQLModel, table=True):
    """One upload of an .ics export of the previous calendar: previewed, then imported by
    the worker with progress. The file is kept only until the import has run."""

    __tablename__ = "calendar_import"
    __table_args__ = (
        CheckConstraint(
            "status IN ('previewed', 'queued', 'running', 'done', 'failed')",
            name="status_known",
        ),
        CheckConstraint("processed >= 0 AND total >= 0", name="counts_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_by_id: int | None = Field(
        default=None, foreign_key="staff_user.id", ondelete="SET NULL"
    )
    filename: str = Field(default="", max_length=255)
    # The importing user's zone: floating times and all-day events are read in it.
    time_zone: str = Field(default="UTC", max_length=64)
    content: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="previewed", max_length=10)
    total: int = Field(default=0)
    processed: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    unchanged: int = Field(default=0)
    error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PrivacyAction(SQLModel, table=True):
    """The audit record of a GDPR request carried out by an admin: an export (art. 15) or an
    erasure (art. 17) of a candidate's personal data. Holds ids and counts, never the data."""

    __tablename__ = "privacy_action"
    __table_args__ = (
        CheckConstraint("action IN ('export', 'erase')", name="action_known"),
        UniqueConstraint("account_id", "request_key", name="uq_privacy_action_request_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    candidate_id: int | None = Field(
        default=None, foreign_key="candidate.id", index=True, ondelete="SET NULL"
    )
    action: str = Field(max_length=10)
    actor_id: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    # The form's submit key: a double click or retry is the same action.
    request_key: str = Field(max_length=64)
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Notices to the erased candidate still to be delivered; their outbox rows are emptied
    # once delivered (or given up), and then the erasure is complete.
    pending_outbox_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
