"""Delivering the outbox's mails: claim due rows safely, send over SMTP, retry with backoff.

Delivery is at least once. A row is claimed (its next attempt pushed past a lease, its attempt
counted) and committed before the send, and marked done in its own commit right after the
server accepted it. A crash between the server's "250" and that commit sends the mail again
once the lease expires: the resent message is byte-for-byte the same, with the same
Message-ID, so receivers can recognise the duplicate. A row marked done is never claimed again,
and its rendered message (which holds the candidate's link) is then dropped from the payload.

`done_at` means finished: delivered when `last_error` is NULL, given up (a final SMTP refusal
or too many attempts) when `last_error` says why."""

import logging
import random as _random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from planner.domain.retry import retry_delay
from planner.integrations.mail.smtp import MailDeliveryError, MailTransport
from planner.logs import ACTIVITY
from planner.models import OutboxMessage
from planner.services.notifications import MAIL_KIND
from planner.settings import get_settings

log = logging.getLogger(__name__)
activity = logging.getLogger(f"{ACTIVITY}.mail")

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=10)
BATCH_SIZE = 20


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    given_up: int = 0


def claim_due_rows(
    *, session: Session, kind: str, now: datetime, limit: int, lease: timedelta
) -> list[int]:
    """Claim up to `limit` due outbox rows of one kind for this worker and commit: each
    claimed row's attempt is counted and its next attempt moved `lease` ahead, so no other
    worker takes it while this one works; a worker that dies leaves its rows to be claimed
    again once the lease has passed. One UPDATE ... RETURNING; on PostgreSQL its subquery
    locks with FOR UPDATE SKIP LOCKED, on SQLite the single statement runs under the write
    lock and re-checks the due condition. Returns the ids oldest `created_at` first."""
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == kind,
            col(OutboxMessage.done_at).is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(due.scalar_subquery()),
            col(OutboxMessage.done_at).is_(None),
            col(OutboxMessage.next_attempt_at) <= now,
        )
        .values(next_attempt_at=now + lease, attempts=col(OutboxMessage.attempts) + 1)
        .returning(col(OutboxMessage.id))
        .execution_options(synchronize_session=False)
    )
    claimed = list(session.exec(statement).scalars().all())  # type: ignore[call-overload]
    if len(claimed) > 1:
        # In the order the effects happened: a row recorded after its cause (a booking's
        # webhook, expanded by the worker) carries the cause's time as created_at.
        claimed = list(
            session.exec(
                select(OutboxMessage.id)
                .where(col(OutboxMessage.id).in_(claimed))
                .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
            ).all()
        )
    session.commit()
    return claimed


def claim_due_mail(
    *, session: Session, now: datetime, limit: int = BATCH_SIZE, lease: timedelta = LEASE
) -> list[int]:
    """Claim due mail rows (see claim_due_rows)."""
    return claim_due_rows(session=session, kind=MAIL_KIND, now=now, limit=limit, lease=lease)


def _mark_done(session: Session, row: OutboxMessage, *, now: datetime, error: str | None) -> None:
    payload = dict(row.payload)
    if error is None:
        payload.pop("raw", None)  # delivered: the link inside need not be kept
    session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.done_at).is_(None))
        .values(done_at=now, last_error=error, payload=payload)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _mark_retry(session: Session, row: OutboxMessage, *, at: datetime, error: str) -> None:
    session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.done_at).is_(None))
        .values(next_attempt_at=at, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    session.commit()


def deliver_due_mail(
    *,
    session: Session,
    transport: MailTransport,
    now: datetime,
    limit: int = BATCH_SIZE,
    random: Callable[[], float] = _random.random,
) -> DeliveryReport:
    """Send every claimed due mail through `transport`, then record the outcome of each."""
    lease = timedelta(seconds=get_settings().mail_lease_seconds)
    claimed = claim_due_mail(session=session, now=now, limit=limit, lease=lease)
    sent = retrying = given_up = 0
    try:
        for row_id in claimed:
            row = session.get(OutboxMessage, row_id, populate_existing=True)
            if row is None or row.done_at is not None:
                continue
            raw = row.payload.get("raw")
            if not isinstance(raw, str):
                _mark_done(session, row, now=now, error="gave up: no rendered message")
                given_up += 1
                continue
            # End the read transaction before talking to the server: on SQLite a read
            # transaction held across the send could not be upgraded to write afterwards
            # ("database is locked") once another process wrote meanwhile.
            session.commit()
            try:
                transport.send(
                    envelope_from=str(row.payload["envelope_from"]),
                    recipients=[str(row.payload["to"])],
                    message=raw.encode("ascii"),
                )
            except MailDeliveryError as exc:
                if exc.retryable and row.attempts < MAX_ATTEMPTS:
                    at = now + retry_delay(row.attempts, random=random)
                    _mark_retry(session, row, at=at, error=exc.message)
                    log.info("mail %s failed (attempt %d), retry at %s", row.id, row.attempts, at)
                    retrying += 1
                else:
                    _mark_done(session, row, now=now, error=f"gave up: {exc.message}"[:2000])
                    log.warning("mail %s given up after %d attempts", row.id, row.attempts)
                    given_up += 1
                continue
            _mark_done(session, row, now=now, error=None)
            activity.info("Mail sent: %s (outbox %s)", row.payload.get("template", "mail"), row.id)
            sent += 1
    finally:
        transport.close()
    return DeliveryReport(sent=sent, retrying=retrying, given_up=given_up)
