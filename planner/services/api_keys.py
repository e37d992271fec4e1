"""Per-account API keys: created and revoked by admins, shown once, stored as a SHA-256."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from planner.domain.text import UnusableText, check_line
from planner.domain.tokens import hash_token
from planner.domain.vocabulary import Role
from planner.models import Account, ApiKey, StaffUser
from planner.services.actor import Actor, owned, require_admin
from planner.services.errors import InvalidInput

log = logging.getLogger(__name__)

KEY_PREFIX = "pk_"
MAX_KEY_LENGTH = 200
# last_used_at is a hint for admins, not an audit trail: written at most once a minute.
_LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new key: `key` is shown to the admin once and is not stored anywhere."""

    id: int
    name: str
    prefix: str
    key: str


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    """A key as the admin page lists it (never the key itself)."""

    id: int
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def new_api_key() -> tuple[str, str]:
    """A fresh key `pk_<prefix>_<secret>` and its display prefix `pk_<prefix>`.

    The secret carries 256 random bits, so the SHA-256 of the whole key is a safe
    stored form (like session and link tokens); the prefix only helps admins tell keys apart."""
    prefix = f"{KEY_PREFIX}{secrets.token_hex(4)}"
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def create_api_key(*, session: Session, actor: Actor, name: str, now: datetime) -> CreatedApiKey:
    """Create a key for the actor's account (admins only); the API will act as the actor."""
    require_admin(actor)
    try:
        name = check_line(name or "")
    except UnusableText:
        raise InvalidInput("name", "must be one line of 1 to 100 characters") from None
    if not name or len(name) > 100:
        raise InvalidInput("name", "must be one line of 1 to 100 characters")
    key, prefix = new_api_key()
    row = ApiKey(
        account_id=actor.account_id,
        name=name,
        key_prefix=prefix,
        key_hash=hash_token(key),
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    log.info("api key %s (%s) created by %s", row.id, prefix, actor.user_id)
    return CreatedApiKey(id=row.id, name=name, prefix=prefix, key=key)


def list_api_keys(*, session: Session, actor: Actor) -> list[ApiKeyRow]:
    """The account's keys, newest first, revoked ones included (admins only)."""
    require_admin(actor)
    rows = session.exec(
        select(ApiKey, StaffUser.name)
        .join(StaffUser, col(StaffUser.id) == ApiKey.created_by_id, isouter=True)
        .where(ApiKey.account_id == actor.account_id)
        .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
    ).all()
    return [
        ApiKeyRow(
            id=key.id or 0,
            name=key.name,
            prefix=key.key_prefix,
            created_by=creator or "",
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )
        for key, creator in rows
    ]


def revoke_api_key(*, session: Session, actor: Actor, key_id: int, now: datetime) -> None:
    """Stop a key from working at once (admins only); revoking twice changes nothing."""
    require_admin(actor)
    key = owned(actor, session.get(ApiKey, key_id), "API key")
    if key.revoked_at is None:
        key.revoked_at = now
        session.commit()
        log.info("api key %s revoked by %s", key_id, actor.user_id)


def authenticate(*, session: Session, key: str, now: datetime) -> tuple[int, Actor] | None:
    """The key's id and the actor the API acts as, or None for an unknown or revoked key,
    or one whose creator was deactivated, removed or moved to another account.

    The actor is the key's creator with their current role: a key never grants more than
    the admin who made it has today."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.startswith(KEY_PREFIX):
        return None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_token(key))).first()
    if row is None or row.revoked_at is not None or row.created_by_id is None:
        return None
    user = session.get(StaffUser, row.created_by_id)
    if user is None or not user.is_active or user.account_id != row.account_id:
        return None
    account = session.get(Account, row.account_id)
    assert account is not None and user.id is not None and row.id is not None
    if row.last_used_at is None or now - row.last_used_at >= _LAST_USED_EVERY:
        row.last_used_at = now
        session.commit()
    actor = Actor(
        user_id=user.id,
        account_id=row.account_id,
        account_name=account.name,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        time_zone=user.time_zone,
        locale=user.locale,
    )
    return row.id, actor
