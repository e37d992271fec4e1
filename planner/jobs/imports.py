"""ARQ tasks of the previous calendar and of GDPR erasures: run queued .ics imports, and
finish erasures once their notices are delivered."""

import asyncio
import logging
from typing import Any

from planner.db import session_scope
from planner.models.base import utcnow
from planner.services import previous_calendar, privacy

log = logging.getLogger(__name__)

# Seconds of every minute at which the worker looks for queued imports.
POLL_SECONDS = frozenset(range(2, 60, 5))


def _run_imports() -> int:
    with session_scope() as session:
        return previous_calendar.run_due_imports(session=session, now=utcnow())


def _complete_erasures() -> int:
    with session_scope() as session:
        return privacy.complete_erasures(session=session, now=utcnow())


async def run_calendar_imports(_ctx: dict[str, Any]) -> int:
    """Cron: run queued imports of previous calendars (database work in a thread)."""
    ran = await asyncio.to_thread(_run_imports)
    if ran:
        log.info("calendar imports: %d run", ran)
    return ran


async def complete_candidate_erasures(_ctx: dict[str, Any]) -> int:
    """Cron: empty the delivered notices of candidate erasures and mark them complete."""
    completed = await asyncio.to_thread(_complete_erasures)
    if completed:
        log.info("candidate erasures completed: %d", completed)
    return completed
