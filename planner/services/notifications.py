"""Notification mails recorded in the outbox inside the caller's transaction (never commits).

Each mail is rendered when it is queued, in the recipient's language and time zone, into the
finished MIME message with a fixed Message-ID; the outbox worker only hands those bytes to SMTP,
so retries send exactly the same message. The same notification queued twice is stored once
(`dedupe_key`). Recipients follow spec 4: candidates always get the iMIP part; staff whose
calendar is synced get the event through their provider and a mail without iMIP; other staff
with an e-mail address get iMIP; staff without an address get nothing."""

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from planner.domain import mail_content as content
from planner.domain.booking import link_valid_until
from planner.domain.ical import (
    AttendeeRole,
    CalendarPerson,
    InterviewEvent,
    Method,
    cancel_calendar,
    checked_address,
    download_calendar,
    event_uid,
    google_calendar_url,
    outlook_calendar_url,
    request_calendar,
    single_line,
)
from planner.domain.mail import Mailbox, MailContent, build_message, parse_mailbox, sender_domain
from planner.domain.mail_content import CalendarDelivery, InterviewFacts, Reader
from planner.domain.sync_status import CALENDAR_PROVIDERS
from planner.domain.vocabulary import BookingStatus, ConnectionStatus, MeetingKind, SlotStatus
from planner.models import (
    Account,
    Booking,
    CalendarConnection,
    Candidate,
    CandidateComment,
    CandidateInvitation,
    Interview,
    InterviewParticipant,
    Job,
    Location,
    OfferedSlot,
    OutboxMessage,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services.errors import NotFound
from planner.settings import get_settings

log = logging.getLogger(__name__)

MAIL_KIND = "mail"


@dataclass(frozen=True)
class _Outgoing:
    """One mail to record."""

    dedupe_key: str
    account_id: int
    template: str
    to: Mailbox
    content: MailContent
    reply_to: Mailbox | None = None
    calendar: bytes | None = None
    method: Method | None = None


@dataclass(frozen=True)
class _StaffRecipient:
    user: StaffUser
    synced: bool


@dataclass(frozen=True)
class _BookingContext:
    account: Account
    interview: Interview
    booking: Booking
    slot: OfferedSlot
    candidate: Candidate
    invitation: CandidateInvitation
    organiser: StaffUser
    staff: tuple[_StaffRecipient, ...]
    facts: InterviewFacts


def _sender() -> Mailbox:
    return parse_mailbox(get_settings().mail_from)


def _link_digest(link: str) -> str:
    # Links carry tokens: the dedupe key holds only a digest of them.
    return hashlib.sha256(link.encode("utf-8")).hexdigest()[:20]


def _insert(session: Session, values: dict) -> bool:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    # RETURNING gives a row only when the insert happened (rowcount is not reliable here).
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def _record(session: Session, mail: _Outgoing, *, sender: Mailbox, now: datetime) -> bool:
    """Render the MIME message and add its outbox row; False when it was queued before."""
    message_id = f"<{secrets.token_hex(16)}@{sender_domain(get_settings().mail_from)}>"
    message = build_message(
        content=mail.content,
        sender=sender,
        to=mail.to,
        reply_to=mail.reply_to,
        message_id=message_id,
        date=now,
        calendar=mail.calendar,
        method=mail.method,
    )
    payload = {
        "template": mail.template,
        "lang": mail.content.lang,
        "envelope_from": sender.email,
        "to": mail.to.email,
        "subject": str(message["Subject"]),
        "method": mail.method.value if mail.method else None,
        "raw": message.as_bytes().decode("ascii"),
    }
    return _insert(
        session,
        {
            "account_id": mail.account_id,
            "kind": MAIL_KIND,
            "payload": payload,
            "dedupe_key": mail.dedupe_key,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "message_id": message_id,
            "done_at": None,
            "created_at": now,
        },
    )


def _record_unbuildable(session: Session, mail: _Outgoing, *, now: datetime, reason: str) -> None:
    """A mail that cannot be built (an address or text no mail header can carry; refused at
    input, so only old or imported rows) is recorded as a failed outbox row, never dropped in
    silence: staff see it among the undelivered mails (outbox.undelivered_mail)."""
    _insert(
        session,
        {
            "account_id": mail.account_id,
            "kind": MAIL_KIND,
            "payload": {
                "template": mail.template,
                "lang": mail.content.lang,
                "to": single_line(mail.to.email)[:320],
                "subject": single_line(mail.content.subject)[:250],
                "method": mail.method.value if mail.method else None,
            },
            "dedupe_key": mail.dedupe_key,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": f"gave up: the mail could not be built ({reason})"[:2000],
            "message_id": None,
            "done_at": now,
            "created_at": now,
        },
    )


def _record_all(session: Session, mails: list[_Outgoing]) -> int:
    sender = _sender()
    now = utcnow()
    stored = 0
    for mail in mails:
        try:
            with session.begin_nested():
                stored += _record(session, mail, sender=sender, now=now)
        except (ValueError, UnicodeError) as exc:
            log.warning("mail %s not built: %s", mail.dedupe_key, type(exc).__name__)
            _record_unbuildable(session, mail, now=now, reason=_unbuildable_reason(exc))
    return stored


def _unbuildable_reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeError):
        return "text with invalid characters"
    text = str(exc)
    if "e-mail address" in text:
        return "unusable recipient address"
    return "text no mail header can carry"


def _reader_for_staff(user: StaffUser) -> Reader:
    return Reader(name=user.name, locale=user.locale, time_zone=user.time_zone)


def _reader_for_candidate(
    candidate: Candidate, invitation: CandidateInvitation | None = None
) -> Reader:
    """The candidate as the reader of a mail: in the language and zone chosen on their
    booking page for this invitation, when they chose one."""
    return Reader(
        name=candidate.name,
        locale=(invitation.locale if invitation else None) or candidate.locale,
        time_zone=(invitation.time_zone if invitation else None) or candidate.time_zone,
    )


def _job_title(session: Session, interview: Interview) -> str:
    job = session.get(Job, interview.job_id) if interview.job_id else None
    return job.title if job else ""


def _get(session: Session, model: type, row_id: int, what: str):  # type: ignore[no-untyped-def]
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} not found.")
    return row


def _synced_user_ids(session: Session, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    rows = session.exec(
        select(CalendarConnection.staff_user_id).where(
            col(CalendarConnection.staff_user_id).in_(user_ids),
            col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
            CalendarConnection.status == ConnectionStatus.SYNCED.value,
        )
    ).all()
    return set(rows)


def _staff_of(session: Session, interview: Interview) -> tuple[StaffUser, list[_StaffRecipient]]:
    """The organiser, and every active participant (organiser included) with an address."""
    organiser = _get(session, StaffUser, interview.organiser_id, "Organiser")
    participants = session.exec(
        select(StaffUser)
        .join(InterviewParticipant, col(InterviewParticipant.staff_user_id) == StaffUser.id)
        .where(InterviewParticipant.interview_id == interview.id)
        .order_by(col(StaffUser.id))
    ).all()
    people = {organiser.id: organiser} | {user.id: user for user in participants}
    with_mail = [u for u in people.values() if u.email and u.is_active]
    synced = _synced_user_ids(session, [u.id for u in with_mail if u.id is not None])
    return organiser, [_StaffRecipient(user=u, synced=u.id in synced) for u in with_mail]


def _place(session: Session, interview: Interview) -> str:
    if interview.location_id is None:
        return ""
    location = session.get(Location, interview.location_id)
    if location is None:
        return ""
    return ", ".join(part for part in (location.name, location.address) if part)


def _meeting_url(session: Session, booking_id: int) -> str:
    from planner.services.calendar_events import meeting_link_state

    return meeting_link_state(session=session, booking_id=booking_id)[1]


class MeetingLinkPending(Exception):
    """The booking's online meeting is still being made by the organiser's provider: the
    mail that should carry its link waits (render_requested tries it again shortly)."""


# How long a booking's mails wait for a provider-made meeting link (Teams, Meet, Zoom)
# before they go without it, saying it follows; the link then comes in its own mail.
MEETING_LINK_WAIT = timedelta(minutes=2)
MEETING_LINK_RETRY = timedelta(seconds=3)


def meeting_wait_until(now: datetime) -> str:
    """The `wait_until` argument (ISO 8601, UTC) for a mail recorded at `now` (UTC) that
    should carry the booking's meeting link: MEETING_LINK_WAIT from now."""
    return (now + MEETING_LINK_WAIT).isoformat()


def _meeting_follows(session: Session, booking_id: int, wait_until: str | None) -> bool:
    """Whether a mail about the booking goes without its meeting link, saying it follows
    (the organiser's provider is still making it and `wait_until` has passed). Raises
    MeetingLinkPending while it is being made and `wait_until` has not passed; no
    `wait_until` means no waiting (and nothing said about a link to follow)."""
    from planner.services.calendar_events import MEETING_PENDING, meeting_link_state

    if wait_until is None:
        return False
    state, _url = meeting_link_state(session=session, booking_id=booking_id)
    if state != MEETING_PENDING:
        return False
    if utcnow() < datetime.fromisoformat(wait_until):
        raise MeetingLinkPending(booking_id)
    return True


def _booking_context(
    session: Session, booking_id: int, *, meeting_url: str | None, meeting_follows: bool = False
) -> _BookingContext:
    booking = _get(session, Booking, booking_id, "Booking")
    invitation = _get(session, CandidateInvitation, booking.invitation_id, "Invitation")
    interview = _get(session, Interview, invitation.interview_id, "Interview")
    slot = _get(session, OfferedSlot, booking.slot_id, "Slot")
    candidate = _get(session, Candidate, invitation.candidate_id, "Candidate")
    account = _get(session, Account, interview.account_id, "Account")
    organiser, staff = _staff_of(session, interview)
    facts = InterviewFacts(
        title=interview.title,
        account_name=account.name,
        organiser_name=organiser.name,
        start=slot.start_at,
        end=slot.end_at,
        place=_place(session, interview),
        meeting_url=meeting_url if meeting_url is not None else _meeting_url(session, booking_id),
        job=_job_title(session, interview),
        meeting_follows=meeting_follows,
    )
    return _BookingContext(
        account=account,
        interview=interview,
        booking=booking,
        slot=slot,
        candidate=candidate,
        invitation=invitation,
        organiser=organiser,
        staff=tuple(staff),
        facts=facts,
    )


def _event(
    ctx: _BookingContext,
    *,
    sequence: int,
    description: str,
    stamp: datetime,
    for_candidate: bool = False,
) -> InterviewEvent:
    """The booking's event; ORGANIZER is Planner's From address (named after the organiser)
    so that the sender of every REQUEST and CANCEL is the organiser clients expect. The
    candidate's copy (`for_candidate`) lists the candidate as the only attendee: staff
    addresses are not given out to candidates."""
    assert ctx.booking.id is not None
    attendees = [
        CalendarPerson(
            email=r.user.email or "",
            name=r.user.name,
            role=AttendeeRole.CHAIR if r.user.id == ctx.organiser.id else AttendeeRole.REQUIRED,
        )
        for r in ctx.staff
        if not for_candidate
    ]
    attendees.append(CalendarPerson(email=ctx.candidate.email, name=ctx.candidate.name))
    return InterviewEvent(
        uid=event_uid(ctx.interview.ics_uid, ctx.booking.id),
        sequence=sequence,
        start=ctx.slot.start_at,
        end=ctx.slot.end_at,
        summary=ctx.interview.title,
        organizer=CalendarPerson(email=_sender().email, name=ctx.organiser.name),
        # An address no calendar can carry (refused at input, so only old or imported rows)
        # leaves its person out; their own mail is then recorded as a failure.
        attendees=tuple(p for p in attendees if _usable_address(p.email)),
        stamp=stamp,
        description=description,
        location=ctx.facts.place or ctx.facts.meeting_url,
        url=ctx.facts.meeting_url,
    )


def _usable_address(address: str) -> bool:
    try:
        checked_address(address)
    except ValueError:
        return False
    return True


def _reply_to(organiser: StaffUser) -> Mailbox | None:
    return Mailbox(name=organiser.name, email=organiser.email) if organiser.email else None


def _candidate_box(candidate: Candidate) -> Mailbox:
    return Mailbox(name=candidate.name, email=candidate.email)


def _staff_box(user: StaffUser) -> Mailbox:
    return Mailbox(name=user.name, email=user.email or "")


def _delivery(recipient: _StaffRecipient) -> CalendarDelivery:
    return CalendarDelivery.PROVIDER if recipient.synced else CalendarDelivery.ATTACHED


def _booking_mails(
    ctx: _BookingContext,
    *,
    template: str,
    method: Method,
    sequence: int,
    candidate_content: MailContent | None,
    candidate_description: str,
    staff_content: Callable[[Reader, "_StaffRecipient"], MailContent],
    key_suffix: str = "",
) -> list[_Outgoing]:
    """The candidate's mail and each staff member's, with the iMIP part where it belongs.
    `key_suffix` tells apart mails of one booking sent more than once (each change)."""
    build = request_calendar if method is Method.REQUEST else cancel_calendar
    stamp = utcnow()
    key = f"mail:{template}:{ctx.booking.id}{key_suffix}"
    mails: list[_Outgoing] = []
    if candidate_content is not None:
        event = _event(
            ctx,
            sequence=sequence,
            description=candidate_description,
            stamp=stamp,
            for_candidate=True,
        )
        mails.append(
            _Outgoing(
                dedupe_key=f"{key}:candidate",
                account_id=ctx.account.id or 0,
                template=template,
                to=_candidate_box(ctx.candidate),
                content=candidate_content,
                reply_to=_reply_to(ctx.organiser),
                calendar=build(event),
                method=method,
            )
        )
    for recipient in ctx.staff:
        reader = _reader_for_staff(recipient.user)
        calendar = None
        if not recipient.synced:
            description = content.event_description(reader, ctx.facts)
            calendar = build(_event(ctx, sequence=sequence, description=description, stamp=stamp))
        mails.append(
            _Outgoing(
                dedupe_key=f"{key}:staff-{recipient.user.id}",
                account_id=ctx.account.id or 0,
                template=template,
                to=_staff_box(recipient.user),
                content=staff_content(reader, recipient),
                calendar=calendar,
                method=method if calendar is not None else None,
            )
        )
    return mails


def queue_sync_invitation(*, session: Session, staff_user_id: int, link: str) -> int:
    """Record the mail inviting a staff user to connect a calendar (nothing for a user
    without an e-mail address). Returns the number of mails newly queued (0 or 1)."""
    user = _get(session, StaffUser, staff_user_id, "Staff user")
    if not user.email:
        return 0
    account = _get(session, Account, user.account_id, "Account")
    reader = _reader_for_staff(user)
    mail = _Outgoing(
        dedupe_key=f"mail:sync_invitation:{user.id}:{_link_digest(link)}",
        account_id=account.id,
        template="sync_invitation",
        to=_staff_box(user),
        content=content.sync_invitation(reader, account_name=account.name, link=link),
    )
    return _record_all(session, [mail])


def queue_sync_reconnect(*, session: Session, staff_user_id: int, link: str) -> int:
    """Record the mail asking a staff user to connect their calendar again (nothing for a
    user without an e-mail address). Returns the number of mails newly queued (0 or 1)."""
    user = _get(session, StaffUser, staff_user_id, "Staff user")
    if not user.email:
        return 0
    account = _get(session, Account, user.account_id, "Account")
    mail = _Outgoing(
        dedupe_key=f"mail:sync_reconnect:{user.id}:{_link_digest(link)}",
        account_id=account.id,
        template="sync_reconnect",
        to=_staff_box(user),
        content=content.sync_reconnect(
            _reader_for_staff(user), account_name=account.name, link=link
        ),
    )
    return _record_all(session, [mail])


def queue_interview_invitation(*, session: Session, invitation_id: int, link: str) -> int:
    """Record the candidate's invitation to choose a time through their unique link.
    A new link (a re-sent invitation) is a new mail; the same link queued again is not."""
    invitation = _get(session, CandidateInvitation, invitation_id, "Invitation")
    interview = _get(session, Interview, invitation.interview_id, "Interview")
    candidate = _get(session, Candidate, invitation.candidate_id, "Candidate")
    account = _get(session, Account, interview.account_id, "Account")
    organiser = _get(session, StaffUser, interview.organiser_id, "Organiser")
    slots = session.exec(
        select(OfferedSlot)
        .where(
            OfferedSlot.interview_id == interview.id,
            OfferedSlot.status == SlotStatus.OFFERED.value,
            OfferedSlot.start_at > utcnow(),
        )
        .order_by(col(OfferedSlot.start_at))
    ).all()
    mail = _Outgoing(
        dedupe_key=f"mail:interview_invitation:{invitation.id}:{_link_digest(link)}",
        account_id=account.id,
        template="interview_invitation",
        to=_candidate_box(candidate),
        reply_to=_reply_to(organiser),
        content=content.interview_invitation(
            _reader_for_candidate(candidate, invitation),
            title=interview.title,
            account_name=account.name,
            organiser_name=organiser.name,
            duration_minutes=interview.duration_minutes,
            invitation_text=interview.invitation_text,
            slots=tuple((s.start_at, s.end_at) for s in slots),
            link=link,
            # The link works at least until the last offered time has passed.
            expires_at=link_valid_until(
                invitation.expires_at, max((s.end_at for s in slots), default=None)
            ),
            job_title=_job_title(session, interview),
            place=_place(session, interview),
            online=interview.meeting_kind != MeetingKind.NONE.value,
            subject=interview.invitation_subject,
        ),
    )
    return _record_all(session, [mail])


def queue_booking_confirmation(
    *,
    session: Session,
    booking_id: int,
    link: str | None = None,
    sequence: int | None = None,
    meeting_url: str | None = None,
    wait_until: str | None = None,
) -> int:
    """Record the confirmation of a booking: the candidate's (iMIP REQUEST, "add to
    calendar" links, `link` to change or cancel) and each staff member's. `sequence`
    defaults to the interview's `ics_sequence`; `meeting_url` to the booking's provider
    event link. With `wait_until` (ISO 8601, UTC; see meeting_wait_until) the mails wait
    for a meeting link the organiser's provider is still making (MeetingLinkPending) and,
    once that time has passed, go without it, saying it follows, and a "meeting_link"
    mail is requested. Returns the number of mails newly queued."""
    if wait_until is not None:
        booking = _get(session, Booking, booking_id, "Booking")
        if booking.status != BookingStatus.ACTIVE.value:
            return 0  # cancelled while it waited: its cancellation says what there is to say
    follows = meeting_url is None and _meeting_follows(session, booking_id, wait_until)
    ctx = _booking_context(session, booking_id, meeting_url=meeting_url, meeting_follows=follows)
    sequence = ctx.interview.ics_sequence if sequence is None else sequence
    reader = _reader_for_candidate(ctx.candidate, ctx.invitation)
    description = content.event_description(reader, ctx.facts, manage_url=link or "")
    plain = _event(ctx, sequence=sequence, description=description, stamp=utcnow())
    candidate_mail = content.booking_confirmation_for_candidate(
        reader,
        ctx.facts,
        manage_url=link or "",
        google_url=google_calendar_url(plain),
        outlook_url=outlook_calendar_url(plain),
    )
    mails = _booking_mails(
        ctx,
        template="booking_confirmation",
        method=Method.REQUEST,
        sequence=sequence,
        candidate_content=candidate_mail,
        candidate_description=description,
        staff_content=lambda r, s: content.booking_confirmation_for_staff(
            r, ctx.facts, candidate_name=ctx.candidate.name, delivery=_delivery(s)
        ),
    )
    if follows:
        _request_meeting_link(session, ctx, sequence)
    return _record_all(session, mails)


def _request_meeting_link(session: Session, ctx: _BookingContext, sequence: int) -> None:
    request(
        session=session,
        name="meeting_link",
        account_id=ctx.account.id,
        booking_id=ctx.booking.id,
        sequence=sequence,
    )


def queue_booking_cancellation(
    *,
    session: Session,
    booking_id: int,
    comment: str | None = None,
    link: str | None = None,
    sequence: int | None = None,
) -> int:
    """Record the cancellation of a booking by the candidate: the candidate's confirmation
    and each staff member's notice with the comment, iMIP CANCEL with the booking's UID.
    `sequence` defaults to the interview's `ics_sequence` + 1 (higher than the REQUEST's);
    `link` lets the candidate choose another time."""
    ctx = _booking_context(session, booking_id, meeting_url=None)
    sequence = ctx.interview.ics_sequence + 1 if sequence is None else sequence
    reader = _reader_for_candidate(ctx.candidate, ctx.invitation)
    mails = _booking_mails(
        ctx,
        template="booking_cancellation",
        method=Method.CANCEL,
        sequence=sequence,
        candidate_content=content.cancellation_for_candidate(
            reader, ctx.facts, comment=comment or "", rebook_url=link or ""
        ),
        candidate_description=content.event_description(reader, ctx.facts),
        staff_content=lambda r, s: content.cancellation_for_staff(
            r,
            ctx.facts,
            candidate_name=ctx.candidate.name,
            comment=comment or "",
            delivery=_delivery(s),
        ),
    )
    return _record_all(session, mails)


def queue_slot_removed(
    *,
    session: Session,
    booking_id: int,
    link: str | None = None,
    sequence: int | None = None,
    notify_staff: bool = True,
    final: bool = False,
    interview_cancelled: bool = False,
) -> int:
    """Record the mails for a booked slot that staff removed: the candidate who had booked
    it (iMIP CANCEL; `link` to choose another time; `final`: told no new time will follow,
    as when their data is erased) and, unless `notify_staff` is false, the staff (CANCEL for
    those whose calendar got it by mail). `interview_cancelled`: staff cancelled the whole
    interview, and both mails say so (subject "Interview cancelled: ...")."""
    ctx = _booking_context(session, booking_id, meeting_url=None)
    sequence = ctx.interview.ics_sequence + 1 if sequence is None else sequence
    reader = _reader_for_candidate(ctx.candidate, ctx.invitation)
    if not notify_staff:
        ctx = replace(ctx, staff=())
    mails = _booking_mails(
        ctx,
        template="slot_removed",
        method=Method.CANCEL,
        sequence=sequence,
        candidate_content=content.slot_removed_for_candidate(
            reader,
            ctx.facts,
            rebook_url=link or "",
            final=final,
            interview_cancelled=interview_cancelled,
        ),
        candidate_description=content.event_description(reader, ctx.facts),
        staff_content=lambda r, s: content.slot_removed_for_staff(
            r,
            ctx.facts,
            candidate_name=ctx.candidate.name,
            delivery=_delivery(s),
            interview_cancelled=interview_cancelled,
        ),
    )
    return _record_all(session, mails)


def queue_no_fit_comment(*, session: Session, comment_id: int) -> int:
    """Record the staff notice that no offered time fits a candidate, with their comment."""
    comment = _get(session, CandidateComment, comment_id, "Comment")
    interview = _get(session, Interview, comment.interview_id, "Interview")
    candidate = _get(session, Candidate, comment.candidate_id, "Candidate")
    account = _get(session, Account, interview.account_id, "Account")
    _organiser, staff = _staff_of(session, interview)
    mails = [
        _Outgoing(
            dedupe_key=f"mail:no_fit_comment:{comment.id}:staff-{r.user.id}",
            account_id=account.id,
            template="no_fit_comment",
            to=_staff_box(r.user),
            reply_to=Mailbox(name=candidate.name, email=candidate.email),
            content=content.no_fit_comment_for_staff(
                _reader_for_staff(r.user),
                title=interview.title,
                account_name=account.name,
                candidate_name=candidate.name,
                comment=comment.body,
            ),
        )
        for r in staff
    ]
    return _record_all(session, mails)


def queue_interview_cancelled(*, session: Session, invitation_id: int) -> int:
    """Record the mail telling a candidate who had not booked (still choosing, or said no
    time fits) that the interview is cancelled and no time needs choosing. No calendar part:
    nothing was in their calendar. Returns the number of mails newly queued (0 or 1)."""
    invitation = _get(session, CandidateInvitation, invitation_id, "Invitation")
    interview = _get(session, Interview, invitation.interview_id, "Interview")
    candidate = _get(session, Candidate, invitation.candidate_id, "Candidate")
    account = _get(session, Account, interview.account_id, "Account")
    organiser = _get(session, StaffUser, interview.organiser_id, "Organiser")
    mail = _Outgoing(
        dedupe_key=f"mail:interview_cancelled:{invitation.id}",
        account_id=account.id,
        template="interview_cancelled",
        to=_candidate_box(candidate),
        reply_to=_reply_to(organiser),
        content=content.interview_cancelled_for_candidate(
            _reader_for_candidate(candidate, invitation),
            title=interview.title,
            account_name=account.name,
            organiser_name=organiser.name,
        ),
    )
    return _record_all(session, [mail])


def queue_new_times(*, session: Session, invitation_id: int, link: str, slot_ids: list[int]) -> int:
    """Record the mail offering a candidate who said no time fits the times just added
    (`slot_ids`; those removed or past meanwhile are left out), with their fresh `link`.
    Returns the number of mails newly queued (0 or 1)."""
    invitation = _get(session, CandidateInvitation, invitation_id, "Invitation")
    interview = _get(session, Interview, invitation.interview_id, "Interview")
    candidate = _get(session, Candidate, invitation.candidate_id, "Candidate")
    account = _get(session, Account, interview.account_id, "Account")
    organiser = _get(session, StaffUser, interview.organiser_id, "Organiser")
    slots = session.exec(
        select(OfferedSlot)
        .where(
            col(OfferedSlot.id).in_(slot_ids or [-1]),
            OfferedSlot.interview_id == interview.id,
            OfferedSlot.status == SlotStatus.OFFERED.value,
            OfferedSlot.start_at > utcnow(),
        )
        .order_by(col(OfferedSlot.start_at))
    ).all()
    last_end = session.exec(
        select(OfferedSlot.end_at)
        .where(
            OfferedSlot.interview_id == interview.id,
            OfferedSlot.status == SlotStatus.OFFERED.value,
        )
        .order_by(col(OfferedSlot.end_at).desc())
    ).first()
    mail = _Outgoing(
        dedupe_key=f"mail:new_times:{invitation.id}:{_link_digest(link)}",
        account_id=account.id,
        template="new_times",
        to=_candidate_box(candidate),
        reply_to=_reply_to(organiser),
        content=content.new_times_for_candidate(
            _reader_for_candidate(candidate, invitation),
            title=interview.title,
            account_name=account.name,
            organiser_name=organiser.name,
            duration_minutes=interview.duration_minutes,
            slots=tuple((s.start_at, s.end_at) for s in slots),
            link=link,
            expires_at=link_valid_until(invitation.expires_at, last_end),
        ),
    )
    return _record_all(session, [mail])


def _superseded(session: Session, booking: Booking, sequence: int) -> bool:
    """Whether the booked interview changed again after the change (or the mail) of
    `sequence`: each change raises the interview's ics_sequence and records a "changed" mail
    for every active booking, rendered as the interview is when it is rendered. An older
    request still waiting (for a meeting link, or for the worker) would send the same
    interview again under a lower SEQUENCE, after or before the newer one: a duplicate."""
    slot = _get(session, OfferedSlot, booking.slot_id, "Slot")
    interview = _get(session, Interview, slot.interview_id, "Interview")
    return interview.ics_sequence > sequence


def queue_interview_changed(
    *, session: Session, booking_id: int, sequence: int, wait_until: str | None = None
) -> int:
    """Record the mails about a booked interview whose title, place or meeting changed:
    the candidate's and those of staff whose calendar is not synced (synced calendars are
    updated by the provider), each with an iMIP REQUEST of the same UID and `sequence` (the
    interview's raised ics_sequence), describing the interview as it is now. Nothing for a
    booking no longer active, nor when the interview changed again since (the later
    change's mail says it all, with a higher SEQUENCE). `wait_until` as for
    queue_booking_confirmation: a new meeting is waited for, then said to follow. Returns
    the number of mails newly queued."""
    booking = _get(session, Booking, booking_id, "Booking")
    if booking.status != BookingStatus.ACTIVE.value:
        return 0
    if _superseded(session, booking, sequence):
        return 0  # a later change's mail, recorded with it, describes the interview as now
    follows = _meeting_follows(session, booking_id, wait_until)
    ctx = _booking_context(session, booking_id, meeting_url=None, meeting_follows=follows)
    ctx = replace(ctx, staff=tuple(r for r in ctx.staff if not r.synced))
    reader = _reader_for_candidate(ctx.candidate, ctx.invitation)
    mails = _booking_mails(
        ctx,
        template="interview_changed",
        key_suffix=f":{sequence}",
        method=Method.REQUEST,
        sequence=sequence,
        candidate_content=content.interview_changed_for_candidate(reader, ctx.facts),
        candidate_description=content.event_description(reader, ctx.facts),
        staff_content=lambda r, s: content.interview_changed_for_staff(
            r, ctx.facts, candidate_name=ctx.candidate.name
        ),
    )
    if follows:
        _request_meeting_link(session, ctx, sequence)
    return _record_all(session, mails)


def queue_meeting_link(*, session: Session, booking_id: int, sequence: int) -> int:
    """Record the mails that bring a booking's meeting link once the organiser's provider
    has made it, after an earlier mail went without it (saying it follows): the
    candidate's and those of staff whose calendar is not synced, each with an iMIP REQUEST
    of the same UID and `sequence` as the mail it completes (a later DTSTAMP makes it the
    newer copy, RFC 5546 section 2.1.5). Raises MeetingLinkPending while the meeting is
    still being made, and ValueError when it will not come (the organiser's event was
    given up: the request is given up too, and admins see it among undelivered mails);
    nothing when the booking is no longer active, the meeting gave way to a place, or the
    interview changed again since (that change's mail carries the meeting as it is now).
    Returns the number of mails newly queued."""
    from planner.services.calendar_events import MEETING_READY, meeting_link_state

    booking = _get(session, Booking, booking_id, "Booking")
    if booking.status != BookingStatus.ACTIVE.value:
        return 0
    if _superseded(session, booking, sequence):
        return 0  # a later change's mail carries the meeting as it is now (or says it follows)
    state, url = meeting_link_state(session=session, booking_id=booking_id)
    if state != MEETING_READY:
        if state == "pending":
            raise MeetingLinkPending(booking_id)
        slot = _get(session, OfferedSlot, booking.slot_id, "Slot")
        interview = _get(session, Interview, slot.interview_id, "Interview")
        if interview.meeting_kind == MeetingKind.NONE.value:
            return 0  # the meeting was changed to a place meanwhile: that change was sent
        # Shown to admins with the undelivered mails: the candidate was told a link follows.
        raise ValueError("no meeting link came: the organiser's calendar event was given up")
    ctx = _booking_context(session, booking_id, meeting_url=url)
    ctx = replace(ctx, staff=tuple(r for r in ctx.staff if not r.synced))
    reader = _reader_for_candidate(ctx.candidate, ctx.invitation)
    mails = _booking_mails(
        ctx,
        template="meeting_link",
        key_suffix=f":{sequence}",
        method=Method.REQUEST,
        sequence=sequence,
        candidate_content=content.meeting_link_for_candidate(reader, ctx.facts),
        candidate_description=content.event_description(reader, ctx.facts),
        staff_content=lambda r, s: content.meeting_link_for_staff(
            r, ctx.facts, candidate_name=ctx.candidate.name
        ),
    )
    return _record_all(session, mails)


ACTIVITY_KIND = "activity"


def record_activity(*, session: Session, account_id: int, what: str, **facts: object) -> None:
    """Record, without committing, that a staff action happened in the account: an outbox
    row that is done at once (nothing to carry out), so that the account's activity marker
    (interview_overview.activity_marker) moves even when the action notifies nobody."""
    now = utcnow()
    session.add(
        OutboxMessage(
            account_id=account_id,
            kind=ACTIVITY_KIND,
            payload={"what": what, **facts},
            attempts=0,
            next_attempt_at=now,
            done_at=now,
            created_at=now,
        )
    )
    session.flush()


def booking_ics(*, session: Session, booking_id: int, link: str | None = None) -> bytes:
    """The booking's event as a plain .ics file (no METHOD) for "add to calendar", in the
    candidate's language; the same UID and SEQUENCE as the mailed REQUEST."""
    ctx = _booking_context(session, booking_id, meeting_url=None)
    reader = _reader_for_candidate(ctx.candidate, ctx.invitation)
    description = content.event_description(reader, ctx.facts, manage_url=link or "")
    return download_calendar(
        _event(
            ctx,
            sequence=ctx.interview.ics_sequence,
            description=description,
            stamp=utcnow(),
            for_candidate=True,
        )
    )


# --- Deferred rendering -------------------------------------------------------------------
# Services record *that* a notification is due, in their own transaction (one short INSERT,
# so that a contended booking stays fast); the worker renders the mails from the database
# shortly after (`render_requested`) and delivers them. Nothing is lost in between: the
# request is an outbox row like the mails it becomes.

NOTIFICATION_KIND = "notification"


def _booking_made(**args: object) -> int:
    from planner.services.booking import expand_booking_made

    return expand_booking_made(**args)  # type: ignore[arg-type]


_RENDERERS: dict[str, Callable[..., int]] = {
    "booking_made": _booking_made,
    "sync_invitation": queue_sync_invitation,
    "sync_reconnect": queue_sync_reconnect,
    "interview_invitation": queue_interview_invitation,
    "booking_confirmation": queue_booking_confirmation,
    "booking_cancellation": queue_booking_cancellation,
    "slot_removed": queue_slot_removed,
    "no_fit_comment": queue_no_fit_comment,
    "interview_cancelled": queue_interview_cancelled,
    "new_times": queue_new_times,
    "interview_changed": queue_interview_changed,
    "meeting_link": queue_meeting_link,
}
RENDER_BATCH = 50


def request(*, session: Session, name: str, account_id: int | None, **args: object) -> None:
    """Record, without committing, that notification `name` is due with `args` (ids and
    links: JSON values). The same request recorded twice is stored once."""
    if name not in _RENDERERS:
        raise ValueError(f"unknown notification {name!r}")
    digest = hashlib.sha256(
        repr(sorted(args.items())).encode("utf-8")  # links carry tokens: keep only a digest
    ).hexdigest()[:32]
    now = utcnow()
    _insert(
        session,
        {
            "account_id": account_id,
            "kind": NOTIFICATION_KIND,
            "payload": {"name": name, "args": args},
            "dedupe_key": f"notify:{name}:{digest}",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "message_id": None,
            "done_at": None,
            "created_at": now,
        },
    )


def render_requested(*, session: Session, limit: int = RENDER_BATCH) -> int:
    """Turn due notification requests into mail rows, one request per transaction (its
    mails and its done mark commit together). A request waiting for a meeting link
    (MeetingLinkPending) stays, due again MEETING_LINK_RETRY later. Returns how many
    requests were handled (rendered, given up or put back to wait)."""
    handled = 0
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(limit):
        if not postgres:
            from planner.db import begin_write

            begin_write(session)
        now = utcnow()
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == NOTIFICATION_KIND,
                col(OutboxMessage.done_at).is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(col(OutboxMessage.id))
            .limit(1)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True)
        row = session.exec(query).first()
        if row is None:
            session.rollback()
            break
        name = str(row.payload.get("name"))
        args = dict(row.payload.get("args") or {})
        error = None
        try:
            with session.begin_nested():
                _RENDERERS[name](session=session, **args)
        except MeetingLinkPending:
            # Waiting for the organiser's provider to make the meeting: not a failure.
            row.next_attempt_at = now + MEETING_LINK_RETRY
            session.commit()
            handled += 1
            continue
        except (NotFound, KeyError, TypeError, ValueError) as exc:
            error = f"gave up: {type(exc).__name__}: {exc}"[:2000]
            log.warning("notification %s (%s) not rendered: %s", row.id, name, error)
        row.done_at = utcnow()
        row.attempts += 1
        row.last_error = error
        row.payload = {"name": name}  # rendered: the link (a token) need not be kept
        session.commit()
        handled += 1
    return handled


def booking_calendar_links(*, session: Session, booking_id: int, link: str | None = None):  # type: ignore[no-untyped-def]
    """The Google Calendar and Outlook "add event" links for a booking, in the candidate's
    language: what the confirmation page offers beside the .ics download."""
    ctx = _booking_context(session, booking_id, meeting_url=None)
    reader = _reader_for_candidate(ctx.candidate, ctx.invitation)
    description = content.event_description(reader, ctx.facts, manage_url=link or "")
    event = _event(
        ctx,
        sequence=ctx.interview.ics_sequence,
        description=description,
        stamp=utcnow(),
        for_candidate=True,
    )
    return google_calendar_url(event), outlook_calendar_url(event)
