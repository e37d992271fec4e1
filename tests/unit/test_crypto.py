"""Credentials at rest: round trip, no plaintext, key rotation with MultiFernet."""

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.crypto import (
    CredentialsUnreadable,
    decrypt_credentials,
    encrypt_credentials,
    needs_rotation,
    rotate,
)
from planner.settings import Settings, SettingsError, load_settings

CREDENTIALS = Credentials(
    username="ann@example.com",
    password="app-password-s3cret",
    tokens=OAuthTokens(
        access_token="ya29.access-TOKEN-value",
        refresh_token="1//refresh-TOKEN-value",
        expires_at=datetime(2030, 1, 7, 9, 0, tzinfo=UTC),
        scope="calendar.freebusy",
    ),
    extra={"server_url": "https://caldav.example.com/"},
)


def test_round_trip_with_derived_development_key():
    settings = Settings()
    token = encrypt_credentials(CREDENTIALS, settings)
    assert decrypt_credentials(token, settings) == CREDENTIALS
    assert token != encrypt_credentials(CREDENTIALS, settings)  # fresh IV every time


def test_no_plaintext_in_ciphertext_or_repr():
    token = encrypt_credentials(CREDENTIALS, Settings())
    for secret in ("app-password-s3cret", "access-TOKEN", "refresh-TOKEN", "ann@example.com"):
        assert secret not in token
        assert secret.encode().hex() not in token
    assert "s3cret" not in repr(CREDENTIALS) and "TOKEN" not in repr(CREDENTIALS)


def test_rotation_re_encrypts_with_the_new_key_and_old_tokens_still_decrypt():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = Settings(credential_keys=old_key)
    during = Settings(credential_keys=f"{new_key},{old_key}")
    after = Settings(credential_keys=new_key)
    old_token = encrypt_credentials(CREDENTIALS, before)
    assert decrypt_credentials(old_token, during) == CREDENTIALS
    assert needs_rotation(old_token, during)
    new_token = rotate(old_token, during)
    assert new_token != old_token and not needs_rotation(new_token, during)
    assert Fernet(new_key.encode()).decrypt(new_token.encode())  # really under the new key
    assert decrypt_credentials(new_token, after) == CREDENTIALS
    with pytest.raises(CredentialsUnreadable):
        decrypt_credentials(old_token, after)


def test_derived_key_depends_on_the_secret_key():
    token = encrypt_credentials(CREDENTIALS, Settings(secret_key="a" * 40))
    with pytest.raises(CredentialsUnreadable):
        decrypt_credentials(token, Settings(secret_key="b" * 40))


def test_garbage_is_unreadable_not_a_crash():
    with pytest.raises(CredentialsUnreadable) as caught:
        decrypt_credentials("not-a-fernet-token-ä", Settings())
    assert not caught.value.retryable


def test_a_bad_key_in_settings_is_refused(monkeypatch):
    monkeypatch.setenv("PLANNER_CREDENTIAL_KEYS", "too-short")
    with pytest.raises(SettingsError, match="PLANNER_CREDENTIAL_KEYS"):
        load_settings()
