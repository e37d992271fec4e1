"""Admins invite staff users, in bulk, to connect a calendar."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from planner import routes
from planner.domain.tokens import hash_token, new_token
from planner.models import StaffUser, SyncInvitation
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


def send_sync_invitations(
    *, session: Session, actor: Actor, user_ids: list[int], now: datetime
) -> SyncInvitationResult:
    """Send (or re-send) the calendar-sync invitation to the chosen staff users. Users
    without an e-mail address are skipped and named in the result; a re-sent invitation
    replaces the earlier link."""
    require_admin(actor)
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        raise InvalidInput("user_ids", "choose at least one staff user")
    if len(wanted) > MAX_PER_REQUEST:
        raise InvalidInput("user_ids", f"at most {MAX_PER_REQUEST} at a time")
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
        raise InvalidInput("user_ids", "unknown staff user in this account")
    base_url = get_settings().base_url
    result = SyncInvitationResult()
    for user in users:
        assert user.id is not None
        if not user.email:
            result.without_email.append(user.name)
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
            name="sync_invitation",
            account_id=actor.account_id,
            staff_user_id=user.id,
            link=routes.sync_connect_url(base_url, token),
        )
        result.sent.append(user.name)
    session.commit()
    log.info(
        "sync invitations: %d sent, %d without e-mail", len(result.sent), len(result.without_email)
    )
    return result
