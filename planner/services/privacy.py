"""A candidate's rights under the GDPR: export of their data (art. 15) and erasure (art. 17),
each one audited action of an admin (privacy_action holds ids and counts, never the data)."""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from planner.db import begin_write
from planner.domain.booking import InvitationEvent, can, next_status
from planner.domain.tokens import hash_token, new_token
from planner.domain.vocabulary import BookingStatus
from planner.models import (
    Booking,
    CalendarImport,
    Candidate,
    CandidateComment,
    CandidateInvitation,
    Interview,
    Job,
    OfferedSlot,
    OutboxMessage,
    PreviousAppointment,
    PreviousAppointmentPerson,
    PrivacyAction,
)
from planner.services import calendar_events, notifications, previous_calendar, webhooks
from planner.services.actor import Actor, owned, require_admin
from planner.services.errors import InvalidInput
from planner.services.notifications import MAIL_KIND, NOTIFICATION_KIND
from planner.services.webhooks import WEBHOOK_KIND

log = logging.getLogger(__name__)

ERASED_NAME = "Erased candidate"
_BOOKING_MAILS = (
    "booking_confirmation",
    "booking_cancellation",
    "slot_removed",
    "interview_changed",
    "meeting_link",
)


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure did (counts), and whether notices are still being delivered."""

    cancelled_interviews: int
    withdrawn_invitations: int
    removed_calendar_events: int
    deleted_comments: int
    deleted_appointments: int
    emptied_outbox_rows: int
    notices_pending: int


def _key(request_key: str) -> str:
    key = (request_key or "").strip()
    if not key or len(key) > 64:
        raise InvalidInput("request_key", "a submit key of 1 to 64 characters is required")
    return key


def _ids(session: Session, candidate_id: int) -> tuple[list[int], list[int], list[int]]:
    invitations = list(
        session.exec(
            select(CandidateInvitation.id).where(CandidateInvitation.candidate_id == candidate_id)
        ).all()
    )
    bookings = (
        list(
            session.exec(
                select(Booking.id).where(col(Booking.invitation_id).in_(invitations))
            ).all()
        )
        if invitations
        else []
    )
    comments = list(
        session.exec(
            select(CandidateComment.id).where(CandidateComment.candidate_id == candidate_id)
        ).all()
    )
    return (
        [int(i or 0) for i in invitations],
        [int(i or 0) for i in bookings],
        [int(i or 0) for i in comments],
    )


def _mail_keys(invitations: list[int], bookings: list[int], comments: list[int]) -> list[str]:
    """Prefixes of the dedupe keys of every mail about the candidate (see notifications)."""
    keys = [f"mail:{t}:{b}:" for b in bookings for t in _BOOKING_MAILS]
    keys += [f"mail:interview_invitation:{i}:" for i in invitations]
    keys += [f"mail:no_fit_comment:{c}:" for c in comments]
    return keys


def _mail_rows(
    session: Session, account_id: int, email: str, prefixes: list[str]
) -> list[OutboxMessage]:
    """Outbox mails to the candidate's address or about them (by dedupe key)."""
    conditions = [
        func.lower(OutboxMessage.payload["to"].as_string()) == email.lower(),
        *(col(OutboxMessage.dedupe_key).startswith(p, autoescape=True) for p in prefixes),
    ]
    rows: list[OutboxMessage] = []
    for start in range(0, len(conditions), 200):
        rows += session.exec(
            select(OutboxMessage).where(
                OutboxMessage.account_id == account_id,
                OutboxMessage.kind == MAIL_KIND,
                or_(*conditions[start : start + 200]),
            )
        ).all()
    return list({row.id: row for row in rows}.values())


def _empty_mail(row: OutboxMessage) -> None:
    row.payload = {"template": row.payload.get("template"), "erased": True}


def _names_candidate(data: dict[str, Any], ids: dict[str, set[int]]) -> bool:
    return (
        data.get("candidate_id") in ids["candidate"]
        or data.get("booking_id") in ids["booking"]
        or data.get("invitation_id") in ids["invitation"]
        or data.get("comment_id") in ids["comment"]
    )


def _scrub_webhooks(session: Session, account_id: int, ids: dict[str, set[int]]) -> int:
    """Webhook bodies about the candidate keep their ids, lose comments and references."""
    changed = 0
    for row in session.exec(
        select(OutboxMessage).where(
            OutboxMessage.account_id == account_id, OutboxMessage.kind == WEBHOOK_KIND
        )
    ).all():
        try:
            body = json.loads(str(row.payload.get("body", "{}")))
        except ValueError:
            continue
        data = body.get("data") or {}
        if not isinstance(data, dict) or not _names_candidate(data, ids):
            continue
        for field in ("comment", "candidate_external_ref"):
            data.pop(field, None)
        body["data"] = data
        row.payload = {
            **row.payload,
            "body": json.dumps(body, sort_keys=True, separators=(",", ":"), default=str),
        }
        changed += 1
    return changed


def _cancel_notifications(session: Session, account_id: int, ids: dict[str, set[int]]) -> int:
    """Requested notifications about the candidate not yet rendered are dropped (their
    links carry the candidate's token)."""
    changed = 0
    for row in session.exec(
        select(OutboxMessage).where(
            OutboxMessage.account_id == account_id,
            OutboxMessage.kind == NOTIFICATION_KIND,
            col(OutboxMessage.done_at).is_(None),
        )
    ).all():
        if _names_candidate(dict(row.payload.get("args") or {}), ids):
            row.payload = {"name": row.payload.get("name")}
            row.done_at, row.last_error = row.created_at, "cancelled: candidate erased"
            changed += 1
    return changed


def erase_candidate(
    *, session: Session, actor: Actor, candidate_id: int, request_key: str, now: datetime
) -> ErasureReport:
    """Erase a candidate's personal data (GDPR art. 17) in one transaction. Admins only.

    Their upcoming booked interviews are cancelled: the candidate and the staff get the
    "time withdrawn" notice (rendered now, while the address is known) and the events are
    removed from the staff's calendars (through the outbox, as any cancellation); events of
    their past interviews are removed too. Open invitations are withdrawn and every link
    token replaced by a random one. Comments and previous-calendar appointments naming them
    are deleted; mails, webhook bodies and requested notifications about them in the outbox
    are emptied or dropped; the candidate row keeps only its id, job, language and zone.
    The notices still to be delivered are emptied by `complete_erasures` once sent.

    Idempotent: the same `request_key`, or a candidate already erased, changes nothing.
    Raises PermissionDenied (not an admin), NotFound (not of the account)."""
    require_admin(actor)
    key = _key(request_key)
    begin_write(session)
    candidate = owned(actor, session.get(Candidate, candidate_id), "Candidate")
    done = (
        session.exec(
            select(PrivacyAction).where(
                PrivacyAction.account_id == actor.account_id,
                PrivacyAction.candidate_id == candidate_id,
                PrivacyAction.action == "erase",
            )
        ).first()
        or session.exec(
            select(PrivacyAction).where(
                PrivacyAction.account_id == actor.account_id,
                PrivacyAction.request_key == key,
                PrivacyAction.action == "erase",
            )
        ).first()
    )
    if candidate.erased_at is not None or done is not None:
        session.rollback()
        summary = dict(done.summary) if done else {}
        return ErasureReport(
            **{f: int(summary.get(f, 0)) for f in ErasureReport.__dataclass_fields__}
        )
    email, name = candidate.email, candidate.name
    invitation_ids, booking_ids, comment_ids = _ids(session, candidate_id)
    ids = {
        "candidate": {candidate_id},
        "invitation": set(invitation_ids),
        "booking": set(booking_ids),
        "comment": set(comment_ids),
    }

    # 1. Upcoming interviews: cancelled, with notice, through the existing services.
    cancelled: list[int] = []
    removed_events = 0
    upcoming = session.exec(
        select(Booking, OfferedSlot.start_at)
        .join(OfferedSlot, col(OfferedSlot.id) == Booking.slot_id)
        .where(
            col(Booking.id).in_(booking_ids or [-1]),
            Booking.status == BookingStatus.ACTIVE.value,
        )
    ).all()
    for booking, start_at in upcoming:
        assert booking.id is not None
        if start_at > now:
            booking.status, booking.cancelled_at = BookingStatus.CANCELLED.value, now
            session.flush()
            notifications.queue_slot_removed(session=session, booking_id=booking.id, final=True)
            cancelled.append(booking.id)
        removed_events += calendar_events.record_booking_cancelled(
            session=session, booking_id=booking.id
        )
    notices = [
        row.id
        for row in _mail_rows(
            session, actor.account_id, "", [f"mail:slot_removed:{b}:" for b in cancelled]
        )
        if row.done_at is None
    ]

    # 2. Links die; open invitations are withdrawn.
    withdrawn = 0
    for invitation in session.exec(
        select(CandidateInvitation).where(CandidateInvitation.candidate_id == candidate_id)
    ).all():
        invitation.token_hash = hash_token(new_token())
        if can(invitation.status, InvitationEvent.WITHDRAW):
            invitation.status = next_status(invitation.status, InvitationEvent.WITHDRAW).value
            withdrawn += 1

    # 3. The outbox: earlier mails about them emptied (undelivered ones not sent), their
    # requested notifications dropped, webhook bodies without comments or references.
    emptied = 0
    for row in _mail_rows(
        session, actor.account_id, email, _mail_keys(*_ids(session, candidate_id))
    ):
        if row.id in notices:
            continue
        if row.done_at is None:
            row.done_at, row.last_error = now, "cancelled: candidate erased"
        _empty_mail(row)
        emptied += 1
    emptied += _cancel_notifications(session, actor.account_id, ids)
    emptied += _scrub_webhooks(session, actor.account_id, ids)

    # 4. Their comments, and the previous calendar's appointments naming them.
    deleted_comments = len(comment_ids)
    session.exec(  # type: ignore[call-overload]
        delete(CandidateComment).where(col(CandidateComment.candidate_id) == candidate_id)
    )
    naming = [
        func.lower(col(PreviousAppointment.title)).contains(email.lower(), autoescape=True),
        func.lower(col(PreviousAppointment.location)).contains(email.lower(), autoescape=True),
    ]
    if len(name.strip()) >= 3:
        naming.append(
            func.lower(col(PreviousAppointment.title)).contains(name.lower(), autoescape=True)
        )
    people = select(PreviousAppointmentPerson.appointment_id).where(
        or_(
            col(PreviousAppointmentPerson.candidate_id) == candidate_id,
            func.lower(col(PreviousAppointmentPerson.email)) == email.lower(),
        )
    )
    appointments = list(
        session.exec(
            select(PreviousAppointment.id).where(
                PreviousAppointment.account_id == actor.account_id,
                or_(col(PreviousAppointment.id).in_(people), *naming),
            )
        ).all()
    )
    if appointments:
        session.exec(  # type: ignore[call-overload]
            delete(PreviousAppointment).where(col(PreviousAppointment.id).in_(appointments))
        )
    for upload in session.exec(
        select(CalendarImport).where(
            CalendarImport.account_id == actor.account_id,
            col(CalendarImport.content).is_not(None),
        )
    ).all():
        content = (upload.content or "").lower()
        if email.lower() in content or (len(name) >= 3 and name.lower() in content):
            upload.content = None
            if upload.status in ("previewed", "queued", "running"):
                upload.status, upload.finished_at = "failed", now
                upload.error = "erased"

    # 5. The candidate row itself.
    candidate.name = ERASED_NAME
    candidate.email = f"erased-{candidate_id}@erased.invalid"
    candidate.phone = None
    candidate.external_ref = None
    candidate.erased_at = now
    session.flush()
    for booking_id in cancelled:
        webhooks.record(
            session=session,
            account_id=actor.account_id,
            event="interview.cancelled",
            data={"booking_id": booking_id, "cancelled_by": "erasure"},
        )

    report = ErasureReport(
        cancelled_interviews=len(cancelled),
        withdrawn_invitations=withdrawn,
        removed_calendar_events=removed_events,
        deleted_comments=deleted_comments,
        deleted_appointments=len(appointments),
        emptied_outbox_rows=emptied,
        notices_pending=len(notices),
    )
    session.add(
        PrivacyAction(
            account_id=actor.account_id,
            candidate_id=candidate_id,
            action="erase",
            actor_id=actor.user_id,
            request_key=key,
            summary={f: getattr(report, f) for f in ErasureReport.__dataclass_fields__},
            pending_outbox_ids=[int(i or 0) for i in notices],
            created_at=now,
            completed_at=None if notices else now,
        )
    )
    session.commit()
    log.info("candidate %s erased by %s: %s", candidate_id, actor.user_id, report)
    return report


def complete_erasures(*, session: Session, now: datetime) -> int:
    """Worker: empty the notices of erasures once delivered (or given up), and mark those
    erasures complete. Returns how many were completed."""
    begin_write(session)
    completed = 0
    for action in session.exec(
        select(PrivacyAction).where(
            PrivacyAction.action == "erase", col(PrivacyAction.completed_at).is_(None)
        )
    ).all():
        ids = [int(i) for i in action.pending_outbox_ids or []]
        rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))).all()
        if any(row.done_at is None for row in rows):
            continue
        for row in rows:
            _empty_mail(row)
        action.pending_outbox_ids = []
        action.completed_at = now
        completed += 1
    session.commit()
    return completed


# --- export ------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_candidate(
    *, session: Session, actor: Actor, candidate_id: int, request_key: str, now: datetime
) -> dict[str, Any]:
    """Everything Planner holds about a candidate (GDPR art. 15), as JSON values: contact
    data, invitations with their interview, times and status, comments, previous-calendar
    appointments naming them, the mails sent to them (subject and date) and the record of
    earlier exports and erasure. Admins only; each export is recorded (once per key).

    Raises PermissionDenied, NotFound."""
    require_admin(actor)
    key = _key(request_key)
    candidate = owned(actor, session.get(Candidate, candidate_id), "Candidate")
    job = session.get(Job, candidate.job_id) if candidate.job_id else None
    invitations = []
    for invitation, interview in session.exec(
        select(CandidateInvitation, Interview)
        .join(Interview, col(Interview.id) == CandidateInvitation.interview_id)
        .where(CandidateInvitation.candidate_id == candidate_id)
        .order_by(col(CandidateInvitation.created_at))
    ).all():
        bookings = [
            {
                "status": booking.status,
                "start": _iso(slot.start_at),
                "end": _iso(slot.end_at),
                "booked_at": _iso(booking.created_at),
                "cancelled_at": _iso(booking.cancelled_at),
            }
            for booking, slot in session.exec(
                select(Booking, OfferedSlot)
                .join(OfferedSlot, col(OfferedSlot.id) == Booking.slot_id)
                .where(Booking.invitation_id == invitation.id)
                .order_by(col(Booking.created_at))
            ).all()
        ]
        invitations.append(
            {
                "interview": interview.title,
                "interview_status": interview.status,
                "invitation_status": invitation.status,
                "invited_at": _iso(invitation.sent_at or invitation.created_at),
                "link_expires_at": _iso(invitation.expires_at),
                "bookings": bookings,
            }
        )
    comments = [
        {"kind": c.kind, "text": c.body, "written_at": _iso(c.created_at)}
        for c in session.exec(
            select(CandidateComment)
            .where(CandidateComment.candidate_id == candidate_id)
            .order_by(col(CandidateComment.created_at))
        ).all()
    ]
    appointments = [
        {
            "title": a.title,
            "start": _iso(a.start),
            "end": _iso(a.end),
            "location": a.location,
            "source": a.source,
        }
        for a in previous_calendar.for_candidate(
            session=session, actor=actor, candidate_id=candidate_id
        )
    ]
    invitation_ids, booking_ids, comment_ids = _ids(session, candidate_id)
    mails = [
        {
            "template": row.payload.get("template"),
            "subject": row.payload.get("subject"),
            "queued_at": _iso(row.created_at),
            "sent_at": _iso(row.done_at) if not row.last_error else None,
        }
        for row in sorted(
            _mail_rows(
                session,
                actor.account_id,
                candidate.email,
                [],
            ),
            key=lambda r: (r.created_at, r.id or 0),
        )
    ]
    begin_write(session)
    recorded = session.exec(
        select(PrivacyAction).where(
            PrivacyAction.account_id == actor.account_id, PrivacyAction.request_key == key
        )
    ).first()
    if recorded is None:
        session.add(
            PrivacyAction(
                account_id=actor.account_id,
                candidate_id=candidate_id,
                action="export",
                actor_id=actor.user_id,
                request_key=key,
                summary={
                    "invitations": len(invitation_ids),
                    "bookings": len(booking_ids),
                    "comments": len(comment_ids),
                    "appointments": len(appointments),
                    "mails": len(mails),
                },
                created_at=now,
            )
        )
    session.commit()
    history = [
        {"action": a.action, "at": _iso(a.created_at)}
        for a in session.exec(
            select(PrivacyAction)
            .where(PrivacyAction.candidate_id == candidate_id)
            .order_by(col(PrivacyAction.created_at), col(PrivacyAction.id))
        ).all()
    ]
    return {
        "exported_at": _iso(now),
        "candidate": {
            "id": candidate.id,
            "name": candidate.name,
            "email": candidate.email,
            "phone": candidate.phone,
            "language": candidate.locale,
            "time_zone": candidate.time_zone,
            "job": job.title if job else None,
            "reference": candidate.external_ref,
            "added_at": _iso(candidate.created_at),
            "erased_at": _iso(candidate.erased_at),
        },
        "invitations": invitations,
        "comments": comments,
        "previous_calendar_appointments": appointments,
        "mails": mails,
        "requests": history,
    }
