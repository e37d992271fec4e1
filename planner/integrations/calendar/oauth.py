"""OAuth 2.0 for Google, Microsoft and Zoom (code + PKCE + state, refresh) and bearer API calls."""

import asyncio
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]

from planner.integrations.calendar.base import (
    AuthExpired,
    Conflict,
    InvalidRequest,
    InvalidResponse,
    NotFoundAtProvider,
    OAuthTokens,
    RateLimited,
    TokenSaver,
    Unavailable,
)
from planner.settings import Settings

log = logging.getLogger(__name__)

# Least privilege: busy times, the calendar list, and writing only events the user owns.
GOOGLE_SCOPES = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.events.owned",
)
# Graph has no narrower permission that both reads schedules and writes events.
MICROSOFT_SCOPES = ("openid", "email", "offline_access", "Calendars.ReadWrite")
ZOOM_SCOPES = ("meeting:write:meeting", "meeting:update:meeting", "meeting:delete:meeting")

# Refresh a little before the provider's expiry so that a request never races it.
EXPIRY_MARGIN = timedelta(seconds=60)


class OAuthStateMismatch(InvalidRequest):
    """The callback's `state` is not the one this browser started with (forged or stale)."""

    def __init__(self, message: str = "the sign-in answer does not match; start again") -> None:
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class OAuthEndpoints:
    """Where and as whom Planner talks OAuth with one provider."""

    provider: str
    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    # "post": client id and secret in the form body; "basic": HTTP Basic (Zoom).
    client_auth: str = "post"


def endpoints_for(provider: str, settings: Settings) -> OAuthEndpoints:
    """The OAuth endpoints, client and least-privilege scopes of `provider` from settings."""
    if provider == "google":
        return OAuthEndpoints(
            provider="google",
            authorize_url=settings.google_auth_url,
            token_url=settings.google_token_url,
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret,
            scopes=GOOGLE_SCOPES,
            # offline + consent: Google returns a refresh token only then.
            authorize_params={"access_type": "offline", "prompt": "consent"},
        )
    if provider == "microsoft":
        base = f"{settings.microsoft_login_base}/{settings.microsoft_tenant}/oauth2/v2.0"
        return OAuthEndpoints(
            provider="microsoft",
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token",
            client_id=settings.microsoft_client_id,
            client_secret=settings.microsoft_client_secret,
            scopes=MICROSOFT_SCOPES,
        )
    if provider == "zoom":
        return OAuthEndpoints(
            provider="zoom",
            authorize_url=f"{settings.zoom_oauth_base}/oauth/authorize",
            token_url=f"{settings.zoom_oauth_base}/oauth/token",
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_client_secret,
            scopes=ZOOM_SCOPES,
            client_auth="basic",
        )
    raise ValueError(f"no OAuth for provider {provider!r}")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Where to send the browser, and what the caller must keep (server-side) until the
    callback: `state` and the PKCE `code_verifier`."""

    url: str
    state: str
    code_verifier: str = field(repr=False)


def start_authorization(
    endpoints: OAuthEndpoints, *, redirect_uri: str, login_hint: str | None = None
) -> AuthorizationRequest:
    """A fresh authorization URL with PKCE (S256) and an unguessable state."""
    state = generate_token(32)
    verifier = generate_token(64)
    params: dict[str, str] = dict(endpoints.authorize_params)
    if login_hint:
        params["login_hint"] = login_hint
    url = prepare_grant_uri(
        endpoints.authorize_url,
        client_id=endpoints.client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=" ".join(endpoints.scopes),
        state=state,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
        **params,
    )
    return AuthorizationRequest(url=url, state=state, code_verifier=verifier)


def check_state(expected: str, returned: str | None) -> None:
    """Refuse a callback whose state is missing or differs (constant-time comparison)."""
    if not expected or not returned or not hmac.compare_digest(expected, returned):
        raise OAuthStateMismatch()


async def exchange_code(
    endpoints: OAuthEndpoints,
    *,
    http: httpx.AsyncClient,
    expected_state: str,
    returned_state: str | None,
    code: str | None,
    code_verifier: str,
    redirect_uri: str,
    error: str | None = None,
    now: datetime | None = None,
) -> OAuthTokens:
    """The tokens for an authorization-code callback, after checking its state.

    A wrong state raises OAuthStateMismatch; a refused consent InvalidRequest; a code that
    was already used or has expired AuthExpired (`invalid_grant`). Nothing is saved here."""
    check_state(expected_state, returned_state)
    if error:
        raise InvalidRequest(f"{endpoints.provider} sign-in was not completed ({error[:100]})")
    if not code:
        raise InvalidRequest(f"{endpoints.provider} sign-in answer carries no code")
    return await _token_request(
        endpoints,
        http=http,
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
        previous_refresh_token=None,
        now=now,
    )


async def refresh_tokens(
    endpoints: OAuthEndpoints,
    *,
    http: httpx.AsyncClient,
    refresh_token: str,
    now: datetime | None = None,
) -> OAuthTokens:
    """New tokens from a refresh token; `invalid_grant` (revoked, expired) -> AuthExpired.

    Providers that do not rotate refresh tokens (Google) answer without one: the old one
    is kept."""
    return await _token_request(
        endpoints,
        http=http,
        form={"grant_type": "refresh_token", "refresh_token": refresh_token},
        previous_refresh_token=refresh_token,
        now=now,
    )


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The Retry-After header as seconds (delta-seconds or HTTP-date), None when absent."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise InvalidResponse(f"{what}: the answer is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidResponse(f"{what}: the answer is not a JSON object")
    return body


async def _token_request(
    endpoints: OAuthEndpoints,
    *,
    http: httpx.AsyncClient,
    form: dict[str, str],
    previous_refresh_token: str | None,
    now: datetime | None,
) -> OAuthTokens:
    what = f"{endpoints.provider} token endpoint"
    auth: httpx.BasicAuth | None = None
    if endpoints.client_auth == "basic":
        auth = httpx.BasicAuth(endpoints.client_id, endpoints.client_secret)
    else:
        form = {**form, "client_id": endpoints.client_id}
        if endpoints.client_secret:
            form["client_secret"] = endpoints.client_secret
    try:
        response = await http.post(
            endpoints.token_url,
            content=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.TimeoutException:
        raise Unavailable(f"{what} timed out") from None
    except httpx.TransportError as exc:
        raise Unavailable(f"{what} unreachable ({type(exc).__name__})") from None
    if response.status_code == 429:
        raise RateLimited(f"{what} rate limited", retry_after=retry_after_seconds(response))
    if response.status_code >= 500:
        raise Unavailable(f"{what} answered {response.status_code}")
    body = _json_object(response, what)
    if response.status_code >= 400 or "error" in body:
        code = str(body.get("error", response.status_code))[:60]
        if code == "invalid_grant":
            raise AuthExpired(
                f"{endpoints.provider} refused the grant (invalid_grant: revoked, expired or "
                "already used); reconnect needed"
            )
        raise InvalidRequest(f"{what} refused the request ({code})")
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise InvalidResponse(f"{what}: no access_token in the answer")
    moment = now or datetime.now(UTC)
    expires_in = body.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) or (
        isinstance(expires_in, str) and expires_in.isdigit()
    ):
        expires_at = moment + timedelta(seconds=float(expires_in))
    refresh = body.get("refresh_token")
    return OAuthTokens(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh_token,
        expires_at=expires_at,
        scope=str(body.get("scope", "")),
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """In-call retries for 429/503 answers that carry a short Retry-After.

    Providers otherwise raise typed errors and the calling job decides when to try again;
    waiting inside the call only when the provider names a short delay keeps a burst of
    throttling from failing a whole poll, while a long delay is handed back as RateLimited."""

    max_retries: int = 2
    max_wait: float = 10.0


class OAuthApi:
    """Calls one provider's JSON API with a bearer token: refreshes it before expiry and once
    after a 401 (saving new tokens through `save_tokens` first), honours short Retry-After
    answers, and turns transport failures, 5xx and throttling into the typed errors."""

    def __init__(
        self,
        *,
        endpoints: OAuthEndpoints,
        base_url: str,
        http: httpx.AsyncClient,
        tokens: OAuthTokens,
        save_tokens: TokenSaver,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.tokens = tokens
        self.save_tokens = save_tokens
        self.retry = retry or RetryPolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._refresh_lock = asyncio.Lock()

    @property
    def provider(self) -> str:
        return self.endpoints.provider

    def url(self, path_or_url: str) -> str:
        """An absolute URL under the API base; absolute URLs from the provider (next and
        delta links) must stay under it, so that the bearer token never leaves."""
        if path_or_url.startswith(("https://", "http://")):
            if not path_or_url.startswith(self.base_url + "/"):
                raise InvalidResponse(f"{self.provider} sent a link outside its API")
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    async def _refresh(self, stale_access_token: str) -> None:
        async with self._refresh_lock:
            if self.tokens.access_token != stale_access_token:
                return  # another request refreshed meanwhile
            if not self.tokens.refresh_token:
                raise AuthExpired(f"{self.provider} access expired and no refresh token is kept")
            fresh = await refresh_tokens(
                self.endpoints,
                http=self.http,
                refresh_token=self.tokens.refresh_token,
                now=self.clock(),
            )
            await self.save_tokens(fresh)
            self.tokens = fresh

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One API call; answers below 500 other than 401/429 are returned to the caller."""
        url = self.url(path_or_url)
        expires = self.tokens.expires_at
        if expires is not None and expires - EXPIRY_MARGIN <= self.clock():
            await self._refresh(self.tokens.access_token)
        refreshed = False
        attempt = 0
        while True:
            token = self.tokens.access_token
            try:
                response = await self.http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Accept": "application/json",
                        **(headers or {}),
                    },
                )
            except httpx.TimeoutException:
                raise Unavailable(f"{self.provider} timed out ({method} {_path(url)})") from None
            except httpx.TransportError as exc:
                raise Unavailable(
                    f"{self.provider} unreachable ({type(exc).__name__}, {method} {_path(url)})"
                ) from None
            if response.status_code == 401:
                if refreshed:
                    raise AuthExpired(f"{self.provider} refused the refreshed token")
                refreshed = True
                await self._refresh(token)
                continue
            if _throttled(response):
                wait = retry_after_seconds(response)
                if (
                    attempt < self.retry.max_retries
                    and wait is not None
                    and wait <= self.retry.max_wait
                ):
                    attempt += 1
                    log.info(
                        "%s throttled %s %s; retrying in %.1fs",
                        self.provider,
                        method,
                        _path(url),
                        wait,
                    )
                    await asyncio.sleep(wait)
                    continue
                raise RateLimited(f"{self.provider} rate limited", retry_after=wait)
            if response.status_code >= 500:
                raise Unavailable(
                    f"{self.provider} answered {response.status_code} ({method} {_path(url)})"
                )
            return response

    async def json(
        self,
        method: str,
        path_or_url: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A call whose 2xx answer must be a JSON object; other answers raise typed errors."""
        response = await self.request(
            method, path_or_url, params=params, json=json, headers=headers
        )
        raise_for_status(response, self.provider, what)
        return _json_object(response, f"{self.provider} {what}")


def _path(url: str) -> str:
    """The path of a URL without its query (which may hold sync tokens)."""
    return httpx.URL(url).path


def _throttled(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code == 503 and "retry-after" in response.headers:
        return True
    if response.status_code == 403:  # Google: 403 with reason rateLimitExceeded / usageLimits
        text = response.text[:2000]
        return any(
            reason in text
            for reason in ("rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded")
        )
    return False


def error_detail(response: httpx.Response) -> str:
    """A short reason from a JSON error answer (Google, Graph and Zoom shapes), never a body."""
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            reason = error.get("code") or error.get("status") or error.get("message")
            return f"{response.status_code} {str(reason)[:80]}"
        if "code" in body:
            return f"{response.status_code} {str(body['code'])[:80]}"
    return str(response.status_code)


def raise_for_status(response: httpx.Response, provider: str, what: str) -> None:
    """Map a 4xx answer to the error hierarchy (5xx, 401 and 429 are handled by OAuthApi)."""
    status = response.status_code
    if status < 400:
        return
    detail = error_detail(response)
    if status in (404, 410):
        raise NotFoundAtProvider(f"{provider} {what}: not found ({detail})")
    if status in (409, 412):
        raise Conflict(f"{provider} {what}: changed or exists already ({detail})")
    if status == 403:
        raise InvalidRequest(f"{provider} {what}: permission denied ({detail})")
    raise InvalidRequest(f"{provider} {what}: refused ({detail})")


# Providers whose OAuth server lets an app give back a user's grant. Microsoft's identity
# platform has no per-app revocation endpoint for delegated tokens (only revoking every
# session of the user), so a user removes Planner there in their account settings.
REVOCABLE = ("google",)


async def revoke_grant(
    provider: str, tokens: OAuthTokens, *, http: httpx.AsyncClient, settings: Settings
) -> bool:
    """Give back a user's grant at the provider when it allows that (Google: POST the
    refresh token, or the access token, to the revocation endpoint, which revokes the whole
    grant; developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke). True
    when the provider confirmed, or the grant was already gone (400 invalid_token); False
    when the provider cannot revoke or could not be reached."""
    if provider not in REVOCABLE:
        return False
    token = tokens.refresh_token or tokens.access_token
    if not token:
        return False
    try:
        response = await http.post(
            settings.google_revoke_url,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10.0,
        )
    except httpx.HTTPError as exc:
        log.warning("google revocation failed: %s", type(exc).__name__)
        return False
    if response.status_code == 200:
        return True
    if response.status_code == 400 and "invalid_token" in response.text:
        return True  # already revoked or expired: nothing left to give back
    log.warning("google revocation answered %s", response.status_code)
    return False
