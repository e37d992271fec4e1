"""What staff may see of their account's outgoing mail: mails that could not be delivered,
and which mails (by Message-ID) are their account's."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from planner.integrations.mail.devserver import MAILDIR, ReceivedMail, list_received
from planner.models import OutboxMessage
from planner.services.actor import Actor, require_admin
from planner.services.notifications import MAIL_KIND, NOTIFICATION_KIND


@dataclass(frozen=True, slots=True)
class UndeliveredMail:
    """A mail the outbox gave up on: to whom, what about, why, and when."""

    id: int
    to: str
    subject: str
    template: str
    reason: str
    failed_at: datetime


def undelivered_mail(*, session: Session, actor: Actor, limit: int = 50) -> list[UndeliveredMail]:
    """The account's mails that were given up (could not be built, refused by the mail
    server or out of attempts), and notifications that could not be turned into mails at
    all (`to` is then empty and `subject` names the notification), newest first; admins
    only. Raises PermissionDenied."""
    require_admin(actor)
    rows = session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.kind).in_((MAIL_KIND, NOTIFICATION_KIND)),
            OutboxMessage.account_id == actor.account_id,
            col(OutboxMessage.done_at).is_not(None),
            col(OutboxMessage.last_error).is_not(None),
        )
        .order_by(col(OutboxMessage.done_at).desc(), col(OutboxMessage.id).desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    return [
        UndeliveredMail(
            id=row.id or 0,
            to=str(row.payload.get("to") or ""),
            subject=str(row.payload.get("subject") or row.payload.get("name") or ""),
            template=str(row.payload.get("template") or row.payload.get("name") or ""),
            reason=(row.last_error or "").removeprefix("gave up: "),
            failed_at=row.done_at or row.created_at,
        )
        for row in rows
    ]


def message_ids_of_account(
    *, session: Session, actor: Actor, message_ids: Iterable[str]
) -> set[str]:
    """Which of `message_ids` (Message-ID header values, with angle brackets) are mails
    of the actor's account; admins only. Raises PermissionDenied."""
    require_admin(actor)
    wanted = sorted({m.strip() for m in message_ids if m and m.strip()})
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            str(m)
            for m in session.exec(
                select(OutboxMessage.message_id).where(
                    OutboxMessage.kind == MAIL_KIND,
                    OutboxMessage.account_id == actor.account_id,
                    col(OutboxMessage.message_id).in_(chunk),
                )
            ).all()
        )
    return found


def received_mail_of_account(
    *, session: Session, actor: Actor, directory: Path = MAILDIR, limit: int = 200
) -> list[ReceivedMail]:
    """Development's "Sent mail": the newest mails the local SMTP server received that the
    actor's account sent (one server serves every account of the instance, so each mail is
    matched to its outbox row by Message-ID); admins only. Raises PermissionDenied."""
    require_admin(actor)
    mails = list_received(directory, limit=None)
    mine = message_ids_of_account(
        session=session, actor=actor, message_ids=[mail.message_id for mail in mails]
    )
    return [mail for mail in mails if mail.message_id in mine][:limit]
