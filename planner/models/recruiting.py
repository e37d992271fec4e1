"""Jobs, candidates and locations: what the rest of the ATS hands to Planner."""

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

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
    """An appointment imported from the previous, manual calendar (spec 7)."""

    __tablename__ = "previous_appointment"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        UniqueConstraint("account_id", "uid", name="uq_previous_appointment_account_uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    uid: str = Field(max_length=255)
    title: str = Field(max_length=300)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    location: str = Field(default="", max_length=500)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
