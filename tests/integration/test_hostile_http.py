"""Hostile HTTP requests: a cross-site post cannot sign anyone out, the session cookie is
Secure behind a TLS-terminating proxy, oversized API bodies get a 413, NUL characters are
refused or harmless (never a 500 on PostgreSQL), unknown links are rate limited."""

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from planner import routes
from planner.api.app import build_api
from planner.models.base import utcnow
from planner.services import auth
from planner.services.token_limits import UnknownTokenLimiter
from planner.settings import get_settings
from tests.factories import account_with_admin
from tests.integration.test_api import Tenant, api_client

PASSWORD = "correct horse battery"


@pytest.fixture
def env(monkeypatch):
    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"PLANNER_{name.upper()}", value)
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()


def web(engine, monkeypatch, *, peer=("203.0.113.7", 50000), base_url="http://planner.test"):
    monkeypatch.setattr("planner.api.app.session_scope", lambda: Session(engine))
    monkeypatch.setattr("planner.api.booking_routes.session_scope", lambda: Session(engine))
    return TestClient(build_api(), base_url=base_url, follow_redirects=False, client=peer)


@pytest.fixture
def admin(engine):
    with Session(engine) as session:
        return account_with_admin(session, "Alpha", email="admin@alpha.example", password=PASSWORD)


def _sign_in(client, **headers):
    return client.post(
        routes.AUTH_SIGN_IN,
        data={"email": "admin@alpha.example", "password": PASSWORD, "next": "/candidates"},
        headers={"origin": "http://planner.test", **headers},
    )


def _still_signed_in(engine, token) -> bool:
    with Session(engine) as session:
        return auth.resolve_session(session=session, token=token, now=utcnow()) is not None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "http://evil.planner.test"},
    ],
)
def test_a_cross_site_post_does_not_sign_anyone_out(engine, monkeypatch, admin, headers):
    client = web(engine, monkeypatch)
    token = _sign_in(client).cookies[routes.SESSION_COOKIE]
    response = client.post(
        routes.AUTH_SIGN_OUT, headers={**headers, "cookie": f"{routes.SESSION_COOKIE}={token}"}
    )
    assert response.status_code == 303
    assert "set-cookie" not in response.headers  # the cookie is not cleared either
    assert _still_signed_in(engine, token)
    response = client.post(
        routes.AUTH_SIGN_OUT,
        headers={"origin": "http://planner.test", "sec-fetch-site": "same-origin",
                 "cookie": f"{routes.SESSION_COOKIE}={token}"},
    )  # fmt: skip
    assert "signed_out" in response.headers["location"]
    assert not _still_signed_in(engine, token)


def test_the_cookie_is_secure_behind_a_trusted_tls_proxy_only(engine, monkeypatch, admin, env):
    env(trusted_proxies="10.0.0.0/8")
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.4"}
    behind_proxy = web(engine, monkeypatch, peer=("10.1.2.3", 40000))
    cookie = _sign_in(behind_proxy, **forwarded).headers["set-cookie"]
    assert "Secure" in cookie
    # The same header from anyone else is not believed.
    direct = web(engine, monkeypatch, peer=("198.51.100.9", 40000))
    assert "Secure" not in _sign_in(direct, **forwarded).headers["set-cookie"]


def test_the_sign_in_backoff_counts_the_address_the_proxy_names(engine, monkeypatch, admin, env):
    env(trusted_proxies="10.0.0.0/8")
    behind_proxy = web(engine, monkeypatch, peer=("10.1.2.3", 40000))
    for _ in range(6):
        behind_proxy.post(
            routes.AUTH_SIGN_IN,
            data={"email": "admin@alpha.example", "password": "wrong"},
            headers={"origin": "http://planner.test", "x-forwarded-for": "198.51.100.66"},
        )
    # Another client behind the same proxy is not slowed by the first one's failures.
    response = _sign_in(behind_proxy, **{"x-forwarded-for": "198.51.100.77"})
    assert response.headers["location"] == "/candidates"


def test_production_cookies_are_always_secure(engine, monkeypatch, admin, env):
    env(env="production", public_url="https://planner.example.com",
        credential_keys="0" * 43 + "=")  # fmt: skip
    client = web(engine, monkeypatch)
    response = _sign_in(client, origin="https://planner.example.com")
    assert "Secure" in response.headers["set-cookie"]


def test_a_nul_in_the_sign_in_e_mail_is_a_wrong_login_not_a_server_error(
    engine, monkeypatch, admin
):
    client = web(engine, monkeypatch)
    response = client.post(
        routes.AUTH_SIGN_IN,
        data={"email": "admin\x00@alpha.example", "password": PASSWORD},
        headers={"origin": "http://planner.test"},
    )
    assert response.status_code == 303 and "error=invalid" in response.headers["location"]


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def tenant(engine):
    with Session(engine, expire_on_commit=False) as session:
        return Tenant(session, "Alpha")


def test_an_oversized_api_body_gets_a_clear_413(engine, monkeypatch, tenant):
    client = api_client(engine, monkeypatch)
    body = b'{"name": "' + b"a" * 20_000_000 + b'", "email": "x@mail.example"}'
    response = client.post(
        "/api/v1/candidates",
        headers={**tenant.headers, "content-type": "application/json"},
        content=body,
    )
    assert response.status_code == 413
    problem = response.json()
    assert problem["status"] == 413 and "1,000,000 bytes" in problem["detail"]
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_oversized_body_without_a_length_is_cut_off_too(engine, monkeypatch, tenant):
    client = api_client(engine, monkeypatch)

    def chunks():
        yield b'{"name": "'
        for _ in range(30):
            yield b"a" * 100_000
        yield b'", "email": "x@mail.example"}'

    response = client.post(
        "/api/v1/candidates",
        headers={**tenant.headers, "content-type": "application/json"},
        content=chunks(),
    )
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/api/v1/candidates", "/api/v1/staff"])
def test_a_nul_in_an_api_search_is_no_server_error(engine, monkeypatch, tenant, path):
    client = api_client(engine, monkeypatch)
    response = client.get(path, params={"search": "Fre\x00ja"}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json() == [] or isinstance(response.json(), list)


def test_a_nul_in_api_free_text_is_refused_clearly(engine, monkeypatch, tenant):
    client = api_client(engine, monkeypatch)
    response = client.post(
        "/api/v1/candidates",
        headers=tenant.headers,
        json={"name": "Freja\x00Nielsen", "email": "freja@mail.example"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


# --- unknown tokens --------------------------------------------------------------------------


def test_unknown_ics_links_are_rate_limited_per_address(engine, monkeypatch):
    limiter = UnknownTokenLimiter(per_minute=30)
    monkeypatch.setattr("planner.api.booking_routes.unknown_tokens", limiter)
    guesser = web(engine, monkeypatch, peer=("198.51.100.66", 1))
    answers = [guesser.get(f"/book/guess-{n}/interview.ics").status_code for n in range(40)]
    assert answers[:30] == [404] * 30 and set(answers[30:]) == {429}
    limited = guesser.get("/book/guess-x/interview.ics")
    assert int(limited.headers["retry-after"]) >= 1
    someone_else = web(engine, monkeypatch, peer=("198.51.100.67", 1))
    assert someone_else.get("/book/guess-y/interview.ics").status_code == 404


def test_unknown_booking_page_links_are_rate_limited_per_address(engine, monkeypatch):
    limiter = UnknownTokenLimiter(per_minute=30)
    monkeypatch.setattr("planner.api.booking_routes.unknown_tokens", limiter)
    guesser = web(engine, monkeypatch, peer=("198.51.100.70", 1))
    answers = [guesser.get(f"/book/guess-{n}").status_code for n in range(35)]
    assert answers[:30] == [404] * 30 and set(answers[30:]) == {429}
    limited = guesser.get("/book/guess-x", headers={"Accept-Language": "da"})
    assert int(limited.headers["retry-after"]) >= 1
    assert "For mange links" in limited.text
    someone_else = web(engine, monkeypatch, peer=("198.51.100.71", 1))
    assert someone_else.get("/book/guess-y").status_code == 404


def test_the_unknown_token_limiter_forgets_after_a_minute():
    limiter = UnknownTokenLimiter(per_minute=3)
    for _ in range(3):
        limiter.miss("a", now=100.0)
    assert limiter.blocked("a", now=101.0) > 0 and limiter.blocked("b", now=101.0) == 0
    assert limiter.blocked("a", now=161.0) == 0
