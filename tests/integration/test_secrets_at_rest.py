"""No secret is stored in plaintext: dump the whole database and look for each one; key
rotation re-encrypts everything with the new key so the old one can be dropped."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text
from sqlmodel import select

from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.crypto import CredentialsUnreadable, decrypt_credentials
from planner.models import CalendarConnection
from planner.services import api_keys, auth, connections, webhooks
from planner.services.key_rotation import RotationReport, rotate_stored_secrets
from planner.settings import get_settings
from tests.factories import account_with_admin, actor_for

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CALDAV_PASSWORD = "caldav-app-password-0d5c1e"
ACCESS_TOKEN = "ya29.access-token-4f1b9a"
REFRESH_TOKEN = "1//refresh-token-77ac02"
STAFF_PASSWORD = "staff-password-93be"


def _dump(engine) -> str:
    """Every value of every table, as text."""
    parts = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)


def _store_secrets(session):
    account, admin = account_with_admin(
        session, "Alpha", email="admin@alpha.example", password=STAFF_PASSWORD
    )
    actor = actor_for(admin, account)
    signed_in = auth.sign_in(
        session=session, email="admin@alpha.example", password=STAFF_PASSWORD, now=NOW
    )
    invitee = connections.Invitee(
        staff_user_id=admin.id, account_id=account.id, name=admin.name, email=admin.email
    )
    settings = get_settings()
    connections.save_connection(
        session=session, invitee=invitee, provider="caldav", settings=settings, now=NOW,
        credentials=Credentials(username="admin", password=CALDAV_PASSWORD),
        server_url="http://127.0.0.1:5232/",
    )  # fmt: skip
    connections.save_connection(
        session=session, invitee=invitee, provider="google", settings=settings, now=NOW,
        credentials=Credentials(tokens=OAuthTokens(
            access_token=ACCESS_TOKEN, refresh_token=REFRESH_TOKEN,
            expires_at=NOW + timedelta(hours=1))),
    )  # fmt: skip
    key = api_keys.create_api_key(session=session, actor=actor, name="ATS", now=NOW)
    endpoint = webhooks.add_endpoint(
        session=session, actor=actor, url="https://ats.example.com/hooks",
        events=["interview.booked"], now=NOW,
    )  # fmt: skip
    return [
        CALDAV_PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN, STAFF_PASSWORD,
        signed_in.token, key.key, endpoint.secret,
    ]  # fmt: skip


def test_a_database_dump_holds_no_plaintext_secret(engine, session):
    secrets = _store_secrets(session)
    dump = _dump(engine)
    assert "admin@alpha.example" in dump  # the dump does see the data
    for secret in secrets:
        assert secret not in dump


def test_key_rotation_re_encrypts_everything_and_the_old_key_can_go(engine, session, monkeypatch):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("PLANNER_CREDENTIAL_KEYS", old_key)
    get_settings.cache_clear()
    _store_secrets(session)

    report = rotate_stored_secrets(session=session, settings=_with_keys(f"{new_key},{old_key}"))
    assert report == RotationReport(rotated=3, unreadable=0)  # 2 connections, 1 webhook secret

    session.expire_all()
    stored = session.exec(select(CalendarConnection).order_by(CalendarConnection.id)).all()
    readable = [decrypt_credentials(c.encrypted_credentials, _with_keys(new_key)) for c in stored]
    assert readable[0].password == CALDAV_PASSWORD
    assert readable[1].tokens.refresh_token == REFRESH_TOKEN
    with pytest.raises(CredentialsUnreadable):  # the old key alone reads nothing any more
        decrypt_credentials(stored[0].encrypted_credentials, _with_keys(old_key))


def _with_keys(keys: str):
    """Settings whose credential keys are `keys` (newest first)."""
    return get_settings().model_copy(update={"credential_keys": keys})
