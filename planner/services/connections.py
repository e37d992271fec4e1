"""Staff connect a calendar from a sync-invitation link (CalDAV checked live) and disconnect it."""

import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from cryptography.fernet import InvalidToken
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from planner.db import begin_write
from planner.domain.text import CONTROL
from planner.domain.tokens import hash_token
from planner.domain.vocabulary import ConnectionStatus
from planner.integrations.calendar.base import (
    AddressNotAllowed,
    AuthExpired,
    CalendarInfo,
    Credentials,
    ProviderError,
)
from planner.integrations.calendar.oauth import REVOCABLE, revoke_grant
from planner.integrations.calendar.registry import provider_for
from planner.integrations.crypto import (
    CredentialsUnreadable,
    credential_cipher,
    decrypt_credentials,
    encrypt_credentials,
)
from planner.models import (
    Account,
    BusyInterval,
    CalendarConnection,
    OAuthState,
    StaffUser,
    SyncInvitation,
    UnknownInterval,
)
from planner.services.errors import InvalidInput
from planner.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invitee:
    """Whose sync invitation a link is, as the connect page shows it."""

    staff_user_id: int
    account_id: int
    name: str
    email: str
    account_name: str = ""
    locale: str = "en"
    time_zone: str = "UTC"


@dataclass(frozen=True)
class ConnectionView:
    """One of the user's connections, without anything secret."""

    id: int
    provider: str
    status: str
    external_account: str
    last_synced_at: datetime | None
    last_error: str | None
    error_kind: str | None = None
    unreadable_count: int = 0
    unknown_from: datetime | None = None
    sync_pending: bool = False


def invitee_for(*, session: Session, token: str, now: datetime) -> Invitee | None:
    """The staff user a (not expired) sync-invitation link belongs to, or None."""
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(SyncInvitation, StaffUser, Account.name)
        .join(StaffUser, col(StaffUser.id) == SyncInvitation.staff_user_id)
        .join(Account, col(Account.id) == SyncInvitation.account_id)
        .where(
            SyncInvitation.token_hash == hash_token(token),
            SyncInvitation.expires_at > now,
            StaffUser.is_active == True,  # noqa: E712 - SQL expression
        )
    ).first()
    if row is None:
        return None
    invitation, user, account_name = row
    assert user.id is not None
    return Invitee(
        user.id,
        invitation.account_id,
        user.name,
        user.email or "",
        account_name,
        locale=user.locale,
        time_zone=user.time_zone,
    )


def connections_of(*, session: Session, staff_user_id: int) -> list[ConnectionView]:
    """The user's live (not disconnected) connections."""
    rows = session.exec(
        select(CalendarConnection)
        .where(
            CalendarConnection.staff_user_id == staff_user_id,
            CalendarConnection.status != ConnectionStatus.DISCONNECTED.value,
        )
        .order_by(col(CalendarConnection.id))
    ).all()
    return [
        ConnectionView(
            c.id or 0,
            c.provider,
            c.status,
            c.external_account,
            c.last_synced_at,
            c.last_error,
            error_kind=c.error_kind,
            unreadable_count=c.unreadable_count,
            unknown_from=c.unknown_from,
            sync_pending=c.sync_requested_at is not None
            and c.status in (ConnectionStatus.SYNCED.value, ConnectionStatus.ERROR.value),
        )
        for c in rows
    ]


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if (
        not url.startswith(("https://", "http://"))
        or len(url) > 500
        or any(ch.isspace() for ch in url)
        or CONTROL.search(url)
    ):
        raise InvalidInput("server_url", "enter the server's address, starting with https://")
    return url


async def check_caldav(
    *, server_url: str, username: str, password: str, settings: Settings
) -> CalendarInfo:
    """Log in to the CalDAV server and pick the calendar to sync (the first one), raising
    InvalidInput with a message the user can act on when that fails. Nothing is stored."""
    url = _check_url(server_url)
    if not username.strip() or not password:
        raise InvalidInput("password", "enter your username and an app password")
    async with httpx.AsyncClient() as http:
        provider = provider_for(
            "caldav",
            credentials=Credentials(username=username.strip(), password=password),
            http=http,
            save_tokens=_no_tokens,
            settings=settings,
            server_url=url,
        )
        try:
            calendars = await provider.list_calendars()
        except AuthExpired:
            raise InvalidInput(
                "password", "the server refused this username or password (use an app password)"
            ) from None
        except AddressNotAllowed:
            raise InvalidInput(
                "server_url",
                "this address is on a local or private network, which Planner does not "
                "connect to; use your calendar server's public address",
            ) from None
        except ProviderError:
            # One message whether nothing listens, something else answers or the server
            # is slow: what a wrong address gets must not map the network behind it.
            raise InvalidInput(
                "server_url", "no CalDAV calendar answered at this address; check the URL"
            ) from None
        finally:
            close = getattr(provider, "close", None)
            if callable(close):
                close()
    if not calendars:
        raise InvalidInput("server_url", "this account has no calendar on that server")
    return next((c for c in calendars if c.primary), calendars[0])


async def _no_tokens(_tokens: object) -> None:
    """CalDAV logins have no tokens to refresh."""


def save_connection(
    *,
    session: Session,
    invitee: Invitee,
    provider: str,
    credentials: Credentials,
    settings: Settings,
    now: datetime,
    server_url: str = "",
    calendar_id: str = "",
    external_account: str = "",
) -> int:
    """Store a checked connection (credentials encrypted), replacing the user's earlier one
    of the same provider, and mark the invitation used; one commit."""
    begin_write(session)
    _disconnect_where(
        session,
        now,
        CalendarConnection.staff_user_id == invitee.staff_user_id,
        CalendarConnection.provider == provider,
    )
    connection = CalendarConnection(
        account_id=invitee.account_id,
        staff_user_id=invitee.staff_user_id,
        provider=provider,
        status=ConnectionStatus.SYNCED.value,
        server_url=server_url,
        calendar_id=calendar_id,
        external_account=external_account[:320],
        encrypted_credentials=encrypt_credentials(credentials, settings),
        created_at=now,
        updated_at=now,
        # The first poll at once, so that the admin list shows a fresh sync within seconds.
        sync_requested_at=now,
    )
    session.add(connection)
    session.exec(
        update(SyncInvitation)  # type: ignore[call-overload]
        .where(
            col(SyncInvitation.staff_user_id) == invitee.staff_user_id,
            col(SyncInvitation.used_at).is_(None),
        )
        .values(used_at=now)
    )
    session.commit()
    assert connection.id is not None
    log.info("staff user %s connected %s (%s)", invitee.staff_user_id, provider, connection.id)
    return connection.id


def _disconnect_where(session: Session, now: datetime, *conditions: object) -> int:
    ids = list(
        session.exec(
            select(CalendarConnection.id).where(
                CalendarConnection.status != ConnectionStatus.DISCONNECTED.value,
                *conditions,  # type: ignore[arg-type]
            )
        ).all()
    )
    if not ids:
        return 0
    for table in (BusyInterval, UnknownInterval):
        session.exec(
            delete(table).where(col(table.connection_id).in_(ids))  # type: ignore[call-overload]
        )
    session.exec(
        update(CalendarConnection)  # type: ignore[call-overload]
        .where(col(CalendarConnection.id).in_(ids))
        .values(
            status=ConnectionStatus.DISCONNECTED.value,
            encrypted_credentials="",
            sync_cursor=None,
            unreadable_count=0,
            unknown_from=None,
            unreadable_reason=None,
            updated_at=now,
        )
    )
    return len(ids)


async def connect_caldav(
    *,
    session: Session,
    invitee: Invitee,
    server_url: str,
    username: str,
    password: str,
    settings: Settings,
    now: datetime,
) -> int:
    """Check the CalDAV login against the server, then store the connection. On any failure
    InvalidInput says what to fix and nothing is stored. The session is not used (and no
    transaction is open) while the server is asked."""
    session.rollback()
    calendar = await check_caldav(
        server_url=server_url, username=username, password=password, settings=settings
    )
    return save_connection(
        session=session,
        invitee=invitee,
        provider="caldav",
        credentials=Credentials(username=username.strip(), password=password),
        settings=settings,
        now=now,
        server_url=server_url.strip(),
        calendar_id=calendar.id,
        external_account=username.strip(),
    )


def disconnect(*, session: Session, staff_user_id: int, connection_id: int, now: datetime) -> bool:
    """Disconnect one of the user's own connections: credentials and cached busy times are
    dropped, the row stays as history. False when it is not theirs or already gone."""
    begin_write(session)
    count = _disconnect_where(
        session,
        now,
        CalendarConnection.id == connection_id,
        CalendarConnection.staff_user_id == staff_user_id,
    )
    session.commit()
    return count == 1


@dataclass(frozen=True)
class Disconnected:
    """What a disconnect did: `done` False when it was not the user's or already gone;
    `revoked` True when the provider confirmed that Planner's access was given back,
    False when it cannot revoke (CalDAV, Microsoft) or could not be reached."""

    done: bool
    provider: str = ""
    revoked: bool = False


async def disconnect_and_revoke(
    *,
    session: Session,
    staff_user_id: int,
    connection_id: int,
    settings: Settings,
    now: datetime,
    http: httpx.AsyncClient | None = None,
) -> Disconnected:
    """Disconnect one of the user's own connections (credentials and cached busy times
    dropped, in one commit), then give the grant back to the provider where it allows
    that. The provider is asked after the commit, with no transaction open, so that a slow
    or failing provider never keeps the connection alive."""
    session.rollback()
    row = session.exec(
        select(CalendarConnection).where(
            CalendarConnection.id == connection_id,
            CalendarConnection.staff_user_id == staff_user_id,
            CalendarConnection.status != ConnectionStatus.DISCONNECTED.value,
        )
    ).first()
    if row is None:
        session.rollback()
        return Disconnected(done=False)
    provider, secret = row.provider, row.encrypted_credentials
    session.rollback()
    if not disconnect(
        session=session, staff_user_id=staff_user_id, connection_id=connection_id, now=now
    ):
        return Disconnected(done=False)
    tokens = None
    if provider in REVOCABLE and secret:
        try:
            tokens = decrypt_credentials(secret, settings).tokens
        except CredentialsUnreadable:
            tokens = None
    if tokens is None:
        return Disconnected(done=True, provider=provider)
    if http is None:
        async with httpx.AsyncClient() as client:
            revoked = await revoke_grant(provider, tokens, http=client, settings=settings)
    else:
        revoked = await revoke_grant(provider, tokens, http=http, settings=settings)
    log.info("connection %s disconnected; revoked at %s: %s", connection_id, provider, revoked)
    return Disconnected(done=True, provider=provider, revoked=revoked)


OAUTH_STATE_MINUTES = 10


@dataclass(frozen=True)
class OAuthClaim:
    """What a callback's state turned out to be: `outcome` is ok, unknown, expired or used;
    when ok (and for expired or used ones), the link it started from; when ok, the verifier."""

    outcome: str
    provider: str = ""
    link_token: str = field(default="", repr=False)
    code_verifier: str = field(default="", repr=False)


def record_oauth_state(
    *,
    session: Session,
    invitee: Invitee,
    provider: str,
    state: str,
    code_verifier: str,
    link_token: str,
    settings: Settings,
    now: datetime,
) -> None:
    """Keep a started OAuth sign-in until its callback: the state only as a SHA-256, the PKCE
    verifier and the invitation link encrypted; valid for OAUTH_STATE_MINUTES, once."""
    cipher = credential_cipher(settings)
    begin_write(session)
    session.exec(
        delete(OAuthState).where(col(OAuthState.expires_at) < now - timedelta(days=1))  # type: ignore[call-overload]
    )
    session.add(
        OAuthState(
            account_id=invitee.account_id,
            staff_user_id=invitee.staff_user_id,
            provider=provider,
            state_hash=hash_token(state),
            encrypted_code_verifier=cipher.encrypt(code_verifier.encode()).decode("ascii"),
            encrypted_link_token=cipher.encrypt(link_token.encode()).decode("ascii"),
            created_at=now,
            expires_at=now + timedelta(minutes=OAUTH_STATE_MINUTES),
        )
    )
    session.commit()
    log.info("staff user %s started %s sign-in", invitee.staff_user_id, provider)


def claim_oauth_state(
    *,
    session: Session,
    provider: str,
    state: str,
    browser_link_token: str | None,
    settings: Settings,
    now: datetime,
) -> OAuthClaim:
    """Look up a callback's state and mark it used in the same transaction, so that a
    replayed callback finds it used. The state must have been started for `provider` from
    the browser that presents it (the link token of its cookie); otherwise it is unknown."""
    if not state or len(state) > 200:
        return OAuthClaim("unknown")
    cipher = credential_cipher(settings)
    begin_write(session)
    row = session.exec(
        select(OAuthState).where(
            OAuthState.state_hash == hash_token(state), OAuthState.provider == provider
        )
    ).first()
    if row is None:
        session.rollback()
        return OAuthClaim("unknown")
    try:
        link_token = cipher.decrypt(row.encrypted_link_token.encode("ascii")).decode()
        verifier = cipher.decrypt(row.encrypted_code_verifier.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        session.rollback()
        log.warning("oauth state %s cannot be decrypted", row.id)
        return OAuthClaim("unknown")
    if not browser_link_token or not hmac.compare_digest(
        link_token.encode(), browser_link_token.encode()
    ):
        session.rollback()
        return OAuthClaim("unknown")
    if row.used_at is not None:
        session.rollback()
        return OAuthClaim("used", provider, link_token)
    row.used_at = now
    session.add(row)
    session.commit()
    if row.expires_at <= now:
        return OAuthClaim("expired", provider, link_token)
    return OAuthClaim("ok", provider, link_token, verifier)
