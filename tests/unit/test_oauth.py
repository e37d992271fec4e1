"""OAuth helpers: PKCE S256, state, scopes, token endpoint errors (httpx.MockTransport)."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from planner.integrations.calendar.base import (
    AuthExpired,
    InvalidRequest,
    InvalidResponse,
    RateLimited,
    Unavailable,
)
from planner.integrations.calendar.oauth import (
    OAuthStateMismatch,
    check_state,
    endpoints_for,
    exchange_code,
    refresh_tokens,
    retry_after_seconds,
    start_authorization,
)
from planner.settings import Settings

SETTINGS = Settings(google_client_id="gid", microsoft_client_id="mid", zoom_client_id="zid")
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def token_server(handler):
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def test_authorization_url_carries_pkce_s256_and_state():
    endpoints = endpoints_for("google", SETTINGS)
    request = start_authorization(endpoints, redirect_uri="https://app.test/cb")
    query = parse_qs(urlsplit(request.url).query)
    expected = (
        base64.urlsafe_b64encode(hashlib.sha256(request.code_verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    assert query["code_challenge"] == [expected] and query["code_challenge_method"] == ["S256"]
    assert query["state"] == [request.state] and len(request.state) >= 32
    assert 43 <= len(request.code_verifier) <= 128 and request.code_verifier not in request.url
    assert query["client_id"] == ["gid"] and query["response_type"] == ["code"]
    assert request.code_verifier not in repr(request)
    assert start_authorization(endpoints, redirect_uri="x").state != request.state


def test_scopes_are_least_privilege_per_provider():
    google = set(endpoints_for("google", SETTINGS).scopes)
    assert "https://www.googleapis.com/auth/calendar" not in google  # the full-access scope
    assert "https://www.googleapis.com/auth/calendar.events.owned" in google
    assert set(endpoints_for("microsoft", SETTINGS).scopes) >= {
        "Calendars.ReadWrite",
        "offline_access",
    }
    assert endpoints_for("microsoft", SETTINGS).token_url.endswith("/common/oauth2/v2.0/token")
    # Create, rename (a title change) and delete the interview's meeting; nothing else.
    assert endpoints_for("zoom", SETTINGS).scopes == (
        "meeting:write:meeting",
        "meeting:update:meeting",
        "meeting:delete:meeting",
    )


@pytest.mark.parametrize("returned", [None, "", "other-state"])
def test_state_mismatch_is_refused(returned):
    with pytest.raises(OAuthStateMismatch):
        check_state("expected-state", returned)
    check_state("expected-state", "expected-state")


async def test_code_exchange_sends_verifier_and_reused_code_is_auth_expired():
    used: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        assert form["code_verifier"] == ["the-verifier"] and form["client_id"] == ["gid"]
        code = form["code"][0]
        if code in used:
            return httpx.Response(400, json={"error": "invalid_grant"})
        used.add(code)
        return httpx.Response(
            200, json={"access_token": "at", "refresh_token": "rt", "expires_in": 3599}
        )

    kwargs = dict(
        expected_state="s1",
        returned_state="s1",
        code="c1",
        code_verifier="the-verifier",
        redirect_uri="https://app.test/cb",
        now=NOW,
    )
    endpoints = endpoints_for("google", SETTINGS)
    async with token_server(handler) as http:
        tokens = await exchange_code(endpoints, http=http, **kwargs)
        assert tokens.expires_at == NOW + timedelta(seconds=3599)
        with pytest.raises(AuthExpired, match="invalid_grant"):
            await exchange_code(endpoints, http=http, **kwargs)
        with pytest.raises(OAuthStateMismatch):
            await exchange_code(endpoints, http=http, **{**kwargs, "returned_state": "s2"})
        with pytest.raises(InvalidRequest, match="access_denied"):
            await exchange_code(endpoints, http=http, **{**kwargs, "error": "access_denied"})
    assert used == {"c1"}  # wrong state and refusals never reach the token endpoint


@pytest.mark.parametrize(
    "response, error",
    [
        (httpx.Response(400, json={"error": "invalid_grant"}), AuthExpired),
        (httpx.Response(401, json={"error": "invalid_client"}), InvalidRequest),
        (httpx.Response(429, headers={"Retry-After": "7"}), RateLimited),
        (httpx.Response(502, text="bad gateway"), Unavailable),
        (httpx.Response(200, text="<html>"), InvalidResponse),
        (httpx.Response(200, json={"token_type": "Bearer"}), InvalidResponse),
    ],
)
async def test_refresh_errors_are_typed(response, error):
    async with token_server(lambda request: response) as http:
        with pytest.raises(error):
            await refresh_tokens(endpoints_for("microsoft", SETTINGS), http=http, refresh_token="r")


async def test_refresh_keeps_the_old_refresh_token_when_none_comes_back_and_zoom_uses_basic():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Basic ")
        assert "client_secret" not in request.content.decode()
        return httpx.Response(200, json={"access_token": "new", "expires_in": 3600})

    async with token_server(handler) as http:
        tokens = await refresh_tokens(
            endpoints_for("zoom", SETTINGS), http=http, refresh_token="old"
        )
    assert tokens.access_token == "new" and tokens.refresh_token == "old"


def test_retry_after_parses_seconds_and_dates():
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "12"})) == 12
    assert retry_after_seconds(httpx.Response(429)) is None
    later = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    assert retry_after_seconds(later) > 1000
    assert (
        json.dumps(retry_after_seconds(httpx.Response(429, headers={"Retry-After": "x"}))) == "null"
    )
