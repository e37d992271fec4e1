"""Request guards of the HTTP routes: body size limit, the client address and scheme behind
trusted proxies, and same-origin checks for cookie-authenticated form posts."""

import ipaddress

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner.api.v1.problems import problem_response
from planner.settings import get_settings


class BodySizeLimit:
    """ASGI middleware: a request whose body is larger than `max_bytes` gets a 413 problem
    document (RFC 9110 15.5.14) before the app sees it: by its Content-Length, or, for a
    body without one, as soon as the bytes read pass the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _limit(self) -> int:
        return self.max_bytes or get_settings().max_request_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            f"The request body is larger than the {limit:,} bytes this API accepts.",
            kind="content-too-large",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit()
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = True
            if too_large:
                await self._refuse(scope, receive, send, limit)
                return
        # Read the body first (it is at most `limit` bytes), then hand it to the app.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _peer(request: Request) -> str:
    return request.client.host if request.client else ""


def _from_trusted_proxy(request: Request) -> bool:
    networks = get_settings().trusted_proxy_networks
    if not networks:
        return False
    try:
        peer = ipaddress.ip_address(_peer(request))
    except ValueError:
        return False
    return any(peer in network for network in networks)


def client_address(request: Request) -> str:
    """The client's address: the connecting peer, or, when that peer is one of
    PLANNER_TRUSTED_PROXIES, the nearest untrusted address of X-Forwarded-For."""
    peer = _peer(request)
    if not _from_trusted_proxy(request):
        return peer
    networks = get_settings().trusted_proxy_networks
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if not any(address in network for network in networks):
            return hop
    return hops[0] if hops else peer


def is_https(request: Request) -> bool:
    """Whether the browser's request came over HTTPS: directly, or as a trusted proxy
    (PLANNER_TRUSTED_PROXIES) says in X-Forwarded-Proto."""
    if request.url.scheme == "https":
        return True
    if _from_trusted_proxy(request):
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return forwarded == "https"
    return False


def cookie_secure(request: Request) -> bool:
    """Whether the session cookie gets the Secure attribute: always in production (see
    Settings.cookies_secure), and whenever the request came over HTTPS."""
    return get_settings().cookies_secure or is_https(request)


def same_origin(request: Request) -> bool:
    """Whether a cookie-carrying form post comes from Planner's own pages: the browser's
    Sec-Fetch-Site (when sent) must be same-origin, and the Origin (when sent) must be the
    app's public origin or the Host it was sent to. Cross-site posts are refused."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    if origin.rstrip("/") in get_settings().allowed_origins:
        return True
    host = request.headers.get("host", "")
    return bool(host) and origin.split("://", 1)[-1] == host
