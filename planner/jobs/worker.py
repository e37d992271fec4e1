"""ARQ WorkerSettings and tasks; run with `python -m planner.jobs` (needs PLANNER_REDIS_URL)."""

import asyncio
import logging
import os
import socket
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from planner.db import session_scope
from planner.jobs.calendar import POLL_SECONDS as CALENDAR_POLL_SECONDS
from planner.jobs.calendar import sweep_outbox, write_calendar_events
from planner.jobs.imports import POLL_SECONDS as IMPORT_POLL_SECONDS
from planner.jobs.imports import complete_candidate_erasures, run_calendar_imports
from planner.jobs.mail import POLL_SECONDS, deliver_outbox_mail
from planner.jobs.sync import REQUESTED_SECONDS, poll_calendars, poll_requested
from planner.jobs.webhooks import POLL_SECONDS as WEBHOOK_POLL_SECONDS
from planner.jobs.webhooks import deliver_webhooks
from planner.models.base import utcnow
from planner.services import auth, booking
from planner.settings import SettingsError, get_settings

log = logging.getLogger(__name__)


async def purge_expired_sessions(_ctx: dict[str, Any]) -> int:
    """Delete expired staff sessions and old sign-in attempts."""
    with session_scope() as session:
        removed = auth.purge_expired(session=session, now=utcnow())
    log.info("purged %d expired sessions", removed)
    return removed


async def expire_invitations(_ctx: dict[str, Any]) -> int:
    """Mark candidates' links that ran out before a booking as expired, so that staff
    views and webhooks-to-come read "expired" from the row; returns how many."""

    def expire() -> int:
        with session_scope() as session:
            return booking.expire_invitations(session=session, now=utcnow())

    expired = await asyncio.to_thread(expire)
    if expired:
        log.info("%d invitations expired", expired)
    return expired


def redis_settings() -> RedisSettings:
    """Where the job queue lives; the launcher fills PLANNER_REDIS_URL with the embedded
    Redis when none is configured."""
    url = get_settings().redis_url
    if not url:
        raise SettingsError(
            "PLANNER_REDIS_URL is not set: start the worker through `make run`, "
            "or point it at a Redis server"
        )
    return RedisSettings.from_dsn(url)


def health_check_key(name: str | None = None) -> str:
    """The Redis key a worker refreshes every `health_check_interval` seconds while its
    event loop runs: one per worker (`name`, default PLANNER_WORKER_NAME or the host name),
    so that one stuck worker is seen even while another on the same queue is healthy."""
    name = name or os.environ.get("PLANNER_WORKER_NAME") or socket.gethostname()
    return f"planner:worker-health:{name}"


def is_healthy(redis_url: str, name: str | None = None) -> bool:
    """Whether the worker `name` (see health_check_key) reported health within its last
    interval (the key expires one second after it). Raises redis.RedisError when Redis
    cannot be asked."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        return client.exists(health_check_key(name)) == 1
    finally:
        client.close()


async def startup(_ctx: dict[str, Any]) -> None:
    log.info("Planner worker started (env=%s)", get_settings().env)


class WorkerSettings:
    """The ARQ worker of Planner."""

    functions = [
        purge_expired_sessions,
        expire_invitations,
        deliver_outbox_mail,
        deliver_webhooks,
        write_calendar_events,
        poll_calendars,
        poll_requested,
        sweep_outbox,
        run_calendar_imports,
        complete_candidate_erasures,
    ]
    cron_jobs = [
        cron(purge_expired_sessions, minute={7}, run_at_startup=True),
        cron(expire_invitations, minute=set(range(3, 60, 10)), run_at_startup=True),
        # Services may also enqueue `deliver_outbox_mail` after committing, for no delay.
        cron(deliver_outbox_mail, second=set(POLL_SECONDS), run_at_startup=True, timeout=600),
        cron(deliver_webhooks, second=set(WEBHOOK_POLL_SECONDS), run_at_startup=True, timeout=600),
        cron(
            write_calendar_events,
            second=set(CALENDAR_POLL_SECONDS),
            run_at_startup=True,
            timeout=600,
        ),
        # Every minute; each connection is polled when its own interval has passed.
        cron(poll_calendars, second={30}, run_at_startup=True, timeout=900),
        cron(sweep_outbox, second={45}, run_at_startup=True),
        cron(
            run_calendar_imports, second=set(IMPORT_POLL_SECONDS), run_at_startup=True, timeout=900
        ),
        cron(complete_candidate_erasures, second={15}, run_at_startup=True),
        # "Sync now" requests, within seconds.
        cron(poll_requested, second=set(REQUESTED_SECONDS), run_at_startup=True, timeout=300),
    ]
    on_startup = startup
    max_tries = 10
    # Seconds between health reports (health_check_key); PLANNER_WORKER_HEALTH_SECONDS lets
    # tests of the launcher's supervision use a short one.
    health_check_interval = int(os.environ.get("PLANNER_WORKER_HEALTH_SECONDS") or 30)
