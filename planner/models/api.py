"""API keys, webhook endpoints and the log of webhook delivery attempts."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index
from sqlmodel import Column, Field, SQLModel

from planner.models.base import UTCDateTime, utcnow


class ApiKey(SQLModel, table=True):
    """A per-account key for the REST API. Only the SHA-256 of the whole key is stored,
    with its prefix for display; the key itself is shown once, when it is created."""

    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    key_prefix: str = Field(max_length=20)
    key_hash: str = Field(max_length=64, unique=True)
    # The API acts as this admin; a key whose creator is gone or inactive stops working.
    created_by_id: int | None = Field(
        default=None, foreign_key="staff_user.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookEndpoint(SQLModel, table=True):
    """A URL of the account that receives signed POSTs for the events it subscribes to.

    The signing secret is shown once to the admin and kept encrypted (Fernet, the keys of
    planner.integrations.crypto): Planner must read it back to sign."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (CheckConstraint("length(url) > 0", name="url_not_empty"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    url: str = Field(max_length=2000)
    encrypted_secret: str = Field(max_length=1000)
    events: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)
    created_by_id: int | None = Field(
        default=None, foreign_key="staff_user.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver an event to an endpoint, as the admin's delivery log shows it."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        Index("ix_webhook_delivery_account_at", "account_id", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True, ondelete="CASCADE")
    outbox_message_id: int | None = Field(
        default=None, foreign_key="outbox_message.id", index=True, ondelete="SET NULL"
    )
    event_id: str = Field(max_length=64)
    event: str = Field(max_length=50)
    attempt: int
    status_code: int | None = None
    succeeded: bool = Field(default=False)
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = Field(default=0)
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
