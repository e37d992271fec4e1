"""The sign-in, sign-out and health routes over HTTP (Starlette test client)."""

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from planner import routes
from planner.api.app import build_api
from tests.factories import account_with_admin

PASSWORD = "correct horse battery"


@pytest.fixture
def client(engine, monkeypatch):
    monkeypatch.setattr("planner.api.app.session_scope", lambda: Session(engine))
    with Session(engine) as session:
        account_with_admin(session, "Alpha", email="admin@alpha.example", password=PASSWORD)
    return TestClient(build_api(), base_url="http://planner.test", follow_redirects=False)


def _sign_in(client, **extra_headers):
    return client.post(
        routes.AUTH_SIGN_IN,
        data={"email": "admin@alpha.example", "password": PASSWORD, "next": "/candidates"},
        headers={"origin": "http://planner.test", **extra_headers},
    )


def test_sign_in_sets_an_httponly_samesite_cookie_and_goes_on(client):
    response = _sign_in(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/candidates"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{routes.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


def test_wrong_password_redirects_with_a_fixed_error_and_no_cookie(client):
    response = client.post(
        routes.AUTH_SIGN_IN,
        data={"email": "admin@alpha.example", "password": "nope", "next": "/candidates"},
    )
    assert response.status_code == 303
    assert "error=invalid" in response.headers["location"]
    assert "set-cookie" not in response.headers


def test_cross_site_posts_are_refused(client):
    response = _sign_in(client, origin="https://evil.example")
    assert "error=origin" in response.headers["location"]
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/auth/signout"])
def test_next_never_leaves_the_app(client, target):
    response = client.post(
        routes.AUTH_SIGN_IN,
        data={"email": "admin@alpha.example", "password": PASSWORD, "next": target},
    )
    assert response.headers["location"] == routes.HOME


def test_sign_out_ends_the_session_and_clears_the_cookie(client, engine):
    from planner.models.base import utcnow
    from planner.services import auth

    token = _sign_in(client).cookies[routes.SESSION_COOKIE]
    response = client.post(
        routes.AUTH_SIGN_OUT,
        headers={"origin": "http://planner.test", "cookie": f"{routes.SESSION_COOKIE}={token}"},
    )
    assert response.status_code == 303 and "signed_out" in response.headers["location"]
    assert 'planner_session=""' in response.headers["set-cookie"]
    with Session(engine) as session:
        assert auth.resolve_session(session=session, token=token, now=utcnow()) is None


def test_health_reports_the_database(client):
    response = client.get(routes.HEALTH)
    assert response.status_code == 200 and response.json()["status"] == "ok"
