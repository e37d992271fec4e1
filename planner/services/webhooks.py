"""Webhooks: account endpoints, events recorded in the outbox with the change causing them,
delivery as HMAC-SHA256-signed POSTs with retries, and the delivery log admins read.

Signature scheme (header `Planner-Signature: t=<unix seconds>,v1=<hex>`): v1 is the
HMAC-SHA256, keyed with the endpoint's secret, of `"<t>.<raw request body>"`. Receivers
recompute it, compare in constant time and reject timestamps older than a few minutes.
The body of an event is fixed when it is recorded, so every retry sends the same bytes
(with a fresh timestamp); `Planner-Event-Id` lets receivers drop duplicates."""

import hashlib
import hmac
import json
import logging
import random as _random
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import InvalidToken
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from planner.domain.retry import MAX_DELAY, retry_delay
from planner.domain.text import CONTROL
from planner.integrations import outbound
from planner.integrations.crypto import credential_cipher
from planner.models import (
    Booking,
    Candidate,
    CandidateComment,
    CandidateInvitation,
    Interview,
    OfferedSlot,
    OutboxMessage,
    WebhookDelivery,
    WebhookEndpoint,
)
from planner.models.base import utcnow
from planner.services import outbox
from planner.services.actor import Actor, owned, require_admin
from planner.services.errors import InvalidInput
from planner.settings import get_settings

log = logging.getLogger(__name__)

WEBHOOK_KIND = "webhook"
EVENTS: tuple[str, ...] = (
    "interview.booked",
    "interview.cancelled",
    "invitation.no_fit",
    "slot.removed",
    "connection.error",
)
SIGNATURE_HEADER = "Planner-Signature"
SIGNATURE_TOLERANCE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)
BATCH_SIZE = 20
MAX_ENDPOINTS = 10


# --- signing ---------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The `Planner-Signature` header value for a body sent at `timestamp` (unix seconds)."""
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: int,
    tolerance: timedelta = SIGNATURE_TOLERANCE,
) -> bool:
    """Whether `header` is a valid signature of `body` made within `tolerance` of `now`
    (what a receiver does; Planner uses it in tests and documents it)."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance.total_seconds():
        return False
    expected = sign(secret, body, timestamp).rsplit("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


# --- endpoints (admin page) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    """A new endpoint: `secret` is shown to the admin once."""

    id: int
    url: str
    events: tuple[str, ...]
    secret: str


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One delivery attempt as the admin's log shows it."""

    id: int
    endpoint_url: str
    event: str
    event_id: str
    attempt: int
    status_code: int | None
    succeeded: bool
    error: str
    duration_ms: int
    attempted_at: datetime


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 2000 or any(ord(ch) <= 32 or ch.isspace() for ch in url) or CONTROL.search(url):
        raise InvalidInput("url", "must be one URL without spaces, at most 2000 characters")
    parts = urlsplit(url)
    if get_settings().env == "production":
        if parts.scheme != "https" or not parts.hostname:
            raise InvalidInput("url", "must be an absolute https URL")
    elif parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("url", "must be an absolute https or http URL")
    if parts.username or parts.password:
        raise InvalidInput("url", "must not contain a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput("url", "has an invalid port") from None
    allow_private = get_settings().webhook_allow_private
    if not outbound.check_host(parts.hostname, port, allow_private=allow_private):
        raise InvalidInput(
            "url", "must be a public internet address (not a local, private or reserved network)"
        )
    return url


def add_endpoint(
    *, session: Session, actor: Actor, url: str, events: list[str], now: datetime
) -> CreatedEndpoint:
    """Register a URL for the chosen events (admins only) with a new signing secret."""
    require_admin(actor)
    url = _check_url(url)
    chosen = tuple(event for event in EVENTS if event in set(events))
    if not chosen or len(chosen) != len(set(events)):
        raise InvalidInput("events", "choose one or more of {events}", events=", ".join(EVENTS))
    existing = session.exec(
        select(WebhookEndpoint).where(WebhookEndpoint.account_id == actor.account_id)
    ).all()
    if len(existing) >= MAX_ENDPOINTS:
        raise InvalidInput(
            "url", "an account can have at most {limit} webhook URLs", limit=MAX_ENDPOINTS
        )
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    encrypted = credential_cipher(get_settings()).encrypt(secret.encode("utf-8")).decode("ascii")
    endpoint = WebhookEndpoint(
        account_id=actor.account_id,
        url=url,
        encrypted_secret=encrypted,
        events=list(chosen),
        active=True,
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(endpoint)
    session.commit()
    assert endpoint.id is not None
    log.info("webhook endpoint %s added by %s", endpoint.id, actor.user_id)
    return CreatedEndpoint(id=endpoint.id, url=url, events=chosen, secret=secret)


def remove_endpoint(*, session: Session, actor: Actor, endpoint_id: int) -> None:
    """Delete an endpoint with its log (admins only); its pending events are dropped."""
    require_admin(actor)
    endpoint = owned(actor, session.get(WebhookEndpoint, endpoint_id), "Webhook endpoint")
    session.delete(endpoint)
    session.commit()
    log.info("webhook endpoint %s removed by %s", endpoint_id, actor.user_id)


def list_endpoints(*, session: Session, actor: Actor) -> list[EndpointRow]:
    """The account's endpoints, oldest first (admins only; never the secrets)."""
    require_admin(actor)
    rows = session.exec(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == actor.account_id)
        .order_by(col(WebhookEndpoint.id))
    ).all()
    return [
        EndpointRow(
            id=row.id or 0,
            url=row.url,
            events=tuple(row.events),
            active=row.active,
            created_at=row.created_at,
        )
        for row in rows
    ]


def recent_deliveries(*, session: Session, actor: Actor, limit: int = 50) -> list[DeliveryRow]:
    """The account's latest delivery attempts, newest first (admins only)."""
    require_admin(actor)
    rows = session.exec(
        select(WebhookDelivery, WebhookEndpoint.url)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.account_id == actor.account_id)
        .order_by(col(WebhookDelivery.attempted_at).desc(), col(WebhookDelivery.id).desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    return [
        DeliveryRow(
            id=row.id or 0,
            endpoint_url=url,
            event=row.event,
            event_id=row.event_id,
            attempt=row.attempt,
            status_code=row.status_code,
            succeeded=row.succeeded,
            error=row.error or "",
            duration_ms=row.duration_ms,
            attempted_at=row.attempted_at,
        )
        for row, url in rows
    ]


# --- recording events ------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _booking_facts(session: Session, booking_id: int) -> dict[str, Any]:
    booking = session.get(Booking, booking_id)
    if booking is None:
        return {}
    invitation = session.get(CandidateInvitation, booking.invitation_id)
    slot = session.get(OfferedSlot, booking.slot_id)
    facts: dict[str, Any] = {
        "booking_status": booking.status,
        "invitation_id": booking.invitation_id,
        "slot_id": booking.slot_id,
    }
    if slot is not None:
        facts |= {"start_at": _when(slot.start_at), "end_at": _when(slot.end_at)}
    if invitation is not None:
        facts |= {"interview_id": invitation.interview_id, "candidate_id": invitation.candidate_id}
    return facts


def _facts(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """What the ATS needs to act on an event, read from the rows its ids name (ids, times
    and the ATS's own references; no names or addresses)."""
    facts: dict[str, Any] = {}
    if isinstance(data.get("comment_id"), int):
        comment = session.get(CandidateComment, data["comment_id"])
        if comment is not None:
            facts |= {
                "comment_kind": comment.kind,
                "comment": comment.body,
                "invitation_id": comment.invitation_id,
                "interview_id": comment.interview_id,
                "candidate_id": comment.candidate_id,
            }
    if isinstance(data.get("booking_id"), int):
        facts |= _booking_facts(session, data["booking_id"])
    if isinstance(data.get("slot_id"), int) and "start_at" not in facts:
        slot = session.get(OfferedSlot, data["slot_id"])
        if slot is not None:
            facts |= {
                "interview_id": slot.interview_id,
                "start_at": _when(slot.start_at),
                "end_at": _when(slot.end_at),
            }
    interview_id = data.get("interview_id", facts.get("interview_id"))
    if isinstance(interview_id, int):
        interview = session.get(Interview, interview_id)
        if interview is not None:
            facts |= {"interview_status": interview.status, "job_id": interview.job_id}
    candidate_id = facts.get("candidate_id")
    if isinstance(candidate_id, int):
        candidate = session.get(Candidate, candidate_id)
        if candidate is not None:
            facts["candidate_external_ref"] = candidate.external_ref
    return facts | data


def _insert(session: Session, values: dict[str, Any]) -> bool:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(col(OutboxMessage.id))
    )
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def record(
    *,
    session: Session,
    account_id: int,
    event: str,
    data: dict[str, Any],
    occurred_at: datetime | None = None,
) -> int:
    """Record, without committing, `event` for every active endpoint of the account that
    subscribes to it; returns how many deliveries were queued. `data` holds JSON values
    (ids, and for connection.error what went wrong, never a credential); the rows they name
    add the facts the ATS needs. The same event with the same data is queued once.
    `occurred_at` (UTC; default now) is the event's `created_at` and its place in the
    delivery order, for events recorded after the change that caused them."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = session.exec(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(
            WebhookEndpoint.account_id == account_id,
            WebhookEndpoint.active == True,  # noqa: E712 - SQL expression
        )
    ).all()
    wanted = [endpoint_id for endpoint_id, events in endpoints if event in (events or [])]
    if not wanted:
        return 0
    now = occurred_at or utcnow()
    digest = hashlib.sha256(
        json.dumps([event, data], sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()[:32]
    event_id = f"evt_{digest}"
    body = json.dumps(
        {
            "id": event_id,
            "type": event,
            "created_at": _when(now),
            "account_id": account_id,
            "data": _facts(session, data),
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    queued = 0
    for endpoint_id in wanted:
        queued += _insert(
            session,
            {
                "account_id": account_id,
                "kind": WEBHOOK_KIND,
                "payload": {
                    "endpoint_id": endpoint_id,
                    "event": event,
                    "event_id": event_id,
                    "body": body,
                },
                "dedupe_key": f"webhook:{endpoint_id}:{event_id}",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": None,
                "message_id": event_id,
                "done_at": None,
                "created_at": now,
            },
        )
    return queued


# --- delivery --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    delivered: int = 0
    retrying: int = 0
    given_up: int = 0


def claim_due(
    *, session: Session, now: datetime, limit: int = BATCH_SIZE, lease: timedelta = LEASE
) -> list[int]:
    """Claim due webhook rows for this worker (see outbox.claim_due_rows)."""
    return outbox.claim_due_rows(
        session=session, kind=WEBHOOK_KIND, now=now, limit=limit, lease=lease
    )


def _finish(session: Session, row_id: int, *, now: datetime, error: str | None) -> None:
    session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.done_at).is_(None))
        .values(done_at=now, last_error=error)
        .execution_options(synchronize_session=False)
    )


def _retry_at(session: Session, row_id: int, *, at: datetime, error: str) -> None:
    session.exec(
        update(OutboxMessage)  # type: ignore[call-overload]
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.done_at).is_(None))
        .values(next_attempt_at=at, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )


def _retry_after(response: httpx.Response | None) -> timedelta | None:
    if response is None or response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "")
    if not value.isdigit():
        return None
    return min(timedelta(seconds=int(value)), MAX_DELAY)


def delivery_client() -> httpx.Client:
    """The HTTP client webhook deliveries use: public addresses only (checked when
    connecting, so DNS rebinding cannot reach the local network; PLANNER_WEBHOOK_ALLOW_PRIVATE
    lifts that), no redirects followed, and each request ended after
    PLANNER_WEBHOOK_TIMEOUT_SECONDS however slowly the receiver answers."""
    settings = get_settings()
    return outbound.guarded_client(
        allow_private=settings.webhook_allow_private,
        timeout=settings.webhook_timeout_seconds,
        total_seconds=settings.webhook_timeout_seconds,
    )


def _transport_error(exc: httpx.HTTPError) -> str:
    """The log's text for a request that got no answer. It does not tell a refused
    connection from a timeout or a reset, so the log cannot be used to map which ports of
    a network are open; a blocked address says so (that is decided before any connection)."""
    if outbound.blocked_in(exc):
        return "blocked: the URL's address is a local, private or reserved network"
    return "no answer: could not reach the URL or it did not answer in time"


@dataclass(frozen=True, slots=True)
class _Attempt:
    row_id: int
    endpoint_id: int
    account_id: int
    url: str
    secret: str
    event: str
    event_id: str
    body: str
    attempts: int


@dataclass(frozen=True, slots=True)
class _Outcome:
    attempt: _Attempt
    response: httpx.Response | None
    error: str | None
    elapsed_ms: int
    tried: bool = True


def _post(
    client: httpx.Client, attempt: _Attempt, now: datetime
) -> tuple[httpx.Response | None, str | None, int]:
    """Send one signed POST; returns the response (None when none came), an error text
    for the log (None on success) and the time it took in milliseconds."""
    body = attempt.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Planner-Webhooks/1",
        "Planner-Event": attempt.event,
        "Planner-Event-Id": attempt.event_id,
        SIGNATURE_HEADER: sign(attempt.secret, body, int(now.timestamp())),
    }
    started = time.monotonic()
    try:
        response = client.post(attempt.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return None, _transport_error(exc), elapsed
    elapsed = int((time.monotonic() - started) * 1000)
    if 200 <= response.status_code < 300:
        return response, None, elapsed
    return response, f"HTTP {response.status_code}", elapsed


def _post_endpoint(client: httpx.Client, attempts: list[_Attempt], now: datetime) -> list[_Outcome]:
    """One endpoint's events in order. After a request that got no answer the endpoint's
    other events wait for the next run untried, so a hanging receiver costs one timeout
    per run and never holds up another endpoint (each endpoint has its own thread)."""
    outcomes: list[_Outcome] = []
    stalled = False
    for attempt in attempts:
        if stalled:
            outcomes.append(_Outcome(attempt, None, None, 0, tried=False))
            continue
        response, error, elapsed = _post(client, attempt, now)
        outcomes.append(_Outcome(attempt, response, error, elapsed))
        stalled = response is None
    return outcomes


def deliver_due(
    *,
    session: Session,
    client: httpx.Client,
    now: datetime,
    limit: int = BATCH_SIZE,
    random: Callable[[], float] = _random.random,
    concurrency: int | None = None,
) -> DeliveryReport:
    """POST every claimed due event to its endpoint and log each attempt: a 2xx answer
    finishes it; anything else is retried with backoff (Retry-After honoured on 429/503)
    until MAX_ATTEMPTS. Events of removed or disabled endpoints are dropped. Endpoints are
    served concurrently (`concurrency` at once, PLANNER_WEBHOOK_CONCURRENCY by default), each
    endpoint's events in order; no database transaction is open during the requests."""
    claimed = claim_due(session=session, now=now, limit=limit)
    delivered = retrying = given_up = 0
    by_endpoint: dict[int, list[_Attempt]] = {}
    cipher = credential_cipher(get_settings())
    for row_id in claimed:
        row = session.get(OutboxMessage, row_id, populate_existing=True)
        if row is None or row.done_at is not None:
            continue
        endpoint = session.get(WebhookEndpoint, row.payload.get("endpoint_id"))
        if endpoint is None or not endpoint.active:
            _finish(session, row_id, now=now, error="gave up: the endpoint was removed")
            session.commit()
            given_up += 1
            continue
        try:
            secret = cipher.decrypt(endpoint.encrypted_secret.encode())
        except InvalidToken:
            # The key it was encrypted with is gone: only re-adding the URL can help.
            _finish(session, row_id, now=now, error="gave up: the signing secret is unreadable")
            session.commit()
            log.warning("webhook endpoint %s: signing secret unreadable", endpoint.id)
            given_up += 1
            continue
        by_endpoint.setdefault(endpoint.id or 0, []).append(
            _Attempt(
                row_id=row_id,
                endpoint_id=endpoint.id or 0,
                account_id=endpoint.account_id,
                url=endpoint.url,
                secret=secret.decode("utf-8"),
                event=str(row.payload["event"]),
                event_id=str(row.payload["event_id"]),
                body=str(row.payload["body"]),
                attempts=row.attempts,
            )
        )
    session.commit()  # no read transaction held across the HTTP calls (see outbox.py)
    if not by_endpoint:
        return DeliveryReport(delivered=delivered, retrying=retrying, given_up=given_up)
    workers = min(concurrency or get_settings().webhook_concurrency, len(by_endpoint))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        batches = list(
            pool.map(lambda group: _post_endpoint(client, group, now), by_endpoint.values())
        )
    for outcome in (o for batch in batches for o in batch):
        attempt = outcome.attempt
        if not outcome.tried:
            # Not sent in this run: back on the queue as it was, this claim not counted.
            session.exec(
                update(OutboxMessage)  # type: ignore[call-overload]
                .where(col(OutboxMessage.id) == attempt.row_id)
                .values(
                    next_attempt_at=now + retry_delay(max(attempt.attempts - 1, 1), random=random),
                    attempts=max(attempt.attempts - 1, 0),
                )
                .execution_options(synchronize_session=False)
            )
            session.commit()
            retrying += 1
            continue
        response, error = outcome.response, outcome.error
        session.add(
            WebhookDelivery(
                account_id=attempt.account_id,
                endpoint_id=attempt.endpoint_id,
                outbox_message_id=attempt.row_id,
                event_id=attempt.event_id,
                event=attempt.event,
                attempt=attempt.attempts,
                status_code=response.status_code if response is not None else None,
                succeeded=error is None,
                error=error,
                duration_ms=outcome.elapsed_ms,
                attempted_at=now,
            )
        )
        if error is None:
            _finish(session, attempt.row_id, now=now, error=None)
            delivered += 1
        elif attempt.attempts < MAX_ATTEMPTS:
            wait = retry_delay(attempt.attempts, random=random)
            wait = max(wait, _retry_after(response) or wait)
            _retry_at(session, attempt.row_id, at=now + wait, error=error)
            log.info(
                "webhook %s to endpoint %s failed: %s", attempt.row_id, attempt.endpoint_id, error
            )
            retrying += 1
        else:
            _finish(session, attempt.row_id, now=now, error=f"gave up: {error}")
            log.warning("webhook %s given up after %d attempts", attempt.row_id, attempt.attempts)
            given_up += 1
        session.commit()
    return DeliveryReport(delivered=delivered, retrying=retrying, given_up=given_up)
