"""The Starlette app mounted in front of Reflex (api_transformer)."""

import logging
from http.cookies import SimpleCookie

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from planner import routes
from planner.api import guards
from planner.api.booking_routes import booking_routes
from planner.api.oauth_routes import oauth_routes
from planner.api.v1.app import PREFIX as API_V1
from planner.api.v1.app import build_v1
from planner.db import session_scope
from planner.models.base import utcnow
from planner.services import auth
from planner.services.errors import SignInRefused, SignInThrottled
from planner.settings import get_settings

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 10_000


def session_token_from_cookie_header(header: str | None) -> str | None:
    """The session token in a raw Cookie header, or None (malformed headers included)."""
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except (KeyError, ValueError):
        return None
    morsel = jar.get(routes.SESSION_COOKIE)
    return morsel.value if morsel else None


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


async def sign_in(request: Request) -> Response:
    """POST /auth/signin from the sign-in form: set the session cookie and go on."""
    if not guards.same_origin(request):
        return _redirect(routes.sign_in_url(error="origin"))
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return _redirect(routes.sign_in_url(error="invalid"))
    form = await request.form()
    email = str(form.get("email") or "")[:320]
    password = str(form.get("password") or "")[:1000]
    next_path = routes.safe_next_path(str(form.get("next") or ""))
    if not email or not password:
        return _redirect(routes.sign_in_url(next_path=next_path, error="missing"))

    def attempt() -> auth.SignedIn:
        with session_scope() as session:
            return auth.sign_in(
                session=session,
                email=email,
                password=password,
                now=utcnow(),
                client_address=guards.client_address(request),
                user_agent=request.headers.get("user-agent", ""),
            )

    try:
        signed_in = await run_in_threadpool(attempt)
    except SignInThrottled:
        return _redirect(routes.sign_in_url(next_path=next_path, error="throttled"))
    except SignInRefused:
        return _redirect(routes.sign_in_url(next_path=next_path, error="invalid"))
    response = _redirect(next_path)
    response.set_cookie(
        routes.SESSION_COOKIE,
        signed_in.token,
        max_age=auth.SESSION_ABSOLUTE_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=guards.cookie_secure(request),
        path="/",
    )
    return response


async def sign_out(request: Request) -> Response:
    """POST /auth/signout: end the server-side session and clear the cookie. A post from
    another site (no same-origin proof) changes nothing: it must not sign anyone out."""
    if not guards.same_origin(request):
        return _redirect("/")
    token = session_token_from_cookie_header(request.headers.get("cookie"))
    if token:

        def end() -> None:
            with session_scope() as session:
                auth.sign_out(session=session, token=token)

        await run_in_threadpool(end)
    response = _redirect(routes.sign_in_url(error="signed_out"))
    response.delete_cookie(
        routes.SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=guards.cookie_secure(request),
    )
    return response


async def health(_request: Request) -> Response:
    """GET /healthz: the database answers."""

    def ping() -> None:
        with session_scope() as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]

    try:
        await run_in_threadpool(ping)
    except SQLAlchemyError as exc:
        log.warning("health check failed: %s", type(exc).__name__)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "env": get_settings().env})


def build_api() -> Starlette:
    """The routes Planner serves beside the Reflex pages."""
    return Starlette(
        routes=[
            Route(routes.AUTH_SIGN_IN, sign_in, methods=["POST"]),
            Route(routes.AUTH_SIGN_OUT, sign_out, methods=["POST"]),
            Route(routes.HEALTH, health, methods=["GET"]),
            Mount(API_V1, app=guards.BodySizeLimit(build_v1())),
            *booking_routes(),
            *oauth_routes(),
        ]
    )
