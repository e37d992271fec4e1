"""Staff side of scheduling: create interviews, offer and remove slots, invite candidates."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from planner import routes
from planner.db import begin_write
from planner.domain.booking import InvitationEvent, can, next_status
from planner.domain.meetings import available_meeting_kinds
from planner.domain.text import UnusableText, check_line
from planner.domain.tokens import hash_token, new_token
from planner.domain.vocabulary import (
    MEETING_PRODUCTS,
    BookingStatus,
    ConnectionStatus,
    InterviewStatus,
    InvitationStatus,
    MeetingKind,
    SlotStatus,
)
from planner.models import (
    Booking,
    CalendarConnection,
    Candidate,
    CandidateInvitation,
    Interview,
    InterviewParticipant,
    Job,
    Location,
    OfferedSlot,
    SlotSeat,
    StaffUser,
)
from planner.services import calendar_events, notifications, webhooks
from planner.services.actor import Actor, owned
from planner.services.errors import InvalidInput, Named, NotFound
from planner.services.interview_overview import StaleInterview, fingerprint_of
from planner.services.shapes import (
    InterviewDetail,
    InterviewInput,
    InvitationDetail,
    SlotDetail,
    parse,
)
from planner.settings import get_settings

log = logging.getLogger(__name__)
INVITATION_DAYS = 14


def synced_providers(session: Session, staff_user_id: int) -> set[str]:
    """Providers of the staff user's working connections."""
    return set(
        session.exec(
            select(CalendarConnection.provider).where(
                CalendarConnection.staff_user_id == staff_user_id,
                CalendarConnection.status == ConnectionStatus.SYNCED.value,
            )
        ).all()
    )


def _check_staff(session: Session, actor: Actor, ids: Iterable[int], field: str) -> None:
    wanted = set(ids)
    found = set(
        session.exec(
            select(StaffUser.id).where(
                StaffUser.id.in_(wanted),  # type: ignore[union-attr]
                StaffUser.account_id == actor.account_id,
                StaffUser.is_active == True,  # noqa: E712 - SQL expression
            )
        ).all()
    )
    if found != wanted:
        raise InvalidInput(field, "unknown staff user in this account")


def _add_slot(session: Session, interview: Interview, start: datetime) -> OfferedSlot:
    assert interview.id is not None
    slot = OfferedSlot(
        account_id=interview.account_id,
        interview_id=interview.id,
        start_at=start,
        end_at=start + timedelta(minutes=interview.duration_minutes),
    )
    session.add(slot)
    session.flush()
    assert slot.id is not None
    session.add_all(
        SlotSeat(account_id=interview.account_id, slot_id=slot.id, seat_number=n)
        for n in range(1, interview.capacity + 1)
    )
    return slot


def _check_slot_times(starts: list[datetime], now: datetime) -> None:
    if len(set(starts)) != len(starts):
        raise InvalidInput("slots", "the same time is offered twice")
    for start in starts:
        if start <= now:
            raise InvalidInput("slots", "{start} is in the past", start=start)
        if start > now + timedelta(days=366):
            raise InvalidInput("slots", "{start} is more than a year ahead", start=start)


def _no_calendar_for(kind: str) -> InvalidInput:
    name = MEETING_PRODUCTS.get(MeetingKind(kind), kind)
    return InvalidInput(
        "meeting_kind",
        "the organiser has no connected calendar that can create a {kind} meeting",
        kind=Named(kind, name),
    )


def _create_interview_rows(
    session: Session, actor: Actor, values: InterviewInput, now: datetime, submit_key: str | None
) -> Interview:
    organiser_id = values.organiser_id or actor.user_id
    participant_ids = list(dict.fromkeys([organiser_id, *values.participant_ids]))
    _check_staff(session, actor, participant_ids, "participant_ids")
    if values.job_id is not None:
        job = session.get(Job, values.job_id)
        if job is None or job.account_id != actor.account_id:
            raise InvalidInput("job_id", "no such job in this account")
    if values.location_id is not None:
        if values.meeting_kind is not MeetingKind.NONE:
            raise InvalidInput("location_id", "choose a place or an online meeting, not both")
        location = session.get(Location, values.location_id)
        if location is None or location.account_id != actor.account_id:
            raise InvalidInput("location_id", "no such location in this account")
        if location.archived_at is not None:
            raise InvalidInput("location_id", "this location is archived")
    if values.meeting_kind not in available_meeting_kinds(synced_providers(session, organiser_id)):
        raise _no_calendar_for(values.meeting_kind.value)
    starts = [start.astimezone(now.tzinfo) for start in values.slots]
    _check_slot_times(starts, now)

    interview = Interview(
        account_id=actor.account_id,
        job_id=values.job_id,
        title=values.title,
        duration_minutes=values.duration_minutes,
        organiser_id=organiser_id,
        location_id=values.location_id,
        meeting_kind=values.meeting_kind.value,
        capacity=values.capacity,
        status=InterviewStatus.DRAFT.value,
        invitation_text=values.invitation_text,
        invitation_subject=values.invitation_subject,
        submit_key=submit_key,
        ics_uid=f"{new_token()}@planner",
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(interview)
    session.flush()
    assert interview.id is not None
    session.add_all(
        InterviewParticipant(
            account_id=actor.account_id, interview_id=interview.id, staff_user_id=user_id
        )
        for user_id in participant_ids
    )
    for start in sorted(starts):
        _add_slot(session, interview, start)
    return interview


def create_interview(
    *, session: Session, actor: Actor, data: InterviewInput | dict[str, Any], now: datetime
) -> InterviewDetail:
    """Create an interview with its participants and offered slots (no invitations yet)."""
    values = parse(InterviewInput, data)
    interview = _create_interview_rows(session, actor, values, now, None)
    session.commit()
    assert interview.id is not None
    log.info("interview %s created by %s", interview.id, actor.user_id)
    return get_interview_detail(session=session, actor=actor, interview_id=interview.id)


@dataclass(frozen=True)
class SentInterview:
    """What one wizard submit made: the interview and how many candidates were invited.
    `repeated` is true when the submit key had already been used (nothing new was sent)."""

    interview_id: int
    invited: int
    offered: int
    repeated: bool


def _sent(session: Session, interview_id: int, *, repeated: bool) -> SentInterview:
    invited = session.exec(
        select(func.count())
        .select_from(CandidateInvitation)
        .where(CandidateInvitation.interview_id == interview_id)
    ).one()
    offered = session.exec(
        select(func.count())
        .select_from(OfferedSlot)
        .where(OfferedSlot.interview_id == interview_id)
    ).one()
    return SentInterview(interview_id, int(invited), int(offered), repeated)


def _by_submit_key(session: Session, actor: Actor, submit_key: str) -> int | None:
    return session.exec(
        select(Interview.id).where(
            Interview.account_id == actor.account_id, Interview.submit_key == submit_key
        )
    ).first()


def send_invitations(
    *,
    session: Session,
    actor: Actor,
    data: InterviewInput | dict[str, Any],
    candidate_ids: list[int],
    submit_key: str,
    now: datetime,
) -> SentInterview:
    """The wizard's send: create the interview with its offered slots and invite the
    candidates, in one transaction, exactly once per `submit_key` (16-64 characters the
    form made when it opened).

    The key is held by a unique constraint on (account, submit_key): a double click, a
    second tab or a retried request with the same key gets the first submit's interview
    back (`repeated=True`) and queues no second mail, also when both arrive at once.
    Raises InvalidInput as create_interview and invite_candidates do."""
    if not 16 <= len(submit_key) <= 64 or not submit_key.isascii():
        raise InvalidInput("submit_key", "expected the form's key (16-64 characters)")
    values = parse(InterviewInput, data)
    begin_write(session)
    existing = _by_submit_key(session, actor, submit_key)
    if existing is not None:
        session.rollback()
        return _sent(session, existing, repeated=True)
    try:
        interview = _create_interview_rows(session, actor, values, now, submit_key)
    except IntegrityError:
        # Another request with the same key committed between our check and our insert.
        session.rollback()
        existing = _by_submit_key(session, actor, submit_key)
        if existing is None:
            raise
        return _sent(session, existing, repeated=True)
    except InvalidInput:
        session.rollback()
        raise
    assert interview.id is not None
    try:
        _invite_rows(session, actor, interview, candidate_ids, now, INVITATION_DAYS)
    except InvalidInput:
        session.rollback()
        raise
    session.commit()
    log.info("interview %s sent by %s", interview.id, actor.user_id)
    return _sent(session, interview.id, repeated=False)


def invite_candidates(
    *,
    session: Session,
    actor: Actor,
    interview_id: int,
    candidate_ids: list[int],
    now: datetime,
    valid_days: int = INVITATION_DAYS,
) -> dict[int, str]:
    """Send each candidate a link to pick a slot; returns {candidate_id: link token}.

    Inviting a candidate again gives them a new link (the old one stops working)."""
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    tokens = _invite_rows(session, actor, interview, candidate_ids, now, valid_days)
    session.commit()
    log.info("interview %s: %d candidates invited", interview_id, len(tokens))
    return tokens


def _invite_rows(
    session: Session,
    actor: Actor,
    interview: Interview,
    candidate_ids: list[int],
    now: datetime,
    valid_days: int,
) -> dict[int, str]:
    interview_id = interview.id
    assert interview_id is not None
    if interview.status == InterviewStatus.CANCELLED.value:
        raise InvalidInput("interview_id", "the interview is cancelled")
    if not candidate_ids:
        raise InvalidInput("candidate_ids", "choose at least one candidate")
    if not 1 <= valid_days <= 90:
        raise InvalidInput("valid_days", "must be between 1 and 90")
    open_slots = session.exec(
        select(func.count())
        .select_from(OfferedSlot)
        .where(OfferedSlot.interview_id == interview_id, OfferedSlot.status == "offered")
    ).one()
    if open_slots == 0:
        raise InvalidInput("slots", "offer at least one time before inviting candidates")
    wanted = list(dict.fromkeys(candidate_ids))
    candidates = session.exec(
        select(Candidate).where(
            Candidate.id.in_(wanted),  # type: ignore[union-attr]
            Candidate.account_id == actor.account_id,
        )
    ).all()
    if len(candidates) != len(wanted):
        raise InvalidInput("candidate_ids", "unknown candidate in this account")

    base_url = get_settings().base_url
    tokens: dict[int, str] = {}
    for candidate in candidates:
        assert candidate.id is not None
        token = new_token()
        invitation = session.exec(
            select(CandidateInvitation).where(
                CandidateInvitation.interview_id == interview_id,
                CandidateInvitation.candidate_id == candidate.id,
            )
        ).first()
        if invitation is None:
            invitation = CandidateInvitation(
                account_id=actor.account_id,
                interview_id=interview_id,
                candidate_id=candidate.id,
                token_hash=hash_token(token),
                expires_at=now + timedelta(days=valid_days),
                created_at=now,
            )
            session.add(invitation)
        else:
            if invitation.status in (InvitationStatus.EXPIRED, InvitationStatus.WITHDRAWN):
                invitation.status = InvitationStatus.INVITED.value
            invitation.token_hash = hash_token(token)
            invitation.expires_at = now + timedelta(days=valid_days)
        invitation.sent_at = now
        session.flush()
        assert invitation.id is not None
        notifications.request(
            session=session,
            name="interview_invitation",
            account_id=actor.account_id,
            invitation_id=invitation.id,
            link=routes.booking_url(base_url, token),
        )
        tokens[candidate.id] = token
    interview.status = InterviewStatus.OPEN.value
    return tokens


# --- Managing an interview after it was sent ----------------------------------------------
# Every action: a tenant check (another account's id is NotFound), the interview row locked
# for the transaction (PostgreSQL: FOR UPDATE; SQLite: BEGIN IMMEDIATE), the dialog's
# fingerprint compared inside that transaction (StaleInterview, nothing changed), at most
# one effect for a repeated call, and an outbox row for the account (activity_marker).


@dataclass(frozen=True)
class CancelResult:
    """What cancelling did: bookings cancelled, and candidates told (booked ones and those
    still choosing a time). Both 0 when the interview was cancelled already."""

    bookings_cancelled: int
    candidates_told: int


@dataclass(frozen=True)
class AddResult:
    """What adding times did: times added, and candidates who had said no time fits who
    were mailed the new times (with a fresh link)."""

    added: int
    no_fit_told: int


@dataclass(frozen=True)
class UpdateResult:
    """What changed ("title", "location", "meeting_kind"; empty: nothing) and how many
    booked interviews were updated in calendars and told by mail."""

    changed: tuple[str, ...]
    bookings_updated: int


def _locked_interview(session: Session, actor: Actor, interview_id: int) -> Interview:
    """Start a write transaction and read the actor's interview, locked until commit. Rows
    read earlier by this session are read again (the fingerprint must see the database as
    it is now, also in sessions that keep objects across commits)."""
    begin_write(session)
    session.expire_all()
    query = select(Interview).where(Interview.id == interview_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    try:
        return owned(actor, session.exec(query).first(), "Interview")
    except NotFound:
        session.rollback()
        raise


def _check_fresh(session: Session, interview: Interview, expected: str | None) -> None:
    if expected is not None and fingerprint_of(session=session, interview=interview) != expected:
        session.rollback()
        raise StaleInterview()


def _active_bookings(session: Session, interview_id: int, *, lock: bool = False) -> list[Booking]:
    """The interview's active bookings; `lock` (PostgreSQL) locks them until commit, so that
    a worker expanding one of them (booking.expand_booking_made locks it too) or a candidate
    cancelling it waits, and sees what this transaction did to its calendar events."""
    query = (
        select(Booking)
        .join(OfferedSlot, col(OfferedSlot.id) == Booking.slot_id)
        .where(
            OfferedSlot.interview_id == interview_id,
            Booking.status == BookingStatus.ACTIVE.value,
        )
        .order_by(col(Booking.id))
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Booking)
    return list(session.exec(query).all())


def add_slots(
    *,
    session: Session,
    actor: Actor,
    interview_id: int,
    starts: list[datetime],
    now: datetime,
    expected: str | None = None,
) -> AddResult:
    """Offer more times (aware datetimes; each lasts the interview's duration) for an
    interview that is not cancelled.

    Candidates still choosing see them on their page at once (it lists open times).
    Candidates who said no time fits are mailed the new times with a fresh link: their
    invitation goes back to "invited" (their comment stays), its link is valid for
    INVITATION_DAYS more days, and the old link stops working (links are stored only as
    hashes, so the mail cannot repeat the old one). A time that was removed is offered again
    (the same slot). Raises InvalidInput (past, duplicate, already offered, cancelled
    interview), NotFound, StaleInterview."""
    for start in starts:
        if start.tzinfo is None:
            raise InvalidInput("slots", "times must include a time zone offset")
    if not starts:
        raise InvalidInput("slots", "choose at least one time")
    interview = _locked_interview(session, actor, interview_id)
    _check_fresh(session, interview, expected)
    try:
        if interview.status == InterviewStatus.CANCELLED.value:
            raise InvalidInput("interview_id", "the interview is cancelled")
        starts = [start.astimezone(now.tzinfo) for start in starts]
        _check_slot_times(starts, now)
        existing = {
            slot.start_at: slot
            for slot in session.exec(
                select(OfferedSlot).where(OfferedSlot.interview_id == interview_id)
            )
        }
        for start in starts:
            if start in existing and existing[start].status != SlotStatus.REMOVED.value:
                raise InvalidInput("slots", "{start} is already offered", start=start)
    except InvalidInput:
        session.rollback()
        raise
    added = [
        _reoffer(existing[start]) if start in existing else _add_slot(session, interview, start)
        for start in sorted(starts)
    ]
    base_url = get_settings().base_url
    told = 0
    for invitation in session.exec(
        select(CandidateInvitation)
        .where(
            CandidateInvitation.interview_id == interview_id,
            CandidateInvitation.status == InvitationStatus.NO_FIT.value,
        )
        .order_by(col(CandidateInvitation.id))
    ).all():
        token = new_token()
        invitation.token_hash = hash_token(token)
        invitation.status = InvitationStatus.INVITED.value
        invitation.expires_at = max(invitation.expires_at, now + timedelta(days=INVITATION_DAYS))
        invitation.sent_at = now
        session.flush()
        notifications.request(
            session=session,
            name="new_times",
            account_id=interview.account_id,
            invitation_id=invitation.id,
            link=routes.booking_url(base_url, token),
            slot_ids=[slot.id for slot in added],
        )
        told += 1
    notifications.record_activity(
        session=session, account_id=interview.account_id, what="slots_added",
        interview_id=interview_id,
    )  # fmt: skip
    session.commit()
    log.info("interview %s: %d times added, %d no-fit candidates told", interview_id,
             len(added), told)  # fmt: skip
    return AddResult(added=len(added), no_fit_told=told)


def _reoffer(slot: OfferedSlot) -> OfferedSlot:
    """A removed slot offered again (its start is unique per interview). Its bookings were
    cancelled when it was removed, so all its seats are free."""
    slot.status = SlotStatus.OFFERED.value
    slot.removed_at = None
    return slot


def remove_slot(
    *, session: Session, actor: Actor, slot_id: int, now: datetime, expected: str | None = None
) -> int:
    """Withdraw an offered slot. A booking on it is cancelled, and its candidate is told and
    may choose again among the remaining slots (through their link). Returns how many
    bookings were cancelled (0 for a slot removed before). Raises NotFound (another
    account's slot), StaleInterview (`expected` is not the interview's fingerprint)."""
    slot = session.get(OfferedSlot, slot_id)
    if slot is None or slot.account_id != actor.account_id:
        session.rollback()
        raise NotFound("Slot not found.")
    interview = _locked_interview(session, actor, slot.interview_id)
    _check_fresh(session, interview, expected)
    if slot.status == SlotStatus.REMOVED.value:
        session.rollback()
        return 0
    slot.status = SlotStatus.REMOVED.value
    slot.removed_at = now
    bookings = session.exec(
        select(Booking).where(
            Booking.slot_id == slot_id, Booking.status == BookingStatus.ACTIVE.value
        )
    ).all()
    for booking in bookings:
        booking.status = BookingStatus.CANCELLED.value
        booking.cancelled_at = now
        invitation = session.get(CandidateInvitation, booking.invitation_id)
        assert invitation is not None
        invitation.status = next_status(invitation.status, InvitationEvent.SLOT_REMOVED).value
        session.flush()
        assert booking.id is not None
        notifications.request(
            session=session,
            name="slot_removed",
            account_id=booking.account_id,
            booking_id=booking.id,
        )
        calendar_events.record_booking_cancelled(session=session, booking_id=booking.id)
    webhooks.record(
        session=session,
        account_id=slot.account_id,
        event="slot.removed",
        data={"slot_id": slot_id, "cancelled_booking_ids": [b.id for b in bookings]},
    )
    notifications.record_activity(
        session=session, account_id=slot.account_id, what="slot_removed",
        interview_id=slot.interview_id,
    )  # fmt: skip
    session.commit()
    log.info("slot %s removed, %d bookings cancelled", slot_id, len(bookings))
    return len(bookings)


# Invitations of candidates still choosing a time (not booked): told when it is cancelled.
_STILL_CHOOSING = (
    InvitationStatus.INVITED.value,
    InvitationStatus.NO_FIT.value,
    InvitationStatus.CANCELLED.value,
)


def cancel_interview(
    *,
    session: Session,
    actor: Actor,
    interview_id: int,
    now: datetime,
    expected: str | None = None,
) -> CancelResult:
    """Cancel the whole interview. Every booking is cancelled: its candidate is told that
    no new time follows, staff are told (iMIP CANCEL for those not synced) and the events
    are removed from the participants' calendars. Candidates still choosing (invited, no
    time fits, or who cancelled their own booking) are mailed that they need not choose;
    every open invitation is withdrawn, so links stop offering times. Cancelling again does
    nothing (0, 0). Raises NotFound, StaleInterview."""
    interview = _locked_interview(session, actor, interview_id)
    _check_fresh(session, interview, expected)
    if interview.status == InterviewStatus.CANCELLED.value:
        session.rollback()
        return CancelResult(0, 0)
    interview.status = InterviewStatus.CANCELLED.value
    bookings = _active_bookings(session, interview_id)
    for booking in bookings:
        booking.status = BookingStatus.CANCELLED.value
        booking.cancelled_at = now
        session.flush()
        assert booking.id is not None
        notifications.request(
            session=session,
            name="slot_removed",
            account_id=booking.account_id,
            booking_id=booking.id,
            final=True,
            interview_cancelled=True,
        )
        calendar_events.record_booking_cancelled(session=session, booking_id=booking.id)
    unbooked = 0
    for invitation in session.exec(
        select(CandidateInvitation)
        .where(CandidateInvitation.interview_id == interview_id)
        .order_by(col(CandidateInvitation.id))
    ).all():
        if invitation.status in _STILL_CHOOSING:
            notifications.request(
                session=session,
                name="interview_cancelled",
                account_id=interview.account_id,
                invitation_id=invitation.id,
            )
            unbooked += 1
        if can(invitation.status, InvitationEvent.WITHDRAW):
            invitation.status = next_status(invitation.status, InvitationEvent.WITHDRAW).value
    webhooks.record(
        session=session,
        account_id=interview.account_id,
        event="interview.cancelled",
        data={"interview_id": interview_id, "cancelled_by": "staff"},
    )
    notifications.record_activity(
        session=session, account_id=interview.account_id, what="interview_cancelled",
        interview_id=interview_id,
    )  # fmt: skip
    session.commit()
    log.info("interview %s cancelled by %s: %d bookings", interview_id, actor.user_id,
             len(bookings))  # fmt: skip
    return CancelResult(bookings_cancelled=len(bookings), candidates_told=len(bookings) + unbooked)


def _clean_title(title: str) -> str:
    try:
        title = check_line(title)
    except UnusableText:
        raise InvalidInput("title", "must be one line of 1 to 200 characters") from None
    if not title or len(title) > 200:
        raise InvalidInput("title", "must be one line of 1 to 200 characters")
    return title


def update_interview(
    *,
    session: Session,
    actor: Actor,
    interview_id: int,
    now: datetime,
    title: str | None = None,
    location_id: int | None = None,
    meeting_kind: str | None = None,
    clear_location: bool = False,
    expected: str | None = None,
) -> UpdateResult:
    """Change an interview's title, place (`location_id`: a location of the account that is
    not archived; `clear_location`: no place) or online-meeting kind ("none", "teams",
    "meet", "zoom", "jitsi"; only kinds the organiser's synced calendars can create, as in
    the wizard). A place and an online meeting exclude each other: choosing a location
    makes the kind "none", choosing an online kind clears the location.

    Booked interviews follow: the ICS sequence goes up, each booked event is updated in the
    participants' connected calendars, and the booked candidates and the staff who are not
    synced get a "changed" mail with an iMIP REQUEST of the higher SEQUENCE. Candidates
    still choosing see the change on their page.

    A new meeting kind for booked candidates replaces their events in the connected
    calendars (calendar_events.record_meeting_changed: the old events and Zoom meetings
    are deleted, new ones made with the new meeting) and their "changed" mails wait for the
    new meeting's link (notifications.MEETING_LINK_WAIT, then it follows in its own mail).
    Changing nothing changes nothing (`changed` empty, no mail).
    Raises InvalidInput, NotFound, StaleInterview."""
    if title is not None:
        title = _clean_title(title)
    kind: MeetingKind | None = None
    if meeting_kind is not None:
        try:
            kind = MeetingKind(meeting_kind)
        except ValueError:
            raise InvalidInput("meeting_kind", "unknown meeting kind") from None
    if location_id is not None and clear_location:
        raise InvalidInput("location_id", "choose a place or no place, not both")
    if location_id is not None and kind not in (None, MeetingKind.NONE):
        raise InvalidInput("location_id", "choose a place or an online meeting, not both")
    interview = _locked_interview(session, actor, interview_id)
    _check_fresh(session, interview, expected)
    try:
        if interview.status == InterviewStatus.CANCELLED.value:
            raise InvalidInput("interview_id", "the interview is cancelled")
        new_title = interview.title if title is None else title
        new_location = interview.location_id
        new_kind = interview.meeting_kind
        if location_id is not None:
            location = session.get(Location, location_id)
            if location is None or location.account_id != actor.account_id:
                raise InvalidInput("location_id", "no such location in this account")
            if location.archived_at is not None and location_id != interview.location_id:
                raise InvalidInput("location_id", "this location is archived")
            new_location, new_kind = location_id, MeetingKind.NONE.value
        if clear_location:
            new_location = None
        if kind is not None:
            new_kind = kind.value
            if kind is not MeetingKind.NONE:
                new_location = None
        if new_kind != interview.meeting_kind:
            usable = available_meeting_kinds(synced_providers(session, interview.organiser_id))
            if MeetingKind(new_kind) not in usable:
                raise _no_calendar_for(new_kind)
        bookings = _active_bookings(session, interview_id, lock=new_kind != interview.meeting_kind)
    except InvalidInput:
        session.rollback()
        raise
    changed = tuple(
        name
        for name, before, after in (
            ("title", interview.title, new_title),
            ("location", interview.location_id, new_location),
            ("meeting_kind", interview.meeting_kind, new_kind),
        )
        if before != after
    )
    if not changed:
        session.rollback()
        return UpdateResult(changed=(), bookings_updated=0)
    interview.title = new_title
    interview.location_id = new_location
    interview.meeting_kind = new_kind
    if bookings:
        interview.ics_sequence += 1
        session.flush()  # the new kind, for the events recorded next
        for booking in bookings:
            assert booking.id is not None
            if "meeting_kind" in changed:
                calendar_events.record_meeting_changed(
                    session=session, booking_id=booking.id, now=now
                )
            else:
                calendar_events.record_booking_updated(
                    session=session, booking_id=booking.id, sequence=interview.ics_sequence
                )
            notifications.request(
                session=session,
                name="interview_changed",
                account_id=interview.account_id,
                booking_id=booking.id,
                sequence=interview.ics_sequence,
                wait_until=notifications.meeting_wait_until(now),
            )
    notifications.record_activity(
        session=session, account_id=interview.account_id, what="interview_updated",
        interview_id=interview_id,
    )  # fmt: skip
    session.commit()
    log.info("interview %s changed (%s), %d bookings updated", interview_id,
             ", ".join(changed), len(bookings))  # fmt: skip
    return UpdateResult(changed=changed, bookings_updated=len(bookings))


def resend_invitation(
    *,
    session: Session,
    actor: Actor,
    invitation_id: int,
    now: datetime,
    expected: str | None = None,
) -> str:
    """Send one candidate their invitation again with a fresh link (valid INVITATION_DAYS
    days from now); the old link stops working at once. Only that candidate is mailed; an
    expired invitation is invited again. Returns the new link's token. Raises NotFound
    (another account's invitation), InvalidInput (cancelled interview, no time offered),
    StaleInterview (also for a repeated call with the same `expected`: the first one changed
    the link)."""
    invitation = session.get(CandidateInvitation, invitation_id)
    if invitation is None or invitation.account_id != actor.account_id:
        session.rollback()
        raise NotFound("Invitation not found.")
    interview = _locked_interview(session, actor, invitation.interview_id)
    _check_fresh(session, interview, expected)
    try:
        tokens = _invite_rows(
            session, actor, interview, [invitation.candidate_id], now, INVITATION_DAYS
        )
    except InvalidInput:
        session.rollback()
        raise
    session.commit()
    log.info("invitation %s sent again by %s", invitation_id, actor.user_id)
    return tokens[invitation.candidate_id]


def get_interview_detail(*, session: Session, actor: Actor, interview_id: int) -> InterviewDetail:
    """An interview of the account with its slots and invitations."""
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    location = session.get(Location, interview.location_id) if interview.location_id else None
    participant_ids = list(
        session.exec(
            select(InterviewParticipant.staff_user_id)
            .where(InterviewParticipant.interview_id == interview_id)
            .order_by(InterviewParticipant.id)  # type: ignore[arg-type]
        ).all()
    )
    booked_per_slot = dict(
        session.exec(
            select(Booking.slot_id, func.count())
            .join(OfferedSlot, OfferedSlot.id == Booking.slot_id)  # type: ignore[arg-type]
            .where(OfferedSlot.interview_id == interview_id, Booking.status == "active")
            .group_by(Booking.slot_id)
        ).all()
    )
    slots = [
        SlotDetail(
            id=slot.id or 0,
            start_at=slot.start_at,
            end_at=slot.end_at,
            status=slot.status,
            booked=booked_per_slot.get(slot.id, 0),
            capacity=interview.capacity,
        )
        for slot in session.exec(
            select(OfferedSlot)
            .where(OfferedSlot.interview_id == interview_id)
            .order_by(OfferedSlot.start_at)  # type: ignore[arg-type]
        ).all()
    ]
    active_slot = dict(
        session.exec(
            select(Booking.invitation_id, Booking.slot_id).where(
                Booking.status == "active",
                Booking.invitation_id.in_(  # type: ignore[attr-defined]
                    select(CandidateInvitation.id).where(
                        CandidateInvitation.interview_id == interview_id
                    )
                ),
            )
        ).all()
    )
    invitations = [
        InvitationDetail(
            id=invitation.id or 0,
            candidate_id=invitation.candidate_id,
            candidate_name=name,
            status=invitation.status,
            expires_at=invitation.expires_at,
            booked_slot_id=active_slot.get(invitation.id),
        )
        for invitation, name in session.exec(
            select(CandidateInvitation, Candidate.name)
            .join(Candidate, Candidate.id == CandidateInvitation.candidate_id)  # type: ignore[arg-type]
            .where(CandidateInvitation.interview_id == interview_id)
            .order_by(Candidate.name)
        ).all()
    ]
    return InterviewDetail(
        id=interview_id,
        title=interview.title,
        status=interview.status,
        duration_minutes=interview.duration_minutes,
        capacity=interview.capacity,
        meeting_kind=MeetingKind(interview.meeting_kind),
        location_name=location.name if location else None,
        location_address=location.address if location else None,
        organiser_id=interview.organiser_id,
        participant_ids=participant_ids,
        slots=slots,
        invitations=invitations,
    )
