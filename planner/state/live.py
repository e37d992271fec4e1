"""Live pages: a background loop per browser tab that polls the account's activity marker
and lets the page refill itself when a booking, cancellation, comment or staff action happened.

One loop per tab: a page starts it from its load event unless one is already beating; a newer
loop makes an older one stop. The loop stops when the tab shows another page, when the tab has
been disconnected for a while, or when the session ends."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from planner.api.app import session_token_from_cookie_header
from planner.db import session_scope
from planner.models.base import utcnow
from planner.services import auth, interview_overview
from planner.services.actor import Actor

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
# A loop whose tab has had no connection for this long stops (a closed tab).
DISCONNECTED_LIMIT = 60.0
# load() starts a new loop when the last one has not beaten for this long (e.g. a restart).
SILENT_LIMIT = 2 * POLL_SECONDS + 1.0


def actor_from_cookie(cookie: str) -> Actor | None:
    """The signed-in staff user of a Cookie header (blocking DB read; run it in a thread)."""
    token = session_token_from_cookie_header(cookie)
    if token is None:
        return None
    with session_scope() as session:
        return auth.resolve_session(session=session, token=token, now=utcnow())


def activity_marker(actor: Actor) -> int:
    """The account's activity marker (blocking DB read; run it in a thread)."""
    with session_scope() as session:
        return interview_overview.activity_marker(session=session, actor=actor)


def needs_watch(state: Any) -> bool:
    """Whether load() should start a loop: none runs for this tab, or it went silent.

    Only a running loop marks the tab as watched: a loop that never started (its page-load
    chain was cancelled by a reload) must not keep the next load from starting one. Two
    loads in a row may start two loops; the newer one stops the older at its next tick."""
    return not state._watching or time.time() - state._watch_beat > SILENT_LIMIT


def _tab_connected(token: str) -> bool:
    try:
        from planner.planner import app  # the running app (imported at start-up)
    except ImportError:  # pragma: no cover - only outside the app
        return True
    namespace = app.event_namespace
    return namespace is None or token in namespace.token_to_sid


async def watch_activity(
    state: Any,
    *,
    on_page: Callable[[str], bool],
    refresh: Callable[[Actor], Awaitable[None]],
) -> None:
    """The body of a page's background `watch` event: every POLL_SECONDS, while the tab shows
    a page `on_page` accepts (its path), compare the activity marker with the one the page
    was filled at (`state._marker`) and, when it changed, await `refresh(actor)` (which must
    take the state's lock itself for as short as it can). Never holds the lock during DB work."""
    async with state:
        state._watch_run += 1
        run = state._watch_run
        state._watching = True
        state._watch_beat = time.time()
    disconnected_since: float | None = None
    try:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            async with state:
                if state._watch_run != run or not on_page(state.router.url.path):
                    return
                state._watch_beat = time.time()
                cookie = state.router.headers.cookie
                token = state.router.session.client_token
                seen = state._marker
            if not _tab_connected(token):
                disconnected_since = disconnected_since or time.time()
                if time.time() - disconnected_since > DISCONNECTED_LIMIT:
                    return
                continue
            disconnected_since = None
            try:
                actor = await asyncio.to_thread(actor_from_cookie, cookie)
                if actor is None:
                    return
                marker = await asyncio.to_thread(activity_marker, actor)
                if marker == seen:
                    continue
                async with state:
                    state._marker = marker
                await refresh(actor)
            except Exception:
                # A passing failure (a locked or lost database) must not end the tab's live
                # updates until a reload: the next tick tries again from the marker seen.
                log.warning("live update of %s failed; trying again", state.router.url.path,
                            exc_info=True)  # fmt: skip
                async with state:
                    state._marker = seen
    finally:
        async with state:
            if state._watch_run == run:
                state._watching = False
