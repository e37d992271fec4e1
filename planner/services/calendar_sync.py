"""Polling synced calendars into the busy-time cache the slot finder reads, with honest statuses."""

import json
import logging
import random as _random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx
from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from planner.db import begin_write
from planner.domain.retry import retry_delay
from planner.domain.sync_problems import ErrorKind
from planner.domain.sync_status import CALENDAR_PROVIDERS
from planner.domain.vocabulary import ConnectionStatus, SyncRunStatus
from planner.integrations.calendar.base import (
    AuthExpired,
    ChangeSet,
    Credentials,
    EventChange,
    InvalidRequest,
    InvalidResponse,
    NotFoundAtProvider,
    OAuthTokens,
    RateLimited,
    SyncCursorExpired,
    Unavailable,
)
from planner.integrations.calendar.registry import provider_for
from planner.integrations.crypto import (
    CredentialsUnreadable,
    decrypt_credentials,
    encrypt_credentials,
)
from planner.integrations.errors import IntegrationError
from planner.models import BusyInterval, CalendarConnection, StaffUser, SyncRun, UnknownInterval
from planner.services import webhooks
from planner.settings import Settings

log = logging.getLogger(__name__)

POLLED_STATUSES = (ConnectionStatus.SYNCED.value, ConnectionStatus.ERROR.value)
# A full listing at least this often, so that events never changed since the last full
# listing still enter the window as it slides forward.
FULL_RESYNC_EVERY = timedelta(days=1)
CURSOR_VERSION = 1


@dataclass(frozen=True)
class PollTarget:
    """One connection to poll, with its decrypted credentials (never logged)."""

    connection_id: int
    account_id: int
    provider: str
    status: str
    server_url: str
    calendar_id: str
    cursor: str | None
    time_zone: str
    owner_email: str | None
    credentials: Credentials | None = field(repr=False)
    unreadable: str | None = None


@dataclass(frozen=True)
class PollOutcome:
    """What polling one connection found: a change set to store, or an error."""

    target: PollTarget
    started_at: datetime
    finished_at: datetime
    changes: ChangeSet | None = None
    calendar_id: str | None = None
    window_end: datetime | None = None
    error: str | None = None
    auth_expired: bool = False
    error_kind: str | None = None


@dataclass(frozen=True)
class RoundReport:
    """What one poll round stored."""

    ok: int = 0
    failed: int = 0
    reconnect_needed: int = 0


def _stored_cursor(raw: str | None) -> tuple[str | None, datetime | None]:
    """The provider's cursor and the window end of the last full listing (None, None when
    there is none or it is unreadable: then a full listing is done)."""
    if not raw:
        return None, None
    try:
        document = json.loads(raw)
        if document.get("v") != CURSOR_VERSION:
            return None, None
        return document.get("cursor"), datetime.fromisoformat(document["full_until"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None


def error_kind(exc: IntegrationError, provider: str) -> ErrorKind:
    """What kind of failure a provider error is, for the admin's plain-words reason: an
    AuthExpired is a changed password on CalDAV (401) and a revoked grant on OAuth providers
    (`invalid_grant`, RFC 6749 section 5.2)."""
    if isinstance(exc, AuthExpired):
        return ErrorKind.PASSWORD if provider == "caldav" else ErrorKind.REVOKED
    for kind, types in (
        (ErrorKind.RATE_LIMITED, RateLimited),
        (ErrorKind.UNREACHABLE, Unavailable),
        (ErrorKind.CALENDAR_MISSING, NotFoundAtProvider),
        (ErrorKind.REFUSED, InvalidRequest),
        (ErrorKind.BAD_ANSWER, InvalidResponse),
    ):
        if isinstance(exc, types):
            return kind
    return ErrorKind.OTHER


def _cursor_document(cursor: str | None, full_until: datetime) -> str | None:
    if not cursor:
        return None
    return json.dumps({"v": CURSOR_VERSION, "cursor": cursor, "full_until": full_until.isoformat()})


def busy_known_until(connection: CalendarConnection, *, window_days: int) -> datetime | None:
    """Until when a connection's cached busy times are complete (UTC), or None if never
    polled: the window end of its last full listing. Incremental polls keep what that
    listing saw up to date, but an event beyond it that never changed is listed only by the
    next full listing (at least daily), so later times are unknown, never free."""
    _, full_until = _stored_cursor(connection.sync_cursor)
    if full_until is not None:
        return full_until
    if connection.last_synced_at is None:
        return None
    # Without a cursor every poll is a full listing of [its start, + window_days).
    return connection.last_synced_at + timedelta(days=window_days)


def _failures_since_success(session: Session, connection_ids: list[int]) -> dict[int, int]:
    """Failed runs since each connection's last successful one (for the backoff)."""
    if not connection_ids:
        return {}
    last_ok = (
        select(SyncRun.connection_id, func.max(SyncRun.id).label("last_ok"))
        .where(col(SyncRun.connection_id).in_(connection_ids), SyncRun.status == "ok")
        .group_by(col(SyncRun.connection_id))
        .subquery()
    )
    rows = session.exec(
        select(SyncRun.connection_id, func.count())
        .outerjoin(last_ok, last_ok.c.connection_id == SyncRun.connection_id)
        .where(
            col(SyncRun.connection_id).in_(connection_ids),
            SyncRun.status == SyncRunStatus.FAILED.value,
            (last_ok.c.last_ok.is_(None)) | (col(SyncRun.id) > last_ok.c.last_ok),
        )
        .group_by(col(SyncRun.connection_id))
    ).all()
    return {connection_id: count for connection_id, count in rows}


def due_targets(
    *,
    session: Session,
    settings: Settings,
    now: datetime,
    limit: int = 5000,
    random: Callable[[], float] = _random.random,
    requested_only: bool = False,
) -> list[PollTarget]:
    """The calendar connections due for a poll: those someone asked to "Sync now", synced
    ones not polled within the poll interval, and failing ones whose backoff (exponential,
    with jitter) has passed. Connections that need the user to reconnect, or were
    disconnected, are not polled. `requested_only`: just the "Sync now" ones."""
    interval = timedelta(minutes=settings.sync_poll_minutes)
    query = (
        select(CalendarConnection, StaffUser.time_zone, StaffUser.email)
        .join(StaffUser, col(StaffUser.id) == CalendarConnection.staff_user_id)
        .where(
            col(CalendarConnection.status).in_(POLLED_STATUSES),
            col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
        )
        .order_by(
            col(CalendarConnection.sync_requested_at).is_(None),
            col(CalendarConnection.last_synced_at).nulls_first(),
            col(CalendarConnection.id),
        )
    )
    if requested_only:
        query = query.where(col(CalendarConnection.sync_requested_at).is_not(None))
    rows = session.exec(query).all()
    failing = [c.id for c, _, _ in rows if c.status == ConnectionStatus.ERROR.value and c.id]
    failures = _failures_since_success(session, failing)
    targets: list[PollTarget] = []
    # Polled a little early rather than a round late: the cron ticks every minute.
    slack = timedelta(seconds=30)
    for connection, time_zone, email in rows:
        assert connection.id is not None
        if connection.sync_requested_at is not None:
            pass  # "Sync now": polled at once, whatever the interval or backoff says
        elif connection.status == ConnectionStatus.ERROR.value:
            last_try = connection.last_error_at or connection.updated_at
            wait = retry_delay(max(1, failures.get(connection.id, 1)), random=random)
            if last_try + wait > now:
                continue
        elif connection.last_synced_at and connection.last_synced_at > now - interval + slack:
            continue
        credentials: Credentials | None = None
        unreadable = None
        try:
            credentials = decrypt_credentials(connection.encrypted_credentials, settings)
        except CredentialsUnreadable as exc:
            unreadable = exc.message
        targets.append(
            PollTarget(
                connection_id=connection.id,
                account_id=connection.account_id,
                provider=connection.provider,
                status=connection.status,
                server_url=connection.server_url,
                calendar_id=connection.calendar_id,
                cursor=connection.sync_cursor,
                time_zone=time_zone,
                owner_email=email or None,
                credentials=credentials,
                unreadable=unreadable,
            )
        )
        if len(targets) >= limit:
            break
    return targets


def save_refreshed_tokens(
    *, session: Session, connection_id: int, credentials: Credentials, settings: Settings
) -> None:
    """Store a connection's refreshed OAuth tokens (encrypted) at once, in their own commit,
    so that a rotated refresh token is never lost with a later failure."""
    begin_write(session)
    session.exec(
        update(CalendarConnection)  # type: ignore[call-overload]
        .where(col(CalendarConnection.id) == connection_id)
        .values(encrypted_credentials=encrypt_credentials(credentials, settings))
    )
    session.commit()


async def poll_target(
    target: PollTarget,
    *,
    http: httpx.AsyncClient,
    settings: Settings,
    now: datetime,
    save_tokens: Callable[[int, Credentials], object],
    clock: Callable[[], datetime],
) -> PollOutcome:
    """Ask the provider what changed in [now, now + window) (incrementally where a cursor
    allows, a full listing otherwise and at least daily). Touches no database: token
    refreshes go through `save_tokens`, an awaitable taking (connection id, credentials)."""
    started = clock()
    if target.credentials is None:
        return PollOutcome(
            target,
            started,
            clock(),
            error=target.unreadable or "unreadable",
            auth_expired=True,
            error_kind=ErrorKind.CREDENTIALS.value,
        )
    credentials = target.credentials
    start, end = now, now + timedelta(days=settings.sync_window_days)
    cursor, full_until = _stored_cursor(target.cursor)
    if full_until is None or full_until < end - FULL_RESYNC_EVERY:
        cursor = None

    async def saver(tokens: OAuthTokens) -> None:
        nonlocal credentials
        credentials = replace(credentials, tokens=tokens)
        await save_tokens(target.connection_id, credentials)  # type: ignore[misc]

    provider = provider_for(
        target.provider,
        credentials=credentials,
        http=http,
        save_tokens=saver,
        settings=settings,
        server_url=target.server_url,
        time_zone=target.time_zone,
        owner_email=target.owner_email,
    )
    try:
        calendar_id = target.calendar_id
        if not calendar_id:
            calendars = await provider.list_calendars()
            chosen = next((c for c in calendars if c.primary), calendars[0] if calendars else None)
            if chosen is None:
                return PollOutcome(
                    target,
                    started,
                    clock(),
                    error="the account has no calendar",
                    error_kind=ErrorKind.NO_CALENDAR.value,
                )
            calendar_id = chosen.id
        try:
            found = await provider.changes(calendar_id, cursor, start, end)
        except SyncCursorExpired:
            log.info("connection %s: sync cursor expired, full listing", target.connection_id)
            found = await provider.changes(calendar_id, None, start, end)
        if cursor is None and not found.full:
            found = ChangeSet(found.changes, found.cursor, full=True)
        return PollOutcome(
            target, started, clock(), changes=found, calendar_id=calendar_id, window_end=end
        )
    except IntegrationError as exc:  # ProviderError, AuthExpired included
        return PollOutcome(
            target,
            started,
            clock(),
            error=exc.message,
            auth_expired=isinstance(exc, AuthExpired),
            error_kind=error_kind(exc, target.provider).value,
        )
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()


def _busy_rows(
    account_id: int, connection_id: int, change: EventChange
) -> Iterable[dict[str, object]]:
    for busy in change.busy:
        if busy.end > busy.start:
            yield {
                "account_id": account_id,
                "connection_id": connection_id,
                "start_at": busy.start,
                "end_at": busy.end,
                "tentative": busy.tentative,
                "source_event_id": change.external_id[:1024],
            }


def _unknown_rows(
    account_id: int, connection_id: int, change: EventChange
) -> Iterable[dict[str, object]]:
    for unknown in change.unknown:
        if unknown.end > unknown.start:
            yield {
                "account_id": account_id,
                "connection_id": connection_id,
                "start_at": unknown.start,
                "end_at": unknown.end,
                "reason": (unknown.reason or "unreadable calendar data")[:500],
                "source_event_id": change.external_id[:1024],
            }


def _store_changes(session: Session, outcome: PollOutcome) -> int:
    """Apply a change set to the cache: busy and unknown times are replaced for the whole
    connection (a full listing) or per changed object (incremental), so that an object
    that could not be read stays unknown until a later poll reads it. Returns the number
    of busy rows written."""
    target, changes = outcome.target, outcome.changes
    assert changes is not None
    connection_id = target.connection_id
    for table in (BusyInterval, UnknownInterval):
        if changes.full:
            session.exec(
                delete(table).where(  # type: ignore[call-overload]
                    col(table.connection_id) == connection_id
                )
            )
            continue
        touched = list({c.external_id[:1024] for c in changes.changes})
        for chunk in range(0, len(touched), 500):
            session.exec(
                delete(table).where(  # type: ignore[call-overload]
                    col(table.connection_id) == connection_id,
                    col(table.source_event_id).in_(touched[chunk : chunk + 500]),
                )
            )
    latest: dict[str, EventChange] = {}
    for change in changes.changes:  # a replayed change: the last one wins
        latest[change.external_id] = change
    rows = [
        row
        for change in latest.values()
        if not change.removed
        for row in _busy_rows(target.account_id, connection_id, change)
    ]
    if rows:
        session.execute(BusyInterval.__table__.insert(), rows)  # type: ignore[attr-defined]
    unknown = [
        row
        for change in latest.values()
        if not change.removed
        for row in _unknown_rows(target.account_id, connection_id, change)
    ]
    if unknown:
        session.execute(UnknownInterval.__table__.insert(), unknown)  # type: ignore[attr-defined]
    return len(rows)


def _record_unreadable(session: Session, connection: CalendarConnection, now: datetime) -> None:
    """Set the connection's unreadable_count, unknown_from and unreadable_reason from its
    unknown times still ahead of `now` (all cleared when there are none)."""
    rows = session.exec(
        select(UnknownInterval.source_event_id, UnknownInterval.start_at, UnknownInterval.reason)
        .where(
            UnknownInterval.connection_id == connection.id,
            UnknownInterval.end_at > now,
        )
        .order_by(col(UnknownInterval.start_at), col(UnknownInterval.id))
    ).all()
    if not rows:
        connection.unreadable_count = 0
        connection.unknown_from = None
        connection.unreadable_reason = None
        return
    sources = {
        source if source is not None else f"#{index}" for index, (source, _, _) in enumerate(rows)
    }
    _, first_start, first_reason = rows[0]
    connection.unreadable_count = len(sources)
    connection.unknown_from = max(first_start, now)
    connection.unreadable_reason = first_reason[:2000]


def record_outcomes(*, session: Session, outcomes: list[PollOutcome], now: datetime) -> RoundReport:
    """Store a batch of poll outcomes in one transaction: busy times replaced (a full
    listing) or patched (incremental), a SyncRun per poll, and each connection's status,
    last success and last error. A connection that turns to error or reconnect_needed
    emits a `connection.error` webhook. A connection disconnected meanwhile is left alone."""
    ok = failed = reconnect = 0
    begin_write(session)
    ids = [o.target.connection_id for o in outcomes]
    current = {
        c.id: c
        for c in session.exec(
            select(CalendarConnection).where(col(CalendarConnection.id).in_(ids))
        ).all()
    }
    for outcome in outcomes:
        target = outcome.target
        connection = current.get(target.connection_id)
        if connection is None or connection.status not in POLLED_STATUSES:
            continue
        run = SyncRun(
            account_id=target.account_id,
            connection_id=target.connection_id,
            started_at=outcome.started_at,
            finished_at=outcome.finished_at,
        )
        if outcome.changes is not None:
            with session.begin_nested():
                run.busy_count = _store_changes(session, outcome)
                _record_unreadable(session, connection, outcome.started_at)
            run.status = SyncRunStatus.OK.value
            run.incremental = not outcome.changes.full
            previous_cursor, full_until = _stored_cursor(connection.sync_cursor)
            if outcome.changes.full or full_until is None:
                assert outcome.window_end is not None
                full_until = outcome.window_end
            connection.sync_cursor = _cursor_document(outcome.changes.cursor, full_until)
            connection.status = ConnectionStatus.SYNCED.value
            connection.last_synced_at = outcome.finished_at
            connection.error_kind = None
            if outcome.calendar_id and not connection.calendar_id:
                connection.calendar_id = outcome.calendar_id
            ok += 1
        else:
            error = (outcome.error or "unknown error")[:2000]
            run.status = SyncRunStatus.FAILED.value
            run.error = error
            new_status = (
                ConnectionStatus.RECONNECT_NEEDED.value
                if outcome.auth_expired
                else ConnectionStatus.ERROR.value
            )
            if new_status != connection.status:
                # `failed_at` makes each ok -> failed transition its own event: the same
                # message again after a recovery is a new failure, not a duplicate.
                webhooks.record(
                    session=session,
                    account_id=connection.account_id,
                    event="connection.error",
                    data={
                        "connection_id": connection.id,
                        "staff_user_id": connection.staff_user_id,
                        "provider": connection.provider,
                        "status": new_status,
                        "error": error,
                        "failed_at": outcome.finished_at.isoformat().replace("+00:00", "Z"),
                    },
                )
                log.warning(
                    "connection %s (%s) is now %s: %s",
                    connection.id,
                    connection.provider,
                    new_status,
                    error,
                )
            connection.status = new_status
            connection.last_error = error
            connection.last_error_at = outcome.finished_at
            connection.error_kind = outcome.error_kind or ErrorKind.OTHER.value
            if outcome.auth_expired:
                reconnect += 1
            else:
                failed += 1
        requested = connection.sync_requested_at
        if requested is not None and requested <= outcome.started_at:
            connection.sync_requested_at = None  # this poll answered the "Sync now"
        connection.updated_at = now
        session.add(run)
    session.commit()
    return RoundReport(ok=ok, failed=failed, reconnect_needed=reconnect)
