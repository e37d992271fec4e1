"""OAuth start and callback routes: connect Google or Microsoft 365 from a sync-invitation link."""

import logging
from urllib.parse import urlencode

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from planner.db import session_scope
from planner.integrations.calendar.base import (
    AuthExpired,
    CalendarInfo,
    Credentials,
    OAuthTokens,
    ProviderError,
)
from planner.integrations.calendar.oauth import (
    OAuthStateMismatch,
    endpoints_for,
    exchange_code,
    start_authorization,
)
from planner.integrations.calendar.registry import provider_for
from planner.models.base import utcnow
from planner.services import connections
from planner.services.connections import OAuthClaim
from planner.settings import Settings, get_settings

log = logging.getLogger(__name__)

OAUTH_PROVIDERS = ("google", "microsoft")
# Binds a started sign-in to the browser that started it (login-CSRF defence).
LINK_COOKIE = "planner_oauth_link"
COOKIE_PATH = "/oauth/"
HTTP_TIMEOUT = httpx.Timeout(15.0)


def oauth_configured(provider: str, settings: Settings) -> bool:
    """Whether Planner has an OAuth client for `provider` (otherwise it offers no button)."""
    if provider not in OAUTH_PROVIDERS:
        return False
    return bool(endpoints_for(provider, settings).client_id)


def start_path(provider: str, token: str) -> str:
    """Where the connect page's "Connect …" button leads."""
    return f"/oauth/{provider}/start?{urlencode({'token': token})}"


def callback_url(provider: str, settings: Settings) -> str:
    """The redirect URI registered with the provider."""
    return f"{settings.base_url}/oauth/{provider}/callback"


def connect_page(token: str, **query: str) -> str:
    """The connect page of a sync-invitation link, with a result code in the query."""
    return f"/connect/{token}?{urlencode(query)}" if query else f"/connect/{token}"


def _redirect(location: str) -> RedirectResponse:
    response = RedirectResponse(location, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _no_link() -> Response:
    return PlainTextResponse(
        "This sign-in answer cannot be used. Open the link in your invitation e-mail and "
        "start again.",
        status_code=400,
        headers={"Cache-Control": "no-store"},
    )


async def oauth_start(request: Request) -> Response:
    """GET /oauth/{provider}/start?token=: remember state and PKCE verifier, go to the provider."""
    settings = get_settings()
    provider = str(request.path_params["provider"])
    token = str(request.query_params.get("token", ""))[:200]
    if not token:
        return _no_link()
    if not oauth_configured(provider, settings):
        return _redirect(connect_page(token, error="provider_off"))

    def begin() -> str | None:
        now = utcnow()
        with session_scope() as session:
            invitee = connections.invitee_for(session=session, token=token, now=now)
            if invitee is None:
                return None
            authorization = start_authorization(
                endpoints_for(provider, settings),
                redirect_uri=callback_url(provider, settings),
                login_hint=invitee.email or None,
            )
            connections.record_oauth_state(
                session=session,
                invitee=invitee,
                provider=provider,
                state=authorization.state,
                code_verifier=authorization.code_verifier,
                link_token=token,
                settings=settings,
                now=now,
            )
            return authorization.url

    url = await run_in_threadpool(begin)
    if url is None:
        return _redirect(connect_page(token))  # the page says the link is not valid
    response = _redirect(url)
    response.set_cookie(
        LINK_COOKIE,
        token,
        max_age=connections.OAUTH_STATE_MINUTES * 60,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def _primary_calendar(
    provider: str, tokens: OAuthTokens, http: httpx.AsyncClient, settings: Settings
) -> tuple[CalendarInfo | None, OAuthTokens]:
    """The calendar to sync and the newest tokens (listing may refresh them)."""
    latest = [tokens]

    async def keep(fresh: OAuthTokens) -> None:
        latest.append(fresh)

    calendars = await provider_for(
        provider,
        credentials=Credentials(tokens=tokens),
        http=http,
        save_tokens=keep,
        settings=settings,
    ).list_calendars()
    chosen = next((c for c in calendars if c.primary), calendars[0] if calendars else None)
    return chosen, latest[-1]


async def oauth_callback(request: Request) -> Response:
    """GET /oauth/{provider}/callback?state=&code= (or error=): check the state (once), exchange
    the code, pick the calendar and save the connection; any failure saves nothing."""
    settings = get_settings()
    provider = str(request.path_params["provider"])
    params = request.query_params
    state = str(params.get("state", ""))
    browser_token = request.cookies.get(LINK_COOKIE)
    if provider not in OAUTH_PROVIDERS:
        return _no_link()

    def claim() -> OAuthClaim:
        with session_scope() as session:
            return connections.claim_oauth_state(
                session=session,
                provider=provider,
                state=state,
                browser_link_token=browser_token,
                settings=settings,
                now=utcnow(),
            )

    claimed = await run_in_threadpool(claim)
    if claimed.outcome == "unknown":
        log.info("%s callback with an unknown state", provider)
        return (
            _redirect(connect_page(browser_token, error="state")) if browser_token else _no_link()
        )
    token = claimed.link_token
    if claimed.outcome != "ok":
        log.info("%s callback with a %s state", provider, claimed.outcome)
        return _redirect(connect_page(token, error=claimed.outcome))
    if params.get("error"):
        log.info("%s sign-in not completed (%s)", provider, str(params["error"])[:60])
        return _redirect(connect_page(token, error="denied"))

    def invitee() -> connections.Invitee | None:
        with session_scope() as session:
            return connections.invitee_for(session=session, token=token, now=utcnow())

    found = await run_in_threadpool(invitee)
    if found is None:
        return _redirect(connect_page(token))
    endpoints = endpoints_for(provider, settings)
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            tokens = await exchange_code(
                endpoints,
                http=http,
                expected_state=state,
                returned_state=state,
                code=params.get("code"),
                code_verifier=claimed.code_verifier,
                redirect_uri=callback_url(provider, settings),
            )
            calendar, tokens = await _primary_calendar(provider, tokens, http, settings)
    except OAuthStateMismatch:
        return _redirect(connect_page(token, error="state"))
    except AuthExpired:
        log.info("%s refused the code of staff user %s", provider, found.staff_user_id)
        return _redirect(connect_page(token, error="grant"))
    except ProviderError as exc:
        log.warning("%s sign-in of staff user %s failed: %s", provider, found.staff_user_id,
                    type(exc).__name__)  # fmt: skip
        return _redirect(connect_page(token, error="provider"))
    if calendar is None:
        return _redirect(connect_page(token, error="no_calendar"))
    external = calendar.id if provider == "google" and "@" in calendar.id else found.email

    def save() -> None:
        with session_scope() as session:
            connections.save_connection(
                session=session,
                invitee=found,
                provider=provider,
                credentials=Credentials(tokens=tokens),
                settings=settings,
                now=utcnow(),
                calendar_id=calendar.id,
                external_account=external,
            )

    await run_in_threadpool(save)
    # The cookie stays until it expires: a replayed callback from this browser is then told
    # that the sign-in was used, instead of getting a bare error page.
    return _redirect(connect_page(token, connected=provider))


def oauth_routes() -> list[Route]:
    """The OAuth routes, for build_api()."""
    return [
        Route("/oauth/{provider}/start", oauth_start, methods=["GET"]),
        Route("/oauth/{provider}/callback", oauth_callback, methods=["GET"]),
    ]
