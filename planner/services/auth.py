"""Staff sign-in: argon2 passwords, server-side sessions, failures backed off per account
and address."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func
from sqlmodel import Session, select

from planner.db import begin_write
from planner.domain.text import without_nul
from planner.domain.tokens import hash_token, new_token
from planner.domain.vocabulary import Role
from planner.models import Account, SignInAttempt, StaffSession, StaffUser
from planner.services.actor import Actor
from planner.services.errors import SignInRefused, SignInThrottled
from planner.settings import get_settings

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so that the answer takes as long as for a known one.
_DUMMY_HASH = _hasher.hash("planner-no-such-user")
SESSION_ABSOLUTE_DAYS = 7
_LAST_SEEN_EVERY = timedelta(minutes=5)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether the password fits the stored hash (False for no hash or a broken one)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively and without surrounding blanks."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The result of a successful sign-in: the raw token goes into the cookie only."""

    token: str
    actor: Actor
    expires_at: datetime


def _backoff(session: Session, *, email: str, client_address: str, now: datetime) -> timedelta:
    """How long this e-mail may not be tried again from this address: nothing for the first
    PLANNER_SIGNIN_MAX_FAILURES recent failures of the pair, then 2, 4, 8... seconds after
    the last one, at most the window. Only the account *and* address together are slowed:
    someone else's wrong tries neither lock the real user out of their account nor lock out
    everyone behind a shared address."""
    settings = get_settings()
    window = timedelta(minutes=settings.signin_window_minutes)
    count, last = session.exec(
        select(func.count(), func.max(SignInAttempt.attempted_at)).where(
            SignInAttempt.email == email,
            SignInAttempt.client_address == client_address,
            SignInAttempt.succeeded == False,  # noqa: E712 - SQL expression
            SignInAttempt.attempted_at >= now - window,
        )
    ).one()
    if count < settings.signin_max_failures or last is None:
        return timedelta(0)
    if last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    delay = min(timedelta(seconds=2 ** min(count - settings.signin_max_failures + 1, 20)), window)
    return max(timedelta(0), last + delay - now)


def sign_in(
    *,
    session: Session,
    email: str,
    password: str,
    now: datetime,
    client_address: str = "",
    user_agent: str = "",
) -> SignedIn:
    """Check the credentials and open a session; throttles repeated failures.

    Raises SignInThrottled before checking anything while this e-mail is backed off for
    this client address (see _backoff), and SignInRefused (never saying whether the e-mail
    exists) on a wrong password."""
    email = normalise_email(email)[:320]
    client_address = without_nul(client_address)[:64]
    if without_nul(email) != email:
        # No address holds a NUL (and PostgreSQL could not even compare it): refused like an
        # unknown e-mail, after the same work.
        password_matches(None, password)
        raise SignInRefused("Wrong e-mail or password.")
    wait = _backoff(session, email=email, client_address=client_address, now=now)
    if wait > timedelta(0):
        log.info("sign-in backed off for %d s", wait.total_seconds())
        raise SignInThrottled(
            "Too many failed sign-ins. Wait {seconds} seconds and try again.",
            seconds=int(wait.total_seconds()) + 1,
        )
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    ok = password_matches(user.password_hash if user else None, password)
    begin_write(session)  # SQLite: a stale read snapshot cannot be upgraded to a write
    if not ok or user is None or not user.is_active:
        session.add(SignInAttempt(email=email, client_address=client_address, attempted_at=now))
        session.commit()
        raise SignInRefused("Wrong e-mail or password.")
    assert user.id is not None
    token = new_token()
    expires_at = now + timedelta(days=SESSION_ABSOLUTE_DAYS)
    session.add(
        StaffSession(
            account_id=user.account_id,
            staff_user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            user_agent=user_agent[:300],
        )
    )
    session.add(
        SignInAttempt(email=email, client_address=client_address, succeeded=True, attempted_at=now)
    )
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    session.commit()
    log.info("staff user %s signed in", user.id)
    return SignedIn(token=token, actor=_actor(session, user), expires_at=expires_at)


def _actor(session: Session, user: StaffUser) -> Actor:
    account = session.get(Account, user.account_id)
    assert user.id is not None and account is not None
    return Actor(
        user_id=user.id,
        account_id=user.account_id,
        account_name=account.name,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        time_zone=user.time_zone,
        locale=user.locale,
    )


def resolve_session(*, session: Session, token: str | None, now: datetime) -> Actor | None:
    """The actor behind a session cookie, or None when it is unknown, idle too long,
    expired, or its user was deactivated."""
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    idle_limit = timedelta(hours=get_settings().session_hours)
    user = session.get(StaffUser, row.staff_user_id)
    if (
        row.expires_at <= now
        or row.last_seen_at + idle_limit <= now
        or not (user and user.is_active)
    ):
        session.delete(row)
        session.commit()
        return None
    if now - row.last_seen_at >= _LAST_SEEN_EVERY:
        row.last_seen_at = now
        session.commit()
    return _actor(session, user)


def sign_out(*, session: Session, token: str | None) -> None:
    """End the session behind the cookie (nothing happens for an unknown token)."""
    if not token or len(token) > 200:
        return
    session.exec(delete(StaffSession).where(StaffSession.token_hash == hash_token(token)))
    session.commit()


def purge_expired(*, session: Session, now: datetime) -> int:
    """Delete expired sessions and old sign-in attempts; returns how many sessions went."""
    idle_limit = timedelta(hours=get_settings().session_hours)
    result = session.exec(
        delete(StaffSession).where(
            (StaffSession.expires_at <= now) | (StaffSession.last_seen_at <= now - idle_limit)
        )
    )
    session.exec(
        delete(SignInAttempt).where(SignInAttempt.attempted_at <= now - timedelta(days=30))
    )
    session.commit()
    return result.rowcount or 0
