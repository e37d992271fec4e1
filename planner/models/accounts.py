"""Accounts (tenants), staff users, their sessions, sign-in attempts and working hours."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from planner.domain.vocabulary import LOCALES, Role, values
from planner.models.base import UTCDateTime, one_of, utcnow


class Account(SQLModel, table=True):
    """A customer of Planner; every tenant row points at one."""

    __tablename__ = "account"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Spec 7: during the trial an account may fall back to the previous, manual calendar.
    use_previous_calendar: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StaffUser(SQLModel, table=True):
    """A recruiter, hiring manager or admin of one account. E-mail is optional."""

    __tablename__ = "staff_user"
    __table_args__ = (
        one_of("role", values(Role), "role_known"),
        one_of("locale", LOCALES, "locale_known"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        # Only someone with an e-mail address can have a password and sign in.
        CheckConstraint("password_hash IS NULL OR email IS NOT NULL", name="password_needs_email"),
        Index("ix_staff_user_email", "email", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: str = Field(max_length=20)
    time_zone: str = Field(default="Europe/Copenhagen", max_length=64)
    locale: str = Field(default="en", max_length=5)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WorkingHours(SQLModel, table=True):
    """One weekly working window of a staff user, in the user's own time zone."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="window_valid",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    weekday: int  # Monday = 0
    start_minute: int
    end_minute: int


class AvailabilityOverride(SQLModel, table=True):
    """A per-date change to a staff user's working hours; no window means a day off."""

    __tablename__ = "availability_override"
    __table_args__ = (
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)",
            name="window_valid",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    on_date: str = Field(max_length=10)  # ISO date, local to the staff user
    start_minute: int | None = None
    end_minute: int | None = None


class StaffSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the cookie token is stored."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    user_agent: str = Field(default="", max_length=300)


class SignInAttempt(SQLModel, table=True):
    """One try to sign in, kept to throttle repeated failures per e-mail and address."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_email_at", "email", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320)
    client_address: str = Field(default="", max_length=64)
    succeeded: bool = Field(default=False)
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
