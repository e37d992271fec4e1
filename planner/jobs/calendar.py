"""ARQ tasks that write booked interviews into calendars, remove them, and sweep expired leases."""

import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx

from planner.db import session_scope
from planner.integrations.calendar.base import (
    AuthExpired,
    Conflict,
    Credentials,
    EventRef,
    RateLimited,
)
from planner.integrations.calendar.registry import provider_for
from planner.integrations.errors import IntegrationError
from planner.integrations.meetings.zoom import ZoomMeetings
from planner.logs import ACTIVITY
from planner.models.base import utcnow
from planner.services import calendar_events, calendar_sync, notifications
from planner.services.calendar_events import CalendarWork, WorkResult
from planner.services.notifications import MAIL_KIND
from planner.settings import Settings, get_settings

log = logging.getLogger(__name__)
activity = logging.getLogger(f"{ACTIVITY}.calendar")

# Seconds of every minute at which the worker looks for due calendar rows: often, so that a
# booking shows in the calendars within seconds.
POLL_SECONDS = frozenset(range(0, 60, 2))
CONCURRENCY = 10


def _claim(settings: Settings) -> list[CalendarWork]:
    now = utcnow()
    lease = timedelta(seconds=settings.calendar_lease_seconds)
    work = []
    with session_scope() as session:
        # Bookings record one outbox row each; expanding it makes their calendar rows.
        notifications.render_requested(session=session)
        for row_id in calendar_events.claim_due(session=session, now=now, lease=lease):
            prepared = calendar_events.prepare(session=session, row_id=row_id, settings=settings)
            session.rollback()
            if prepared is not None:
                work.append(prepared)
    return work


def _finish(result: WorkResult) -> str:
    with session_scope() as session:
        return calendar_events.finish(session=session, result=result, now=utcnow())


def _save_tokens(connection_id: int, credentials: Credentials, settings: Settings) -> None:
    with session_scope() as session:
        calendar_sync.save_refreshed_tokens(
            session=session, connection_id=connection_id, credentials=credentials, settings=settings
        )


def _save_zoom(row_id: int, meeting_id: str, join_url: str) -> None:
    with session_scope() as session:
        calendar_events.save_zoom_meeting(
            session=session, row_id=row_id, meeting_id=meeting_id, join_url=join_url
        )


def _saver(connection_id: int, credentials: Credentials, settings: Settings):  # type: ignore[no-untyped-def]
    current = credentials

    async def save(tokens):  # type: ignore[no-untyped-def]
        nonlocal current
        from dataclasses import replace

        current = replace(current, tokens=tokens)
        await asyncio.to_thread(_save_tokens, connection_id, current, settings)

    return save


async def carry_out(
    work: CalendarWork, *, http: httpx.AsyncClient, settings: Settings
) -> WorkResult:
    """Make the provider calls for one prepared row; no database work here (only the token
    and Zoom-meeting savers, each its own short commit)."""
    if work.skip is not None or work.wait:
        return WorkResult(work)
    if work.unreadable or work.credentials is None:
        return WorkResult(
            work,
            error=work.unreadable or "no credentials",
            auth_expired_connection=work.connection_id,
        )
    assert work.connection_id is not None
    provider = provider_for(
        work.provider,
        credentials=work.credentials,
        http=http,
        save_tokens=_saver(work.connection_id, work.credentials, settings),
        settings=settings,
        server_url=work.server_url,
        time_zone=work.time_zone,
        owner_email=work.owner_email,
    )
    failing_connection = work.connection_id
    try:
        calendar_id = work.calendar_id
        if not calendar_id:
            calendars = await provider.list_calendars()
            primary = next((c for c in calendars if c.primary), calendars[0] if calendars else None)
            if primary is None:
                return WorkResult(work, error="the account has no calendar")
            calendar_id = primary.id
        if work.action == calendar_events.DELETE:
            if work.external_event_id is not None:  # else only its Zoom meeting is left
                await provider.delete_event(
                    calendar_id, EventRef(external_id=work.external_event_id, etag=work.etag)
                )
            if work.zoom_meeting_id and work.zoom_credentials and work.zoom_connection_id:
                failing_connection = work.zoom_connection_id
                zoom = ZoomMeetings(
                    http=http,
                    credentials=work.zoom_credentials,
                    save_tokens=_saver(work.zoom_connection_id, work.zoom_credentials, settings),
                    settings=settings,
                )
                await zoom.delete_meeting(work.zoom_meeting_id)
            return WorkResult(work)
        if work.action == calendar_events.UPDATE:
            assert work.external_event_id is not None and work.event is not None
            try:
                ref = await provider.update_event(
                    calendar_id,
                    EventRef(external_id=work.external_event_id, etag=work.etag),
                    work.event,
                )
            except Conflict:
                # Attendees' answers change the etag too; staff's change must still win.
                ref = await provider.update_event(
                    calendar_id, EventRef(external_id=work.external_event_id), work.event
                )
            if work.zoom_meeting_id and work.zoom_credentials and work.zoom_connection_id:
                failing_connection = work.zoom_connection_id
                zoom = ZoomMeetings(
                    http=http,
                    credentials=work.zoom_credentials,
                    save_tokens=_saver(work.zoom_connection_id, work.zoom_credentials, settings),
                    settings=settings,
                )
                if not await zoom.update_topic(work.zoom_meeting_id, work.event.title):
                    log.info("zoom meeting %s keeps its topic (gone, or no update scope)",
                             work.zoom_meeting_id)  # fmt: skip
            return WorkResult(work, external_event_id=ref.external_id, etag=ref.etag)
        event = work.event
        assert event is not None
        if work.zoom_credentials is not None and work.zoom_connection_id is not None:
            failing_connection = work.zoom_connection_id
            zoom = ZoomMeetings(
                http=http,
                credentials=work.zoom_credentials,
                save_tokens=_saver(work.zoom_connection_id, work.zoom_credentials, settings),
                settings=settings,
            )
            meeting = await zoom.create_meeting(topic=event.title, start=event.start, end=event.end)
            await asyncio.to_thread(
                _save_zoom, work.row_id, meeting.external_id or "", meeting.join_url
            )
            from dataclasses import replace

            event = replace(event, meeting_url=meeting.join_url, location=meeting.join_url)
            failing_connection = work.connection_id
        ref = await provider.create_event(calendar_id, event)
        return WorkResult(
            work,
            external_event_id=ref.external_id,
            etag=ref.etag,
            meeting_url=ref.meeting_url or event.meeting_url,
        )
    except AuthExpired as exc:
        return WorkResult(work, error=exc.message, auth_expired_connection=failing_connection)
    except RateLimited as exc:
        return WorkResult(work, error=exc.message, retryable=True, retry_after=exc.retry_after)
    except IntegrationError as exc:
        return WorkResult(work, error=exc.message, retryable=exc.retryable)
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()


async def run_due(
    *,
    settings: Settings | None = None,
    http: httpx.AsyncClient | None = None,
    max_batches: int = 10,
) -> dict[str, int]:
    """Claim and carry out due calendar rows, a few at a time, until none is due."""
    settings = settings or get_settings()
    totals = {"done": 0, "retry": 0, "given_up": 0}
    limit = asyncio.Semaphore(CONCURRENCY)
    own_http = http is None
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))

    async def one(work: CalendarWork) -> None:
        async with limit:
            result = await carry_out(work, http=client, settings=settings)
        outcome = await asyncio.to_thread(_finish, result)
        activity.info("Calendar %s (%s, outbox %s): %s", work.action, work.provider or "-",
                      work.row_id, outcome)  # fmt: skip
        totals[outcome] += 1

    try:
        for _ in range(max_batches):
            batch = await asyncio.to_thread(_claim, settings)
            if not batch:
                break
            await asyncio.gather(*(one(work) for work in batch))
            if len(batch) < calendar_events.BATCH_SIZE:
                break
    finally:
        if own_http:
            await client.aclose()
    return totals


async def write_calendar_events(_ctx: dict[str, Any]) -> dict[str, int]:
    """Cron (and enqueued after bookings): carry out due calendar rows of the outbox."""
    totals = await run_due()
    if totals["done"] or totals["retry"] or totals["given_up"]:
        log.info(
            "calendar events: %d done, %d to retry, %d given up",
            totals["done"],
            totals["retry"],
            totals["given_up"],
        )
    return totals


def _expired() -> dict[str, int]:
    with session_scope() as session:
        return calendar_events.expired_leases(
            session=session, now=utcnow(), kinds=(MAIL_KIND, calendar_events.CALENDAR_KIND)
        )


async def sweep_outbox(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron: find outbox rows that were claimed but not finished (their worker died, or a
    queued job was lost with Redis) and whose lease has passed, and enqueue the job that
    delivers them at once instead of waiting for its next tick."""
    counts = await asyncio.to_thread(_expired)
    redis = ctx.get("redis")
    if redis is not None:
        if counts.get(MAIL_KIND):
            await redis.enqueue_job("deliver_outbox_mail")
        if counts.get(calendar_events.CALENDAR_KIND):
            await redis.enqueue_job("write_calendar_events")
    if any(counts.values()):
        log.info("outbox sweep: re-enqueued %s", counts)
    return counts
