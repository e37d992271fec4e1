"""Connecting Google Calendar through the OAuth routes, against the fake Google server."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import Session, select
from starlette.testclient import TestClient

from planner.api.app import build_api
from planner.domain.tokens import hash_token
from planner.integrations.crypto import decrypt_credentials
from planner.models import CalendarConnection, OAuthState, SyncInvitation
from planner.settings import get_settings
from tests.factories import account_with_admin
from tests.fakes.google import run_fake_google

LINK = "sync-link-token-" + "z" * 24
APP = "http://planner.test"


@pytest.fixture
def google():
    with run_fake_google() as fake:
        fake.state.add_calendar("ann@gamma.example", "Ann", primary=True)
        fake.state.add_calendar("team@group.calendar.google.com", "Team")
        yield fake


@pytest.fixture
def client(engine, google, monkeypatch):
    for name, value in google.settings_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLANNER_PUBLIC_URL", APP)
    monkeypatch.delenv("PLANNER_MICROSOFT_CLIENT_ID", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(
        "planner.api.oauth_routes.session_scope", lambda: Session(engine, expire_on_commit=False)
    )
    with Session(engine) as session:
        account, ann = account_with_admin(session, "Gamma", email="ann@gamma.example")
        session.add(
            SyncInvitation(
                account_id=account.id,
                staff_user_id=ann.id,
                token_hash=hash_token(LINK),
                expires_at=datetime.now(UTC) + timedelta(days=14),
            )
        )
        session.commit()
    return TestClient(build_api(), base_url=APP, follow_redirects=False)


def _connections(engine) -> list[CalendarConnection]:
    with Session(engine) as session:
        return list(session.exec(select(CalendarConnection)).all())


def _start(client) -> tuple[str, dict[str, str]]:
    response = client.get("/oauth/google/start", params={"token": LINK})
    assert response.status_code == 303
    location = response.headers["location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _consent(location: str) -> str:
    """What the fake Google sends the browser back to after the user agrees."""
    answer = httpx.get(location, follow_redirects=False)
    assert answer.status_code == 302
    callback = answer.headers["location"]
    assert callback.startswith(f"{APP}/oauth/google/callback?")
    return callback


def _error_of(response) -> str | None:
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/connect/{LINK}")
    return parse_qs(urlsplit(location).query).get("error", [None])[0]


def test_start_redirects_to_google_with_pkce_and_a_state_kept_only_hashed(client, google, engine):
    location, query = _start(client)
    assert location.startswith(f"{google.url}/o/oauth2/v2/auth?")
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32
    assert query["redirect_uri"] == f"{APP}/oauth/google/callback"
    assert query["client_id"] == google.issuer.client_id
    assert query["login_hint"] == "ann@gamma.example"
    with Session(engine) as session:
        row = session.exec(select(OAuthState)).one()
    assert row.state_hash == hash_token(query["state"])
    assert row.provider == "google" and row.used_at is None
    assert query["state"] not in row.encrypted_code_verifier
    assert LINK not in row.encrypted_link_token
    assert row.expires_at - row.created_at == timedelta(minutes=10)


def test_the_callback_saves_an_encrypted_connection_to_the_primary_calendar(client, google, engine):
    location, query = _start(client)
    response = client.get(_consent(location))
    assert response.status_code == 303
    assert response.headers["location"] == f"/connect/{LINK}?connected=google"
    [connection] = _connections(engine)
    assert connection.provider == "google" and connection.status == "synced"
    assert connection.calendar_id == "ann@gamma.example"
    assert connection.external_account == "ann@gamma.example"
    credentials = decrypt_credentials(connection.encrypted_credentials, get_settings())
    assert credentials.tokens is not None
    assert credentials.tokens.access_token in google.issuer.access_tokens
    assert credentials.tokens.access_token not in connection.encrypted_credentials
    # The verifier the route kept is the one whose challenge went to Google.
    code = next(iter(google.issuer.codes.values()))
    assert code.used and code.challenge == query["code_challenge"]
    with Session(engine) as session:
        assert session.exec(select(OAuthState)).one().used_at is not None


def test_a_replayed_callback_is_refused_and_saves_nothing_more(client, engine):
    location, _query = _start(client)
    callback = _consent(location)
    assert client.get(callback).headers["location"].endswith("connected=google")
    first = _connections(engine)
    assert _error_of(client.get(callback)) == "used"
    assert [(c.id, c.status) for c in _connections(engine)] == [(c.id, c.status) for c in first]


def test_a_wrong_state_is_refused_and_saves_nothing(client, engine):
    location, _query = _start(client)
    callback = _consent(location)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    forged = client.get("/oauth/google/callback", params={"state": "forged-" * 6, "code": code})
    assert _error_of(forged) == "state"
    assert _connections(engine) == []


def test_a_state_from_another_browser_is_refused(client, engine):
    location, _query = _start(client)
    callback = _consent(location)
    other_browser = TestClient(client.app, base_url=APP, follow_redirects=False)
    response = other_browser.get(callback)
    assert response.status_code == 400
    assert _connections(engine) == []


def test_an_expired_state_is_refused_and_saves_nothing(client, engine):
    location, _query = _start(client)
    with Session(engine) as session:
        session.exec(update(OAuthState).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    assert _error_of(client.get(_consent(location))) == "expired"
    assert _connections(engine) == []


def test_a_reused_code_with_a_fresh_state_is_refused_by_the_provider(client, engine):
    first_location, _query = _start(client)
    first = _consent(first_location)
    assert client.get(first).headers["location"].endswith("connected=google")
    code = parse_qs(urlsplit(first).query)["code"][0]
    second_location, second = _start(client)
    response = client.get("/oauth/google/callback", params={"state": second["state"], "code": code})
    assert _error_of(response) == "grant"
    assert len(_connections(engine)) == 1


def test_a_refused_consent_is_reported_and_saves_nothing(client, engine):
    _location, query = _start(client)
    response = client.get(
        "/oauth/google/callback", params={"state": query["state"], "error": "access_denied"}
    )
    assert _error_of(response) == "denied"
    assert _connections(engine) == []
    with Session(engine) as session:
        assert session.exec(select(OAuthState)).one().used_at is not None


def test_unknown_links_and_unconfigured_providers_start_nothing(client, engine):
    response = client.get("/oauth/google/start", params={"token": "not-a-link"})
    assert response.headers["location"] == "/connect/not-a-link"
    response = client.get("/oauth/microsoft/start", params={"token": LINK})
    assert _error_of(response) == "provider_off"
    assert client.get("/oauth/google/start").status_code == 400
    with Session(engine) as session:
        assert session.exec(select(OAuthState)).all() == []
