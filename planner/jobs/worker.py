"""ARQ WorkerSettings and tasks; run with `python -m planner.jobs` (needs PLANNER_REDIS_URL)."""

import logging
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from planner.db import session_scope
from planner.jobs.mail import POLL_SECONDS, deliver_outbox_mail
from planner.models.base import utcnow
from planner.services import auth
from planner.settings import SettingsError, get_settings

log = logging.getLogger(__name__)


async def purge_expired_sessions(_ctx: dict[str, Any]) -> int:
    """Delete expired staff sessions and old sign-in attempts."""
    with session_scope() as session:
        removed = auth.purge_expired(session=session, now=utcnow())
    log.info("purged %d expired sessions", removed)
    return removed


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


async def startup(_ctx: dict[str, Any]) -> None:
    log.info("Planner worker started (env=%s)", get_settings().env)


class WorkerSettings:
    """The ARQ worker of Planner."""

    functions = [purge_expired_sessions, deliver_outbox_mail]
    cron_jobs = [
        cron(purge_expired_sessions, minute={7}, run_at_startup=True),
        # Services may also enqueue `deliver_outbox_mail` after committing, for no delay.
        cron(deliver_outbox_mail, second=set(POLL_SECONDS), run_at_startup=True, timeout=600),
    ]
    on_startup = startup
    max_tries = 10
    health_check_interval = 30
