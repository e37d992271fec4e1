"""ARQ cron task that polls every due calendar connection's busy times, with bounded concurrency."""

import asyncio
import logging
from typing import Any

import httpx

from planner.db import session_scope
from planner.integrations.calendar.base import Credentials
from planner.models.base import utcnow
from planner.services import calendar_sync
from planner.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Outcomes are stored in batches: one short transaction per batch, not per connection.
WRITE_BATCH = 100
ROUND_LOCK = "planner:calendar-sync:round"
ROUND_LOCK_SECONDS = 600
REQUESTED_LOCK = "planner:calendar-sync:requested"
# Short, so that requests wait little if a worker died holding it (a longer run overlapping a
# second one only polls some connections twice, which stores the same busy times).
REQUESTED_LOCK_SECONDS = 120
# "Sync now" requests are looked for this often (seconds of each minute).
REQUESTED_SECONDS = tuple(range(0, 60, 5))
HTTP_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


def _due(settings: Settings, requested_only: bool) -> list[calendar_sync.PollTarget]:
    with session_scope() as session:
        return calendar_sync.due_targets(
            session=session, settings=settings, now=utcnow(), requested_only=requested_only
        )


def _record(outcomes: list[calendar_sync.PollOutcome]) -> calendar_sync.RoundReport:
    with session_scope() as session:
        return calendar_sync.record_outcomes(session=session, outcomes=outcomes, now=utcnow())


def _save_tokens(connection_id: int, credentials: Credentials, settings: Settings) -> None:
    with session_scope() as session:
        calendar_sync.save_refreshed_tokens(
            session=session, connection_id=connection_id, credentials=credentials, settings=settings
        )


async def poll_round(
    *,
    settings: Settings | None = None,
    http: httpx.AsyncClient | None = None,
    concurrency: int | None = None,
    requested_only: bool = False,
) -> calendar_sync.RoundReport:
    """Poll every due connection once (only those asked to "Sync now" with
    `requested_only`): provider calls run concurrently (at most `concurrency` at a time),
    database work in short transactions in a thread, never across a network call."""
    settings = settings or get_settings()
    limit = asyncio.Semaphore(concurrency or settings.sync_concurrency)
    targets = await asyncio.to_thread(_due, settings, requested_only)
    if not targets:
        return calendar_sync.RoundReport()

    async def save_tokens(connection_id: int, credentials: Credentials) -> None:
        await asyncio.to_thread(_save_tokens, connection_id, credentials, settings)

    own_http = http is None
    client = http or httpx.AsyncClient(
        timeout=HTTP_TIMEOUT,
        # Idle connections are dropped after 4 s, before servers that close theirs after 5 s
        # (Apache's and uvicorn's default) can close one just as it is reused, which fails
        # that poll with a RemoteProtocolError (seen in `python -m bench sync`).
        limits=httpx.Limits(
            max_connections=None, max_keepalive_connections=200, keepalive_expiry=4.0
        ),
    )
    now = utcnow()

    async def one(target: calendar_sync.PollTarget) -> calendar_sync.PollOutcome:
        async with limit:
            return await calendar_sync.poll_target(
                target,
                http=client,
                settings=settings,
                now=now,
                save_tokens=save_tokens,
                clock=utcnow,
            )

    ok = failed = reconnect = 0
    pending: list[calendar_sync.PollOutcome] = []

    async def flush() -> None:
        nonlocal ok, failed, reconnect, pending
        batch, pending = pending, []
        report = await asyncio.to_thread(_record, batch)
        ok, failed = ok + report.ok, failed + report.failed
        reconnect += report.reconnect_needed

    try:
        for finished in asyncio.as_completed([one(t) for t in targets]):
            pending.append(await finished)
            if len(pending) >= WRITE_BATCH:
                await flush()
        if pending:
            await flush()
    finally:
        if own_http:
            await client.aclose()
    return calendar_sync.RoundReport(ok=ok, failed=failed, reconnect_needed=reconnect)


async def poll_calendars(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron: one poll round, unless another worker's round is still running (a Redis lock
    that expires by itself if that worker died)."""
    redis = ctx.get("redis")
    if redis is not None and not await redis.set(ROUND_LOCK, "1", nx=True, ex=ROUND_LOCK_SECONDS):
        log.info("calendar sync: previous round still running")
        return {"ok": 0, "failed": 0, "reconnect_needed": 0}
    try:
        report = await poll_round()
    finally:
        if redis is not None:
            await redis.delete(ROUND_LOCK)
    if report.ok or report.failed or report.reconnect_needed:
        log.info(
            "calendar sync: %d ok, %d failed, %d reconnect needed",
            report.ok,
            report.failed,
            report.reconnect_needed,
        )
    return {"ok": report.ok, "failed": report.failed, "reconnect_needed": report.reconnect_needed}


async def poll_requested(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron, every few seconds: poll the connections an admin or user asked to "Sync now"
    (recorded in the database, so a request survives a worker or Redis restart)."""
    redis = ctx.get("redis")
    if redis is not None and not await redis.set(
        REQUESTED_LOCK, "1", nx=True, ex=REQUESTED_LOCK_SECONDS
    ):
        return {"ok": 0, "failed": 0, "reconnect_needed": 0}
    try:
        report = await poll_round(requested_only=True)
    finally:
        if redis is not None:
            await redis.delete(REQUESTED_LOCK)
    if report.ok or report.failed or report.reconnect_needed:
        log.info(
            "sync now: %d ok, %d failed, %d reconnect needed",
            report.ok,
            report.failed,
            report.reconnect_needed,
        )
    return {"ok": report.ok, "failed": report.failed, "reconnect_needed": report.reconnect_needed}
