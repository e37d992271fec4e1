"""Calendar connections, sync invitations and runs, cached busy times, provider event links."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from planner.domain.vocabulary import (
    CalendarProvider,
    ConnectionStatus,
    EventLinkStatus,
    SyncRunStatus,
    values,
)
from planner.models.base import UTCDateTime, one_of, utcnow


class CalendarConnection(SQLModel, table=True):
    """A staff user's link to a calendar (or Zoom) account; credentials are encrypted."""

    __tablename__ = "calendar_connection"
    __table_args__ = (
        one_of("provider", values(CalendarProvider), "provider_known"),
        one_of("status", values(ConnectionStatus), "status_known"),
        # One live connection per provider and user; disconnected ones stay as history.
        Index(
            "uq_calendar_connection_live",
            "staff_user_id",
            "provider",
            unique=True,
            sqlite_where=text("status != 'disconnected'"),
            postgresql_where=text("status != 'disconnected'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=20)
    status: str = Field(default=ConnectionStatus.SYNCED.value, max_length=20)
    server_url: str = Field(default="", max_length=500)
    external_account: str = Field(default="", max_length=320)
    calendar_id: str = Field(default="", max_length=500)
    encrypted_credentials: str = Field(default="", max_length=20000)
    sync_cursor: str | None = Field(default=None, max_length=5000)
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Calendar data that could not be read (availability there is unknown, never free), as
    # of the last successful poll; kept equal to the connection's current UnknownInterval rows
    # and cleared when a later poll reads everything. For the admin sync list ("3 unreadable,
    # availability unknown from 12 Dec"):
    # unreadable_count: how many calendar objects (events or series) could not be read;
    # unknown_from: the earliest UTC instant, not before that poll, whose availability is
    #   unknown because of them (None when everything was read);
    # unreadable_reason: why, for the earliest of them (plain words from the reader).
    unreadable_count: int = Field(default=0)
    unknown_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unreadable_reason: str | None = Field(default=None, max_length=2000)
    # What kind of failure the last poll met (planner.domain.sync_problems.ErrorKind), so that
    # the admin list can say it in plain words; None after a successful poll.
    error_kind: str | None = Field(default=None, max_length=30)
    # Set by "Sync now": the worker polls this connection at its next tick, then clears it.
    sync_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncInvitation(SQLModel, table=True):
    """An e-mailed invitation for a staff user to connect a calendar; token stored hashed."""

    __tablename__ = "sync_invitation"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BusyInterval(SQLModel, table=True):
    """A busy time read from a connection, cached for the slot finder. Never a title."""

    __tablename__ = "busy_interval"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_busy_interval_connection_start", "connection_id", "start_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    connection_id: int = Field(foreign_key="calendar_connection.id", ondelete="CASCADE")
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    tentative: bool = Field(default=False)
    source_event_id: str | None = Field(default=None, max_length=1024)


class UnknownInterval(SQLModel, table=True):
    """A time whose busy state could not be read from a connection's calendar data (a
    calendar object that is malformed, hostile, too slow or not read yet): the slot finder
    treats it as unknown, never free. Replaced like BusyInterval, per source object."""

    __tablename__ = "unknown_interval"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_unknown_interval_connection_start", "connection_id", "start_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    connection_id: int = Field(foreign_key="calendar_connection.id", ondelete="CASCADE")
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(max_length=500)
    source_event_id: str | None = Field(default=None, max_length=1024)


class SyncRun(SQLModel, table=True):
    """One poll of a connection's busy times, for status and staleness."""

    __tablename__ = "sync_run"
    __table_args__ = (one_of("status", values(SyncRunStatus), "status_known"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    connection_id: int = Field(foreign_key="calendar_connection.id", index=True, ondelete="CASCADE")
    status: str = Field(default=SyncRunStatus.RUNNING.value, max_length=10)
    incremental: bool = Field(default=False)
    busy_count: int = Field(default=0)
    error: str | None = Field(default=None, max_length=2000)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProviderEventLink(SQLModel, table=True):
    """The event an interview booking became in one participant's calendar."""

    __tablename__ = "provider_event_link"
    __table_args__ = (
        one_of("status", values(EventLinkStatus), "status_known"),
        # One current event per booking and person; a meeting change replaces the events
        # (the replaced links stay until their deletes are done, then as history).
        Index(
            "uq_event_link_current",
            "booking_id",
            "staff_user_id",
            unique=True,
            sqlite_where=text("replaced_at IS NULL"),
            postgresql_where=text("replaced_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    interview_id: int = Field(foreign_key="interview.id", index=True, ondelete="CASCADE")
    booking_id: int = Field(foreign_key="booking.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    connection_id: int | None = Field(
        default=None, foreign_key="calendar_connection.id", ondelete="SET NULL"
    )
    provider: str = Field(max_length=20)
    # Chosen by Planner before the first write, so that a retried create is idempotent.
    event_key: str = Field(max_length=1024)
    external_event_id: str | None = Field(default=None, max_length=1024)
    etag: str | None = Field(default=None, max_length=255)
    meeting_url: str | None = Field(default=None, max_length=2000)
    status: str = Field(default=EventLinkStatus.PENDING.value, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set when a change of the interview's online meeting replaced this event with a new one
    # (a new link of the same booking and person); the old event is then deleted.
    replaced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
