"""Admins invite staff users, in bulk, to connect a calendar."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from planner import routes
from planner.db import begin_write
from planner.domain.sync_status import CALENDAR_PROVIDERS
from planner.domain.tokens import hash_token, new_token
from planner.domain.vocabulary import ConnectionStatus
from planner.models import CalendarConnection, StaffUser, SyncInvitation
from planner.services import notifications
from planner.services.actor import Actor, require_admin
from planner.services.errors import InvalidInput
from planner.settings import get_settings

log = logging.getLogger(__name__)
SYNC_INVITATION_DAYS = 14
MAX_PER_REQUEST = 1000


@dataclass(frozen=True)
class SyncInvitationResult:
    """Who was sent an invitation, and who could not be (no e-mail address on file)."""

    sent: list[str] = field(default_factory=list)
    without_email: list[str] = field(default_factory=list)
    # Sent one within `not_again_within` already (a double click or a second admin).
    already_sent: list[str] = field(default_factory=list)
    # Asked to reconnect while a calendar of theirs syncs fine: nothing to fix, not sent.
    not_needed: list[str] = field(default_factory=list)


MAILS = {"invite": "sync_invitation", "reconnect": "sync_reconnect"}


def send_sync_invitations(
    *,
    session: Session,
    actor: Actor,
    user_ids: list[int],
    now: datetime,
    purpose: str = "invite",
    not_again_within: timedelta | None = None,
) -> SyncInvitationResult:
    """Send (or re-send) the calendar-sync invitation to the chosen staff users (admins
    only); `purpose="reconnect"` sends the "please reconnect" mail instead, with the same
    kind of fresh connect link. Users without an e-mail address are skipped and named in
    the result; a re-sent invitation replaces the earlier link. With `not_again_within`,
    users whose last invitation is younger than that are skipped and named in
    `already_sent`, so that a double click sends one mail. A reconnect request for a user
    whose calendar syncs is not sent (`not_needed`). Raises PermissionDenied, InvalidInput."""
    require_admin(actor)
    if purpose not in MAILS:
        raise InvalidInput("purpose", "unknown sync mail")
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        raise InvalidInput("user_ids", "choose at least one staff user")
    if len(wanted) > MAX_PER_REQUEST:
        raise InvalidInput("user_ids", "at most {limit} at a time", limit=MAX_PER_REQUEST)
    begin_write(session)
    users = session.exec(
        select(StaffUser)
        .where(
            col(StaffUser.id).in_(wanted),
            StaffUser.account_id == actor.account_id,
            StaffUser.is_active == True,  # noqa: E712 - SQL expression
        )
        .order_by(StaffUser.name)
    ).all()
    if len(users) != len(wanted):
        session.rollback()
        raise InvalidInput("user_ids", "unknown staff user in this account")
    base_url = get_settings().base_url
    result = SyncInvitationResult()
    recent: set[int] = set()
    if not_again_within is not None:
        recent = set(
            session.exec(
                select(SyncInvitation.staff_user_id).where(
                    col(SyncInvitation.staff_user_id).in_(wanted),
                    SyncInvitation.sent_at > now - not_again_within,
                )
            ).all()
        )
    working: set[int] = set()
    if purpose == "reconnect":
        working = set(
            session.exec(
                select(CalendarConnection.staff_user_id).where(
                    col(CalendarConnection.staff_user_id).in_(wanted),
                    col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
                    CalendarConnection.status == ConnectionStatus.SYNCED.value,
                )
            ).all()
        )
    for user in users:
        assert user.id is not None
        if not user.email:
            result.without_email.append(user.name)
            continue
        if user.id in working:
            result.not_needed.append(user.name)
            continue
        if user.id in recent:
            result.already_sent.append(user.name)
            continue
        session.exec(
            update(SyncInvitation)  # type: ignore[call-overload]
            .where(
                col(SyncInvitation.staff_user_id) == user.id,
                col(SyncInvitation.used_at).is_(None),
                col(SyncInvitation.expires_at) > now,
            )
            .values(expires_at=now)
        )
        token = new_token()
        session.add(
            SyncInvitation(
                account_id=actor.account_id,
                staff_user_id=user.id,
                token_hash=hash_token(token),
                sent_at=now,
                expires_at=now + timedelta(days=SYNC_INVITATION_DAYS),
            )
        )
        notifications.request(
            session=session,
            name=MAILS[purpose],
            account_id=actor.account_id,
            staff_user_id=user.id,
            link=routes.sync_connect_url(base_url, token),
        )
        result.sent.append(user.name)
    session.commit()
    log.info(
        "sync mails (%s): %d sent, %d without e-mail, %d sent just before",
        purpose,
        len(result.sent),
        len(result.without_email),
        len(result.already_sent),
    )
    return result
