"""Delivering the outbox's mails: claim due rows safely, send over SMTP, retry with backoff.

Delivery is at least once, with a stable Message-ID. A batch of rows is claimed (each one's
next attempt pushed past a lease, its attempt counted) and committed. Then, per mail:

1. the attempt is recorded as started, in a short commit of its own, only if this worker
   still holds the claim (a worker whose lease ran out, e.g. on a stalled machine, finds the
   row claimed again by another worker and leaves it: it is never sent by both);
2. the message is handed to the SMTP server;
3. right after the server's "250", the row is marked done: on PostgreSQL the done mark was
   written before the send in a transaction left open (the row locked) and only its COMMIT
   is sent now, not waiting for the disk; on SQLite one local UPDATE and COMMIT follow.

Only a worker dying between 2's "250" and 3's commit (the *window*: one COMMIT round trip on
PostgreSQL, measured as `DeliveryReport.window_ms`) leaves a mail delivered but not marked (a
worker dying earlier leaves its open transaction to be rolled back, the mail not accepted).
What can be known about such a row afterwards: its last attempt started and has no outcome,
so the server may or may not have accepted it. Once the lease has passed another worker sends
it again, logged as such (`DeliveryReport.resent`), byte-for-byte the same with the same
Message-ID, so receivers drop the copy (RFC 5322 3.6.4; Gmail does). A row marked done is
never claimed again, and its rendered message (which holds the candidate's link) is then
dropped from the payload.

`done_at` means finished: delivered when `last_error` is NULL, given up (a final SMTP refusal
or too many attempts) when `last_error` says why."""

import logging
import random as _random
import time
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
# Payload key: when the last attempt to send the row began (ISO 8601, UTC). Present on a row
# not done, it means that attempt ended without a known outcome (its worker died mid-send):
# the server may have accepted the mail.
SENDING = "sending_since"


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did. `window_ms`: the longest time (ms) from the send returning
    (the server's "250" read) to the done mark's commit returning, the only time in which a
    dying worker leaves a delivered mail to be sent again. `resent`: mails whose previous
    attempt may have been accepted (its worker died mid-send), sent again with the same
    Message-ID."""

    sent: int = 0
    retrying: int = 0
    given_up: int = 0
    window_ms: float = 0.0
    resent: int = 0


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


def _without(payload: dict, *keys: str) -> dict:
    return {key: value for key, value in payload.items() if key not in keys}


def _done(row: OutboxMessage, *, now: datetime, error: str | None):  # type: ignore[no-untyped-def]
    """The UPDATE marking `row` done (delivered when `error` is None: its rendered message,
    which holds the candidate's link, is then dropped)."""
    payload = (
        _without(row.payload, SENDING, "raw") if error is None else _without(row.payload, SENDING)
    )
    return (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.done_at).is_(None))
        .values(done_at=now, last_error=error, payload=payload)
        .execution_options(synchronize_session=False)
    )


def _mark_done(session: Session, row: OutboxMessage, *, now: datetime, error: str | None) -> None:
    session.exec(_done(row, now=now, error=error))  # type: ignore[call-overload]
    session.commit()


def _mark_retry(session: Session, row: OutboxMessage, *, at: datetime, error: str) -> None:
    session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.done_at).is_(None))
        .values(next_attempt_at=at, last_error=error[:2000], payload=_without(row.payload, SENDING))
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _start_attempt(
    session: Session, row: OutboxMessage, *, now: datetime, lease: timedelta
) -> bool:
    """Record that this worker starts sending `row` (and hold it for another `lease`), in a
    commit of its own; False when the row is no longer this worker's to send: done meanwhile,
    or claimed again by another worker once this worker's lease had run out."""
    started = session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(
            col(OutboxMessage.id) == row.id,
            col(OutboxMessage.done_at).is_(None),
            col(OutboxMessage.attempts) == row.attempts,  # a new claim counts an attempt
        )
        .values(next_attempt_at=now + lease, payload={**row.payload, SENDING: now.isoformat()})
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(started)


def deliver_due_mail(
    *,
    session: Session,
    transport: MailTransport,
    now: datetime,
    limit: int = BATCH_SIZE,
    random: Callable[[], float] = _random.random,
) -> DeliveryReport:
    """Send every claimed due mail through `transport`, each one marked done (or to retry)
    the moment its outcome is known (see the module docstring)."""
    lease = timedelta(seconds=get_settings().mail_lease_seconds)
    claimed = claim_due_mail(session=session, now=now, limit=limit, lease=lease)
    started_at = time.monotonic()
    sent = retrying = given_up = resent = 0
    window = 0.0
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
            moment = now + timedelta(seconds=time.monotonic() - started_at)
            previous = row.payload.get(SENDING)  # before this attempt is recorded
            # Its commit also ends the read transaction before talking to the server: on
            # SQLite a read transaction held across the send could not be upgraded to write
            # afterwards ("database is locked").
            if not _start_attempt(session, row, now=moment, lease=lease):
                log.info("mail %s is no longer this worker's to send (claimed again)", row.id)
                continue
            if previous is not None:
                log.warning(
                    "mail %s: its previous attempt (%s) stopped mid-send and may have been "
                    "delivered; sending the identical message (same Message-ID) again",
                    row.id,
                    previous,
                )
                resent += 1
            done = _done(row, now=now, error=None)
            with session.get_bind().connect() as marker:
                prepared = marker.dialect.name == "postgresql"
                if prepared:
                    # PostgreSQL: the done mark is written (the row locked, so no other
                    # worker claims it) before the send, and only committed after the
                    # "250"; without waiting for the disk (a database crash within a second
                    # could lose the mark: the mail would be sent again, identically).
                    marker.exec_driver_sql("SET LOCAL synchronous_commit TO off")
                    marker.execute(done)
                try:
                    transport.send(
                        envelope_from=str(row.payload["envelope_from"]),
                        recipients=[str(row.payload["to"])],
                        message=raw.encode("ascii"),
                    )
                except MailDeliveryError as exc:
                    marker.rollback()
                    marker.close()
                    if exc.retryable and row.attempts < MAX_ATTEMPTS:
                        at = now + retry_delay(row.attempts, random=random)
                        _mark_retry(session, row, at=at, error=exc.message)
                        log.info(
                            "mail %s failed (attempt %d), retry at %s", row.id, row.attempts, at
                        )
                        retrying += 1
                    else:
                        _mark_done(session, row, now=now, error=f"gave up: {exc.message}"[:2000])
                        log.warning("mail %s given up after %d attempts", row.id, row.attempts)
                        given_up += 1
                    continue
                accepted = time.perf_counter()
                if not prepared:
                    # SQLite: one local statement (a write transaction held across the
                    # send would stop every other writer for as long as the server takes).
                    marker.execute(done)
                marker.commit()
                window = max(window, (time.perf_counter() - accepted) * 1000)
            activity.info("Mail sent: %s (outbox %s)", row.payload.get("template", "mail"), row.id)
            sent += 1
    finally:
        transport.close()
    return DeliveryReport(
        sent=sent, retrying=retrying, given_up=given_up, window_ms=round(window, 2), resent=resent
    )
