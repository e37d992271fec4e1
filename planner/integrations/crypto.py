"""Credentials encrypted at rest with MultiFernet; rotation re-encrypts with the newest key."""

import base64
import json
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.errors import IntegrationError
from planner.settings import Settings

_HKDF_INFO = b"planner credentials at rest v1"


class CredentialsUnreadable(IntegrationError):
    """Stored credentials cannot be decrypted (a key was dropped too early) or are corrupt:
    the user must connect again; retrying cannot help."""

    def __init__(self, message: str = "stored credentials cannot be read; reconnect needed"):
        super().__init__(message, retryable=False)


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from the app's secret key (HKDF-SHA256), for development setups
    that configure no `credential_keys`."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


def _fernets(settings: Settings) -> list[Fernet]:
    keys = [key.strip() for key in settings.credential_keys.split(",") if key.strip()]
    return [Fernet(key) for key in keys] or [Fernet(derived_key(settings.secret_key))]


def credential_cipher(settings: Settings) -> MultiFernet:
    """The keys from settings, newest first: the first encrypts, all of them decrypt."""
    return MultiFernet(_fernets(settings))


def _to_document(credentials: Credentials) -> dict[str, Any]:
    tokens = credentials.tokens
    return {
        "v": 1,
        "username": credentials.username,
        "password": credentials.password,
        "tokens": None
        if tokens is None
        else {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
            "scope": tokens.scope,
        },
        "extra": dict(credentials.extra),
    }


def _from_document(document: Any) -> Credentials:
    if not isinstance(document, dict) or document.get("v") != 1:
        raise CredentialsUnreadable("stored credentials have an unknown format")
    try:
        raw_tokens = document.get("tokens")
        tokens = None
        if raw_tokens is not None:
            expires = raw_tokens.get("expires_at")
            tokens = OAuthTokens(
                access_token=str(raw_tokens["access_token"]),
                refresh_token=raw_tokens.get("refresh_token"),
                expires_at=datetime.fromisoformat(expires) if expires else None,
                scope=str(raw_tokens.get("scope", "")),
            )
        return Credentials(
            username=str(document.get("username", "")),
            password=str(document.get("password", "")),
            tokens=tokens,
            extra={str(k): str(v) for k, v in (document.get("extra") or {}).items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CredentialsUnreadable(
            f"stored credentials are incomplete ({type(error).__name__})"
        ) from None


def encrypt_credentials(credentials: Credentials, settings: Settings) -> str:
    """The credentials as one Fernet token (ASCII), for CalendarConnection.encrypted_credentials."""
    plain = json.dumps(_to_document(credentials), separators=(",", ":")).encode("utf-8")
    return credential_cipher(settings).encrypt(plain).decode("ascii")


def decrypt_credentials(token: str, settings: Settings) -> Credentials:
    """The credentials stored by `encrypt_credentials`, with any of the configured keys."""
    try:
        plain = credential_cipher(settings).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        raise CredentialsUnreadable() from None
    try:
        document = json.loads(plain)
    except ValueError:
        raise CredentialsUnreadable("stored credentials are corrupt") from None
    return _from_document(document)


def rotate(token: str, settings: Settings) -> str:
    """The same credentials re-encrypted with the newest key (for key rotation jobs); a token
    already under the newest key comes back re-encrypted too (fresh timestamp and IV)."""
    try:
        return credential_cipher(settings).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise CredentialsUnreadable() from None


def needs_rotation(token: str, settings: Settings) -> bool:
    """Whether `token` was encrypted with a key other than the newest one."""
    newest = _fernets(settings)[0]
    try:
        newest.decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return True
    return False
