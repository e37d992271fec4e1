"""Fake provider servers for tests: real HTTP on loopback, fault injection, an OAuth issuer."""

import asyncio
import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fakes.radicale import free_port


@dataclass
class Fault:
    """One injected misbehaviour for requests whose path contains `path`."""

    path: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    garbage: bool = False
    body: Any = None
    times: int = 1


class FaultInjector:
    """ASGI wrapper: answers the next matching requests with a fault instead of the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path in path and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests.append((scope["method"], scope["path"]))
        fault = self._take(scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.garbage:
            response: Response = Response(
                b"<html>\x00not json{", status_code=fault.status or 200, media_type="text/html"
            )
        elif fault.status is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            response = JSONResponse(
                fault.body or {"error": {"code": fault.status, "message": "injected"}},
                status_code=fault.status,
                headers=headers,
            )
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


KEEP_ALIVE_SECONDS = 75


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on a free loopback port; yields its URL."""
    port = free_port()
    # Idle connections stay open well beyond httpx's 5 s keepalive_expiry, as the real
    # providers' front ends keep them: with uvicorn's default (also 5 s) the fake closed a
    # connection at the moment the client reused it ("Server disconnected without sending a
    # response", 1 of 1,000 polls on a busy machine).
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636), computed independently of authlib."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    used: bool = False


@dataclass
class OAuthIssuer:
    """An authorization server: /authorize issues codes bound to a PKCE challenge, the token
    endpoint exchanges each code once and refreshes; `invalid_grant` on misuse."""

    client_id: str = "planner-client"
    client_secret: str = "planner-secret"  # noqa: S105 - a test double
    expires_in: int = 3600
    rotate_refresh_tokens: bool = False
    basic_client_auth: bool = False
    codes: dict[str, _Code] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    refresh_count: int = 0
    revoked_tokens: list[str] = field(default_factory=list)

    def issue(self, *, scope: str = "") -> dict[str, Any]:
        """Fresh tokens, as the token endpoint answers them."""
        access = "at-" + secrets.token_hex(8)
        refresh = "rt-" + secrets.token_hex(8)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
            "scope": scope,
        }

    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def revoke(self) -> None:
        self.access_tokens.clear()
        self.refresh_tokens.clear()

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.access_tokens

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = "code-" + secrets.token_hex(8)
        self.codes[code] = _Code(
            client_id=params.get("client_id", ""),
            redirect_uri=params.get("redirect_uri", ""),
            challenge=params["code_challenge"],
            scope=params.get("scope", ""),
        )
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params.get('redirect_uri')}?{query}", status_code=302)

    def _client_ok(self, request: Request, form: Any) -> bool:
        if self.basic_client_auth:
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            return request.headers.get("authorization") == f"Basic {expected}"
        return form.get("client_id") == self.client_id

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = self.codes.get(str(form.get("code")))
            if (
                code is None
                or code.used
                or code.redirect_uri != form.get("redirect_uri")
                or code.challenge != s256(str(form.get("code_verifier", "")))
            ):
                if code is not None:
                    code.used = True
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            code.used = True
            return JSONResponse(self.issue(scope=code.scope))
        if grant == "refresh_token":
            refresh = str(form.get("refresh_token"))
            if refresh not in self.refresh_tokens:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "Token has been revoked."},
                    status_code=400,
                )
            self.refresh_count += 1
            answer = self.issue()
            if self.rotate_refresh_tokens:
                self.refresh_tokens.discard(refresh)
            else:
                self.refresh_tokens.discard(answer.pop("refresh_token"))
            return JSONResponse(answer)
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    async def revoke_endpoint(self, request: Request) -> Response:
        """Google's revocation endpoint: a refresh token revokes the whole grant (its access
        tokens too); an unknown token is 400 invalid_token."""
        token = str((await request.form()).get("token", ""))
        if token in self.refresh_tokens:
            self.revoked_tokens.append(token)
            self.revoke()
            return Response(status_code=200)
        if token in self.access_tokens:
            self.revoked_tokens.append(token)
            self.access_tokens.discard(token)
            return Response(status_code=200)
        return JSONResponse({"error": "invalid_token"}, status_code=400)


def unauthorized() -> Response:
    return JSONResponse(
        {"error": {"code": 401, "message": "Invalid Credentials"}},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
