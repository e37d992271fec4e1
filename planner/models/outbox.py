"""The outbox: effects (mails, calendar writes, webhooks) recorded with the change causing them."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index
from sqlmodel import Column, Field, SQLModel

from planner.models.base import UTCDateTime, utcnow


class OutboxMessage(SQLModel, table=True):
    """One effect to carry out, retried with backoff until done."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        CheckConstraint("length(kind) > 0", name="kind_not_empty"),
        Index("ix_outbox_message_pending", "done_at", "next_attempt_at"),
        # An account's newest row (its activity marker) in one index lookup.
        Index("ix_outbox_message_account_id_id", "account_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(
        default=None, foreign_key="account.id", index=True, ondelete="CASCADE"
    )
    kind: str = Field(max_length=50)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The same effect recorded twice (e.g. a retried request) is stored once.
    dedupe_key: str | None = Field(default=None, max_length=255, unique=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    message_id: str | None = Field(default=None, max_length=255)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
