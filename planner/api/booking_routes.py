"""HTTP routes of the candidate's booking page: the page itself (server-rendered, so its
first paint shows the interview and the offered times), its forms (post, then redirect back
to the page with the outcome), the .ics download and the localised not-found page."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlencode

from anyio import CapacityLimiter, to_thread
from babel import Locale, UnknownLocaleError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from planner import routes
from planner.api import guards
from planner.db import session_scope
from planner.domain.vocabulary import LOCALES
from planner.i18n.dates import find_time_zone, is_time_zone
from planner.models.base import utcnow
from planner.pages.booking_page import render
from planner.services import booking, notifications
from planner.services.booking import Outcome
from planner.services.errors import InvalidInput
from planner.services.token_limits import unknown_tokens
from planner.settings import get_settings
from planner.state import booking_page as views

log = logging.getLogger(__name__)
T = TypeVar("T")

# Database work and rendering run in threads, in two lanes per web process. One Python
# process runs one thread at a time (the GIL): 40 threads (Starlette's default pool) working
# at once gain nothing over a few, and each request then takes as long as all of them
# together (a burst of 100 page views made a booking's 4 ms of work take 130 ms). Page views
# (and the .ics file) queue for a few threads; the candidate's actions (book, cancel, no time
# fits, preferences) have their own, so an answer a person waits for after pressing a button
# never queues behind a crowd opening pages.
PAGE_THREADS = CapacityLimiter(4)
ACTION_THREADS = CapacityLimiter(8)


async def in_thread(function: Callable[[], T], lane: CapacityLimiter) -> T:
    """`function()` in a worker thread of `lane` (PAGE_THREADS or ACTION_THREADS)."""
    return await to_thread.run_sync(function, limiter=lane)


# Room for a comment far over MAX_COMMENT in any script (4 URL-encoded bytes per character),
# so that it is read and refused with a message instead of being dropped.
MAX_FORM_BYTES = 512_000
MAX_TOKEN = 200
# The link carries a secret: never leak it to other sites, caches or search engines.
# ("same-origin", not "no-referrer": with no-referrer, browsers send `Origin: null` on the
# page's own form posts, which the cross-site check must refuse.)
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex",
}


def preferred_locale(accept_language: str | None) -> str:
    """The first of Planner's languages in an Accept-Language header (RFC 9110 §12.5.4,
    q-values honoured), English when none matches."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        try:
            language = Locale.parse(tag.strip().replace("-", "_")).language if tag else ""
        except (UnknownLocaleError, ValueError):
            continue
        language = {"no": "nb", "nn": "nb"}.get(language, language)
        if language in LOCALES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else "en"


def _same_origin(request: Request) -> bool:
    """Refuse cross-site form posts: the Origin (when the browser sends it) must be ours."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and origin.split("://", 1)[-1] == request.headers.get("host", "")


def _too_many_unknown(request: Request) -> Response | None:
    """429 with Retry-After when this address presented too many unknown links lately
    (guessing links costs the guesser, never candidates with real links)."""
    wait = unknown_tokens.blocked(guards.client_address(request))
    if not wait:
        return None
    locale = preferred_locale(request.headers.get("accept-language"))
    return HTMLResponse(
        render(views.dead_end("too_many", locale)),
        status_code=429,
        headers={**PRIVATE_HEADERS, "Retry-After": str(wait)},
    )


class ServerTiming:
    """Where one request's time went, for the `Server-Timing` response header (W3C): `wait`
    is the time spent waiting for a thread of the pool, `db` the time in the thread (database
    work and the Python around it), `total` the whole handler (ms). Tells a slow server from a
    slow network or client in the browser's developer tools and in the soak bench."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.wait = 0.0
        self.work = 0.0

    async def run(self, function: Callable[[], T], lane: CapacityLimiter) -> T:
        """`function()` in a worker thread of `lane`, timed."""
        asked = time.perf_counter()
        began = asked

        def timed() -> T:
            nonlocal began
            began = time.perf_counter()
            return function()

        try:
            return await in_thread(timed, lane)
        finally:
            ended = time.perf_counter()
            self.wait += began - asked
            self.work += ended - began

    def add_to(self, response: Response) -> Response:
        """`response` with the header added."""
        total = time.perf_counter() - self.started
        response.headers["Server-Timing"] = (
            f"wait;dur={self.wait * 1000:.1f}, db;dur={self.work * 1000:.1f}, "
            f"total;dur={total * 1000:.1f}"
        )
        return response


def _token(request: Request) -> str:
    return str(request.path_params["token"])[:MAX_TOKEN]


def _html(page: views.BookingPage, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(render(page), status_code=status_code, headers=PRIVATE_HEADERS)


def _back(token: str, **query: str) -> RedirectResponse:
    """303 to the link's page (Post/Redirect/Get), with the view or outcome to show."""
    clean = {k: v for k, v in query.items() if v}
    suffix = f"?{urlencode(clean)}" if clean else ""
    return RedirectResponse(f"/book/{token}{suffix}", status_code=303, headers=PRIVATE_HEADERS)


def _load_page(
    token: str, *, asked: str = "", done: str = "", zone_query: str = "", comment: str = ""
) -> views.BookingPage | None:
    """The page a link shows now (None: no such link); runs in a worker thread."""
    now = utcnow()
    with session_scope() as session:
        found = booking.candidate_view(session=session, token=token, now=now)
        if found is None:
            return None
        links = ("", "")
        if found.usable and found.booked is not None:
            booking_id = booking.active_booking_id(session=session, token=token)
            if booking_id is not None:
                links = notifications.booking_calendar_links(
                    session=session,
                    booking_id=booking_id,
                    link=routes.booking_url(get_settings().base_url, token),
                )
    return views.booking_page(
        found, token=token, asked=asked, done=done, zone_query=zone_query,
        calendar_links=links, comment=comment,
    )  # fmt: skip


async def booking_page(request: Request) -> Response:
    """GET /book/{token}: the view the link shows now, complete in the first response."""
    timing = ServerTiming()
    token = _token(request)
    refused = _too_many_unknown(request)
    if refused is not None:
        return refused
    asked = request.query_params.get("view", "")[:20]
    done = request.query_params.get("done", "")[:40]
    zone_query = request.query_params.get("q", "")[:100]

    def load() -> tuple[str, int] | None:
        page = _load_page(token, asked=asked, done=done, zone_query=zone_query)
        if page is None:
            return None
        # Rendered in the thread too: the event loop only passes requests on.
        return render(page), 410 if page.view in ("expired", "withdrawn") else 200

    found = await timing.run(load, PAGE_THREADS)
    if found is None:
        unknown_tokens.miss(guards.client_address(request))
        locale = preferred_locale(request.headers.get("accept-language"))
        return _html(views.dead_end("invalid", locale), status_code=404)
    body, status = found
    return timing.add_to(HTMLResponse(body, status_code=status, headers=PRIVATE_HEADERS))


async def _form(request: Request) -> dict[str, str] | None:
    if not _same_origin(request):
        return None
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return None
    form = await request.form()
    return {key: str(value)[:MAX_FORM_BYTES] for key, value in form.items()}


async def book(request: Request) -> Response:
    """POST /book/{token}/book with `slot`: book that offered time."""
    timing = ServerTiming()
    token = _token(request)
    form = await _form(request)
    if form is None:
        return _back(token)
    try:
        slot_id = int(form.get("slot", ""))
    except ValueError:
        return _back(token, done="choose_time")

    def attempt() -> booking.Result:
        with session_scope() as session:
            try:
                return booking.book(session=session, token=token, slot_id=slot_id, now=utcnow())
            except InvalidInput:
                return booking.Result(Outcome.SLOT_UNAVAILABLE)

    result = await timing.run(attempt, ACTION_THREADS)
    done = {
        Outcome.BOOKED: "booked",
        Outcome.SLOT_TAKEN: "taken",
        Outcome.SLOT_UNAVAILABLE: "unavailable",
        Outcome.ALREADY_BOOKED: "already_booked",
    }.get(result.outcome, "")
    return timing.add_to(_back(token, done=done))


def _comment_route(action, view: str):  # type: ignore[no-untyped-def]
    async def handle(request: Request) -> Response:
        token = _token(request)
        form = await _form(request)
        if form is None:
            return _back(token)
        comment = form.get("comment", "")

        def attempt() -> booking.Result | str:
            with session_scope() as session:
                try:
                    return action(session=session, token=token, comment=comment, now=utcnow())
                except InvalidInput:
                    return "comment_required" if not comment.strip() else "comment_too_long"

        result = await in_thread(attempt, ACTION_THREADS)
        if isinstance(result, str):
            # Shown at once with what the candidate wrote, so a too-long comment is not lost.
            page = await in_thread(
                lambda: _load_page(token, asked=view, done=result, comment=comment),
                ACTION_THREADS,
            )
            if page is None:
                return _back(token)
            return _html(page, status_code=422)
        done = {
            Outcome.CANCELLED: "cancelled",
            Outcome.COMMENTED: "commented",
            Outcome.NOT_BOOKED: "not_booked",
            Outcome.ALREADY_BOOKED: "already_booked",
        }.get(result.outcome, "")
        return _back(token, done=done)

    return handle


async def preferences(request: Request) -> Response:
    """POST /book/{token}/prefs with `lang`, `zone` or `zone_query` (and `next`, the view to
    return to): remember the choice for this link."""
    token = _token(request)
    form = await _form(request)
    if form is None:
        return _back(token)
    back_to = form.get("next", "") if form.get("next", "") in views.ASKED_VIEWS else ""
    locale = form.get("lang") or None
    zone = form.get("zone") or None
    query = form.get("zone_query", "").strip()[:100]
    if query and zone is None:
        if is_time_zone(query):
            zone = query
        else:

            def search() -> list[str]:
                with session_scope() as session:
                    found = booking.candidate_view(session=session, token=token, now=utcnow())
                language = found.locale if found else "en"
                return find_time_zone(query, locale=language)

            matches = await in_thread(search, ACTION_THREADS)
            if len(matches) != 1:
                return _back(token, view="zone", q=query, done="" if matches else "zone_unknown")
            zone = matches[0]
    if zone is not None and back_to == "zone":
        back_to = ""

    def save() -> None:
        with session_scope() as session:
            booking.set_page_preferences(
                session=session, token=token, locale=locale, time_zone=zone
            )

    try:
        await in_thread(save, ACTION_THREADS)
    except InvalidInput as exc:
        log.info("booking page preference refused: %s", exc.field)
        return (
            _back(token, view="zone", done="zone_unknown")
            if exc.field == "time_zone"
            else (_back(token))
        )
    return _back(token, view=back_to)


async def booking_calendar_file(request: Request) -> Response:
    """GET /book/{token}/interview.ics: the booked interview for "add to calendar"."""
    token = _token(request)
    refused = _too_many_unknown(request)
    if refused is not None:
        return refused

    def load() -> bytes | None:
        with session_scope() as session:
            booking_id = booking.active_booking_id(session=session, token=token)
            if booking_id is None:
                return None
            link = routes.booking_url(get_settings().base_url, token)
            return notifications.booking_ics(session=session, booking_id=booking_id, link=link)

    body = await in_thread(load, PAGE_THREADS)
    if body is None:
        unknown_tokens.miss(guards.client_address(request))
        locale = preferred_locale(request.headers.get("accept-language"))
        return _html(views.dead_end("not_found", locale), status_code=404)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="interview.ics"', **PRIVATE_HEADERS},
    )


async def not_found(request: Request) -> Response:
    """Any other address under /book/: the not-found page in the reader's language."""
    locale = preferred_locale(request.headers.get("accept-language"))
    return _html(views.dead_end("not_found", locale), status_code=404)


def booking_routes() -> list[Route]:
    """The candidate page's routes, to be served before the Reflex frontend."""
    return [
        Route("/book/{token}", booking_page, methods=["GET", "HEAD"]),
        Route("/book/{token}/", booking_page, methods=["GET", "HEAD"]),
        Route("/book/{token}/interview.ics", booking_calendar_file, methods=["GET"]),
        Route("/book/{token}/book", book, methods=["POST"]),
        Route("/book/{token}/cancel", _comment_route(booking.cancel, "cancel"), methods=["POST"]),
        Route("/book/{token}/no-fit", _comment_route(booking.no_fit, "no-fit"), methods=["POST"]),
        Route("/book/{token}/prefs", preferences, methods=["POST"]),
        Route("/book/{rest:path}", not_found, methods=["GET", "HEAD"]),
    ]
