"""Candidate side of scheduling, reached only through the link token: see the offered
slots, book one, cancel with a comment, or say that no slot fits."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Integer, bindparam, exists, func, literal, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from planner import routes
from planner.db import begin_write
from planner.domain.booking import (
    InvitationEvent,
    can,
    link_state,
    link_valid_until,
    next_status,
)
from planner.domain.text import UnusableText, normalise_multiline
from planner.domain.tokens import hash_token
from planner.domain.vocabulary import (
    LOCALES,
    BookingStatus,
    CommentKind,
    ConnectionStatus,
    InterviewStatus,
    InvitationStatus,
    SlotStatus,
)
from planner.i18n.dates import is_time_zone
from planner.models import (
    Booking,
    BusyInterval,
    CalendarConnection,
    Candidate,
    CandidateComment,
    CandidateInvitation,
    Interview,
    InterviewParticipant,
    Job,
    Location,
    OfferedSlot,
    ProviderEventLink,
    SlotSeat,
)
from planner.models.base import UTCDateTime, utcnow
from planner.services import calendar_events, notifications, webhooks
from planner.services.errors import InvalidInput, NotFound
from planner.settings import get_settings

log = logging.getLogger(__name__)
MAX_COMMENT = 4000


class Outcome(StrEnum):
    """How a candidate's request ended; each has a message the page shows."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMMENTED = "commented"
    SLOT_TAKEN = "slot_taken"  # someone else got the last seat first
    SLOT_UNAVAILABLE = "slot_unavailable"  # removed, past, or a participant became busy
    ALREADY_BOOKED = "already_booked"  # cancel first to choose another time
    NOT_BOOKED = "not_booked"  # nothing to cancel
    LINK_INVALID = "link_invalid"  # unknown, expired or withdrawn link


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    booking_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.BOOKED, Outcome.CANCELLED, Outcome.COMMENTED)


@dataclass(frozen=True, slots=True)
class OfferedTime:
    slot_id: int
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True, slots=True)
class CandidateView:
    """Everything the candidate's page may show: nothing about other candidates or
    staff calendars beyond the offered slots still open to them.

    `locale` and `time_zone` are what the page shows in: the ones chosen on this link when
    there are (`zone_chosen`), else the candidate's own. `meeting_url` is the booked
    interview's join link once the meeting exists. `valid_until` (UTC) is when an unbooked
    link stops working."""

    usable: bool
    reason: str
    candidate_name: str
    locale: str
    time_zone: str
    interview_title: str
    duration_minutes: int
    status: str
    location_name: str | None
    location_address: str | None
    meeting_kind: str
    open_slots: tuple[OfferedTime, ...]
    booked: OfferedTime | None
    job_title: str = ""
    meeting_url: str = ""
    zone_chosen: bool = False
    valid_until: datetime | None = None


def _invitation(session: Session, token: str) -> CandidateInvitation | None:
    if not token or len(token) > 200:
        return None
    return session.exec(
        select(CandidateInvitation).where(CandidateInvitation.token_hash == hash_token(token))
    ).first()


def _active_booking(session: Session, invitation_id: int) -> Booking | None:
    return session.exec(
        select(Booking).where(
            Booking.invitation_id == invitation_id, Booking.status == BookingStatus.ACTIVE.value
        )
    ).first()


_OFFERED = aliased(OfferedSlot)
# The end of the invitation's interview's last offered time (removed ones not counted).
_LAST_OFFERED_END = (
    select(func.max(_OFFERED.end_at))
    .where(
        _OFFERED.interview_id == CandidateInvitation.interview_id,
        _OFFERED.status == SlotStatus.OFFERED.value,
    )
    .correlate(CandidateInvitation)
    .scalar_subquery()
)


def _last_offered_end(session: Session, interview_id: int) -> datetime | None:
    """The end (UTC) of the interview's last offered time, removed ones not counted."""
    return session.execute(
        select(func.max(OfferedSlot.end_at)).where(
            OfferedSlot.interview_id == interview_id,
            OfferedSlot.status == SlotStatus.OFFERED.value,
        )
    ).scalar()


def _meeting_url(session: Session, booking_id: int) -> str:
    """The join link of the booking's online meeting, once a provider has made it."""
    return calendar_events.meeting_link_state(session=session, booking_id=booking_id)[1]


def _open_slots(session: Session, interview: Interview, now: datetime) -> list[OfferedSlot]:
    """Offered, future slots with at least one free seat."""
    booked = (
        select(func.count())
        .select_from(Booking)
        .where(Booking.slot_id == OfferedSlot.id, Booking.status == BookingStatus.ACTIVE.value)
        .correlate(OfferedSlot)
        .scalar_subquery()
    )
    slots = session.exec(
        select(OfferedSlot)
        .where(
            OfferedSlot.interview_id == interview.id,
            OfferedSlot.status == SlotStatus.OFFERED.value,
            OfferedSlot.start_at > now,
            booked < interview.capacity,
        )
        .order_by(OfferedSlot.start_at)  # type: ignore[arg-type]
    ).all()
    assert interview.id is not None
    # A time a participant has become busy at since it was offered is not shown (booking
    # would refuse it anyway); Planner's own events for this interview do not count.
    seats_left = list(slots)
    busy = _busy_slot_ids(session, interview.id, seats_left)
    return [slot for slot in seats_left if slot.id not in busy]


_VIEW_LOOKUP = (
    select(CandidateInvitation, Interview, Candidate, _LAST_OFFERED_END)
    .join(Interview, Interview.id == CandidateInvitation.interview_id)  # type: ignore[arg-type]
    .join(Candidate, Candidate.id == CandidateInvitation.candidate_id)  # type: ignore[arg-type]
    .where(CandidateInvitation.token_hash == bindparam("token_hash"))
)


def candidate_view(*, session: Session, token: str, now: datetime) -> CandidateView | None:
    """What the candidate's link shows, or None for an unknown link."""
    if not token or len(token) > 200:
        return None
    # The invitation, its interview and candidate and the last offered time in one query
    # (the page is what a crowd of candidates opens at once: each round trip counts).
    found = session.execute(_VIEW_LOOKUP, {"token_hash": hash_token(token)}).first()
    if found is None:
        return None
    invitation, interview, candidate, last_end = found
    assert invitation.id is not None and interview.id is not None
    state = link_state(invitation.status, invitation.expires_at, now, last_offered_end=last_end)
    location = session.get(Location, interview.location_id) if interview.location_id else None
    job = session.get(Job, interview.job_id) if interview.job_id else None
    booking = _active_booking(session, invitation.id)
    booked = None
    meeting_url = ""
    if booking is not None:
        slot = session.get(OfferedSlot, booking.slot_id)
        assert slot is not None and slot.id is not None and booking.id is not None
        booked = OfferedTime(slot.id, slot.start_at, slot.end_at)
        meeting_url = _meeting_url(session, booking.id)
    open_slots: tuple[OfferedTime, ...] = ()
    if state.usable and interview.status != InterviewStatus.CANCELLED.value:
        open_slots = tuple(
            OfferedTime(slot.id or 0, slot.start_at, slot.end_at)
            for slot in _open_slots(session, interview, now)
        )
    return CandidateView(
        usable=state.usable and interview.status != InterviewStatus.CANCELLED.value,
        reason=state.reason or ("withdrawn" if interview.status == "cancelled" else ""),
        candidate_name=candidate.name,
        locale=invitation.locale or candidate.locale,
        time_zone=invitation.time_zone or candidate.time_zone,
        interview_title=interview.title,
        duration_minutes=interview.duration_minutes,
        status=invitation.status,
        location_name=location.name if location else None,
        location_address=location.address if location else None,
        meeting_kind=interview.meeting_kind,
        open_slots=open_slots,
        booked=booked,
        job_title=job.title if job else "",
        meeting_url=meeting_url,
        zone_chosen=invitation.time_zone is not None,
        valid_until=link_valid_until(invitation.expires_at, last_end),
    )


def set_page_preferences(
    *,
    session: Session,
    token: str,
    locale: str | None = None,
    time_zone: str | None = None,
) -> bool:
    """Remember the language and/or time zone the candidate chose on their link's page
    (the page and later mails about this invitation follow them). `locale` must be one of
    Planner's languages and `time_zone` an IANA zone name; InvalidInput otherwise. Returns
    False for an unknown link (nothing changes)."""
    if locale is not None and locale not in LOCALES:
        raise InvalidInput("locale", "not one of the offered languages")
    if time_zone is not None and not is_time_zone(time_zone):
        raise InvalidInput("time_zone", "not a known time zone")
    begin_write(session)
    invitation = _invitation(session, token)
    if invitation is None:
        session.rollback()
        return False
    if locale is not None:
        invitation.locale = locale
    if time_zone is not None:
        invitation.time_zone = time_zone
    session.commit()
    return True


_PARTICIPANTS = select(InterviewParticipant.staff_user_id).where(
    InterviewParticipant.interview_id == bindparam("interview_id")
)
# PostgreSQL: one transaction-scoped advisory lock per participant and hour the slot touches
# (key: staff user id, hours since the epoch), taken in order. Two bookings whose times
# overlap share a participant-hour and are decided one after the other; bookings of other
# times do not wait for each other (a row lock per participant queued every candidate of a
# busy interviewer behind one another).
_LOCK_PARTICIPANT_HOURS = text(
    "SELECT pg_advisory_xact_lock(p.staff_user_id, h.hour) "
    "FROM (SELECT staff_user_id FROM interview_participant "
    "      WHERE interview_id = :interview_id) AS p "
    "CROSS JOIN generate_series(CAST(:first_hour AS integer), CAST(:last_hour AS integer)) "
    "     AS h(hour) "
    "ORDER BY p.staff_user_id, h.hour"
)
_CALENDAR_BUSY_WHERE = (
    CalendarConnection.staff_user_id.in_(bindparam("participant_ids", expanding=True)),  # type: ignore[attr-defined]
    CalendarConnection.status == ConnectionStatus.SYNCED.value,
    BusyInterval.tentative == False,  # noqa: E712 - SQL expression
    BusyInterval.start_at < bindparam("end_at", type_=UTCDateTime),
    BusyInterval.end_at > bindparam("start_at", type_=UTCDateTime),
    BusyInterval.source_event_id.is_(None)  # type: ignore[union-attr]
    | BusyInterval.source_event_id.not_in(  # type: ignore[union-attr]
        select(ProviderEventLink.external_event_id).where(
            ProviderEventLink.interview_id == bindparam("interview_id"),
            ProviderEventLink.external_event_id.is_not(None),  # type: ignore[union-attr]
        )
    ),
)
_CALENDAR_BUSY = (
    select(func.count())
    .select_from(BusyInterval)
    .join(CalendarConnection, CalendarConnection.id == BusyInterval.connection_id)  # type: ignore[arg-type]
    .where(*_CALENDAR_BUSY_WHERE)
)
_CALENDAR_BUSY_TIMES = (
    select(BusyInterval.start_at, BusyInterval.end_at)
    .join(CalendarConnection, CalendarConnection.id == BusyInterval.connection_id)  # type: ignore[arg-type]
    .where(*_CALENDAR_BUSY_WHERE)
)
_OTHER_BOOKINGS_WHERE = (
    Booking.status == BookingStatus.ACTIVE.value,
    OfferedSlot.interview_id != bindparam("interview_id"),
    InterviewParticipant.staff_user_id.in_(bindparam("participant_ids", expanding=True)),  # type: ignore[attr-defined]
    OfferedSlot.start_at < bindparam("end_at", type_=UTCDateTime),
    OfferedSlot.end_at > bindparam("start_at", type_=UTCDateTime),
)
_OTHER_BOOKINGS = (
    select(func.count())
    .select_from(Booking)
    .join(OfferedSlot, OfferedSlot.id == Booking.slot_id)  # type: ignore[arg-type]
    .join(InterviewParticipant, InterviewParticipant.interview_id == OfferedSlot.interview_id)  # type: ignore[arg-type]
    .where(*_OTHER_BOOKINGS_WHERE)
)
_OTHER_BOOKED_TIMES = (
    select(OfferedSlot.start_at, OfferedSlot.end_at)
    .select_from(Booking)
    .join(OfferedSlot, OfferedSlot.id == Booking.slot_id)  # type: ignore[arg-type]
    .join(InterviewParticipant, InterviewParticipant.interview_id == OfferedSlot.interview_id)  # type: ignore[arg-type]
    .where(*_OTHER_BOOKINGS_WHERE)
)


_ANY_BUSY = select(_CALENDAR_BUSY.scalar_subquery() + _OTHER_BOOKINGS.scalar_subquery())


def _busy_slot_ids(session: Session, interview_id: int, slots: list[OfferedSlot]) -> set[int]:
    """The slots (of one interview) at which a participant has another commitment, as
    _participants_busy decides for one slot, read in three queries for all of them."""
    if not slots:
        return set()
    participant_ids = sorted(
        session.execute(_PARTICIPANTS, {"interview_id": interview_id}).scalars().all()
    )
    params = {
        "participant_ids": participant_ids,
        "interview_id": interview_id,
        "start_at": min(slot.start_at for slot in slots),
        "end_at": max(slot.end_at for slot in slots),
    }
    taken = session.execute(_CALENDAR_BUSY_TIMES, params).all()
    taken += session.execute(_OTHER_BOOKED_TIMES, params).all()
    return {
        slot.id
        for slot in slots
        if slot.id is not None
        and any(start < slot.end_at and slot.start_at < end for start, end in taken)
    }


def _participants_busy(
    session: Session, interview_id: int, start: datetime, end: datetime, *, lock: bool = True
) -> bool:
    """Whether a participant has another commitment overlapping the slot: a hard busy time
    from their synced calendar (Planner's own events for this interview excepted), or an
    active booking of another interview. Locks each participant's hours of the slot first
    (PostgreSQL; SQLite serialises writers anyway), so that two overlapping bookings of
    different interviews for the same people are decided one after the other."""
    if lock and session.get_bind().dialect.name == "postgresql":
        hours = {
            "interview_id": interview_id,
            "first_hour": int(start.timestamp()) // 3600,
            "last_hour": (int(end.timestamp()) - 1) // 3600,
        }
        session.execute(_LOCK_PARTICIPANT_HOURS, hours).all()
    participant_ids = sorted(
        session.execute(_PARTICIPANTS, {"interview_id": interview_id}).scalars().all()
    )
    params = {
        "participant_ids": participant_ids,
        "interview_id": interview_id,
        "start_at": start,
        "end_at": end,
    }
    return bool(session.execute(_ANY_BUSY, params).scalar())


@dataclass(frozen=True, slots=True)
class _Claim:
    invitation_id: int
    account_id: int
    interview_id: int


# Built once: the booking path runs under contention, where statement building would cost
# more Python time than the database needs for the statement.
_LOOKUP = (
    select(
        CandidateInvitation.id,
        CandidateInvitation.account_id,
        CandidateInvitation.interview_id,
        CandidateInvitation.status,
        CandidateInvitation.expires_at,
        Interview.status,
        Interview.duration_minutes,
        OfferedSlot.interview_id,
        OfferedSlot.status,
        OfferedSlot.start_at,
        _LAST_OFFERED_END,
    )
    .join(Interview, Interview.id == CandidateInvitation.interview_id)  # type: ignore[arg-type]
    .outerjoin(OfferedSlot, OfferedSlot.id == bindparam("slot_id"))  # type: ignore[arg-type]
    .where(CandidateInvitation.token_hash == bindparam("token_hash"))
)
_SET_STATUS = (
    update(CandidateInvitation.__table__)  # type: ignore[attr-defined]
    .where(CandidateInvitation.__table__.c.id == bindparam("invitation_id"))  # type: ignore[attr-defined]
    .values(status=bindparam("status"))
)
_ACTIVE_FOR_INVITATION = select(Booking.id).where(
    Booking.invitation_id == bindparam("invitation_id"),
    Booking.status == BookingStatus.ACTIVE.value,
)
_FREE_SEAT = (
    select(
        bindparam("account_id", type_=Integer),
        bindparam("invitation_id", type_=Integer),
        bindparam("slot_id", type_=Integer),
        SlotSeat.id,
        literal(BookingStatus.ACTIVE.value),
        bindparam("now", type_=UTCDateTime),
    )
    .where(
        SlotSeat.slot_id == bindparam("slot_id"),
        ~exists().where(
            Booking.seat_id == SlotSeat.id, Booking.status == BookingStatus.ACTIVE.value
        ),
    )
    .order_by(SlotSeat.seat_number)  # type: ignore[arg-type]
    .limit(1)
    # PostgreSQL: a seat another booking is being written for is skipped, not waited on, so
    # losers are answered at once (SQLite serialises writers with BEGIN IMMEDIATE instead).
    .with_for_update(skip_locked=True, of=SlotSeat)
)
_CLAIM = {
    dialect: insert(Booking.__table__)  # type: ignore[attr-defined]
    .from_select(
        ["account_id", "invitation_id", "slot_id", "seat_id", "status", "created_at"], _FREE_SEAT
    )
    .on_conflict_do_nothing()
    .returning(Booking.__table__.c.id)  # type: ignore[attr-defined]
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def _claim_seat(session: Session, *, invitation: _Claim, slot_id: int, now: datetime) -> int | None:
    """Insert an active booking on the lowest free seat of the slot, or nothing when every
    seat is taken or being taken. The unique indexes on active bookings remain the guard
    (ON CONFLICT DO NOTHING), so the loser path costs two short statements."""
    statement = _CLAIM[session.get_bind().dialect.name]
    # Through the session's connection: with parameters, an ORM insert would mean a bulk insert.
    return (
        session.connection()
        .execute(
            statement,
            {
                "account_id": invitation.account_id,
                "invitation_id": invitation.invitation_id,
                "slot_id": slot_id,
                "now": now,
            },
        )
        .scalar()
    )


def book(*, session: Session, token: str, slot_id: int, now: datetime) -> Result:
    """Book one of the invitation's offered slots.

    The seat is claimed by inserting the booking: the database's unique index on active
    bookings per seat decides between concurrent candidates, so a slot is never booked
    beyond its capacity. Only the winner then re-checks the participants' calendars."""
    if not token or len(token) > 200:
        return Result(Outcome.LINK_INVALID)
    begin_write(session)
    row = session.execute(_LOOKUP, {"slot_id": slot_id, "token_hash": hash_token(token)}).first()
    if row is None:
        session.rollback()
        return Result(Outcome.LINK_INVALID)
    (invitation_id, account_id, interview_id, status, expires_at, interview_status, duration,
     slot_interview_id, slot_status, slot_start, last_end) = row  # fmt: skip
    if not link_state(status, expires_at, now, last_offered_end=last_end).usable:
        session.rollback()
        return Result(Outcome.LINK_INVALID)
    if not can(status, InvitationEvent.BOOK):
        current = _active_booking(session, invitation_id)
        session.rollback()
        if current is not None and current.slot_id == slot_id:
            # The same time asked for again (a double click, a retry, a second tab): done once.
            return Result(Outcome.BOOKED, current.id)
        return Result(Outcome.ALREADY_BOOKED)
    if slot_interview_id != interview_id:
        session.rollback()
        raise InvalidInput("slot_id", "this time is not one offered in your invitation")
    if (
        slot_status != SlotStatus.OFFERED.value
        or slot_start <= now
        or interview_status == InterviewStatus.CANCELLED.value
    ):
        session.rollback()
        return Result(Outcome.SLOT_UNAVAILABLE)

    claim = _Claim(invitation_id, account_id, interview_id)
    booking_id = _claim_seat(session, invitation=claim, slot_id=slot_id, now=now)
    if booking_id is None:
        double = session.execute(_ACTIVE_FOR_INVITATION, {"invitation_id": invitation_id}).first()
        session.rollback()
        return Result(Outcome.ALREADY_BOOKED if double else Outcome.SLOT_TAKEN)

    slot_end = slot_start + timedelta(minutes=duration)
    if _participants_busy(session, interview_id, slot_start, slot_end):
        session.rollback()
        return Result(Outcome.SLOT_UNAVAILABLE)
    session.execute(
        _SET_STATUS,
        {"invitation_id": invitation_id, "status": next_status(status, InvitationEvent.BOOK).value},
    )
    # One outbox row; the worker expands it (expand_booking_made) so that the contended
    # transaction stays short.
    notifications.request(
        session=session,
        name="booking_made",
        account_id=account_id,
        booking_id=booking_id,
        link=routes.booking_url(get_settings().base_url, token),
        occurred_at=utcnow().isoformat(),
    )
    session.commit()
    log.info("invitation %s booked slot %s (booking %s)", invitation_id, slot_id, booking_id)
    return Result(Outcome.BOOKED, booking_id)


def _usable(session: Session, invitation: CandidateInvitation, now: datetime) -> bool:
    last_end = _last_offered_end(session, invitation.interview_id)
    return link_state(
        invitation.status, invitation.expires_at, now, last_offered_end=last_end
    ).usable


class CommentTooLong(InvalidInput):
    """A comment longer than MAX_COMMENT characters: refused whole, never cut."""

    def __init__(self, length: int) -> None:
        super().__init__(
            "comment",
            "at most {limit} characters (this one has {length})",
            limit=MAX_COMMENT,
            length=length,
        )
        self.length = length


def expand_booking_made(
    *, session: Session, booking_id: int, link: str, occurred_at: str | None = None
) -> int:
    """Record, without committing, what a booking sets off: the events in the participants'
    calendars (only while the booking is still active), the `interview.booked` webhooks and
    the confirmation mails. Runs in the worker's transaction that marks the booking's
    outbox row done, so a worker dying half-way leaves all of it to be done again;
    running it twice adds nothing (calendar links once per booking, webhooks and mails
    de-duplicated). The booking row is locked first (PostgreSQL), so that a cancellation
    recorded meanwhile sees the calendar links this writes. Returns how many effects were
    recorded; raises NotFound for an unknown booking. `occurred_at` (ISO 8601, UTC) is when
    the booking was made: the webhook's time and place in the delivery order."""
    lookup = select(Booking.account_id, Booking.status).where(Booking.id == booking_id)
    if session.get_bind().dialect.name == "postgresql":
        lookup = lookup.with_for_update()
    row = session.execute(lookup).first()
    if row is None:
        raise NotFound("Booking not found.")
    account_id, status = row
    effects = 0
    if status == BookingStatus.ACTIVE.value:
        effects += calendar_events.record_booking_created(session=session, booking_id=booking_id)
    effects += webhooks.record(
        session=session,
        account_id=account_id,
        event="interview.booked",
        data={"booking_id": booking_id},
        occurred_at=datetime.fromisoformat(occurred_at) if occurred_at else None,
    )
    if (
        calendar_events.meeting_link_state(session=session, booking_id=booking_id)[0]
        == calendar_events.MEETING_PENDING
    ):
        # The organiser's provider makes the meeting when it writes their event: the
        # confirmations wait for its link (a little), rendered by the worker.
        notifications.request(
            session=session,
            name="booking_confirmation",
            account_id=account_id,
            booking_id=booking_id,
            link=link,
            wait_until=notifications.meeting_wait_until(utcnow()),
        )
        return effects + 1
    effects += notifications.queue_booking_confirmation(
        session=session, booking_id=booking_id, link=link
    )
    return effects


def _clean_comment(comment: str, *, required: bool) -> str:
    try:
        text = normalise_multiline(comment or "")
    except UnusableText:
        raise InvalidInput("comment", "contains characters that are not valid text") from None
    if required and not text:
        raise InvalidInput("comment", "please write a few words")
    if len(text) > MAX_COMMENT:
        raise CommentTooLong(len(text))
    return text


def cancel(*, session: Session, token: str, comment: str, now: datetime) -> Result:
    """The candidate cancels their booking, saying why; the seat is free again at once."""
    text = _clean_comment(comment, required=True)
    begin_write(session)
    invitation = _invitation(session, token)
    if invitation is None or not _usable(session, invitation, now):
        session.rollback()
        return Result(Outcome.LINK_INVALID)
    assert invitation.id is not None
    booking = _active_booking(session, invitation.id)
    if booking is None or not can(invitation.status, InvitationEvent.CANCEL):
        session.rollback()
        return Result(Outcome.NOT_BOOKED)
    assert booking.id is not None
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = now
    invitation.status = next_status(invitation.status, InvitationEvent.CANCEL).value
    session.add(
        CandidateComment(
            account_id=invitation.account_id,
            invitation_id=invitation.id,
            candidate_id=invitation.candidate_id,
            interview_id=invitation.interview_id,
            booking_id=booking.id,
            kind=CommentKind.CANCELLATION.value,
            body=text,
            created_at=now,
        )
    )
    notifications.request(
        session=session,
        name="booking_cancellation",
        account_id=invitation.account_id,
        booking_id=booking.id,
        comment=text,
        link=routes.booking_url(get_settings().base_url, token),
    )
    calendar_events.record_booking_cancelled(session=session, booking_id=booking.id)
    webhooks.record(
        session=session,
        account_id=invitation.account_id,
        event="interview.cancelled",
        data={"booking_id": booking.id, "cancelled_by": "candidate"},
    )
    session.commit()
    log.info("booking %s cancelled by the candidate", booking.id)
    return Result(Outcome.CANCELLED, booking.id)


def no_fit(*, session: Session, token: str, comment: str, now: datetime) -> Result:
    """The candidate says none of the offered times fits, with a comment for the staff."""
    text = _clean_comment(comment, required=True)
    begin_write(session)
    invitation = _invitation(session, token)
    if invitation is None or not _usable(session, invitation, now):
        session.rollback()
        return Result(Outcome.LINK_INVALID)
    if not can(invitation.status, InvitationEvent.NO_FIT):
        session.rollback()
        return Result(Outcome.ALREADY_BOOKED)
    assert invitation.id is not None
    if invitation.status == InvitationStatus.NO_FIT.value:
        latest = session.exec(
            select(CandidateComment.body)
            .where(
                CandidateComment.invitation_id == invitation.id,
                CandidateComment.kind == CommentKind.NO_FIT.value,
            )
            .order_by(CandidateComment.id.desc())  # type: ignore[union-attr]
        ).first()
        if latest == text:
            # The same comment sent again (a double click, a retry, a second tab): kept once.
            session.rollback()
            return Result(Outcome.COMMENTED)
    invitation.status = next_status(invitation.status, InvitationEvent.NO_FIT).value
    comment_row = CandidateComment(
        account_id=invitation.account_id,
        invitation_id=invitation.id,
        candidate_id=invitation.candidate_id,
        interview_id=invitation.interview_id,
        kind=CommentKind.NO_FIT.value,
        body=text,
        created_at=now,
    )
    session.add(comment_row)
    session.flush()
    assert comment_row.id is not None
    notifications.request(
        session=session,
        name="no_fit_comment",
        account_id=invitation.account_id,
        comment_id=comment_row.id,
    )
    webhooks.record(
        session=session,
        account_id=invitation.account_id,
        event="invitation.no_fit",
        data={"comment_id": comment_row.id},
    )
    session.commit()
    return Result(Outcome.COMMENTED)


def expire_invitations(*, session: Session, now: datetime) -> int:
    """Mark invitations whose link ran out before a booking as expired (never before the
    interview's last offered time has passed); returns how many. The worker runs it every
    ten minutes (planner.jobs.worker.expire_invitations)."""
    begin_write(session)
    rows = session.exec(
        select(CandidateInvitation).where(
            CandidateInvitation.expires_at <= now,
            CandidateInvitation.status.in_(("invited", "no_fit", "cancelled")),  # type: ignore[attr-defined]
            # Never before the last offered time has passed (link_valid_until).
            ~exists().where(
                col(OfferedSlot.interview_id) == col(CandidateInvitation.interview_id),
                col(OfferedSlot.status) == SlotStatus.OFFERED.value,
                col(OfferedSlot.end_at) > now,
            ),
        )
    ).all()
    for invitation in rows:
        invitation.status = next_status(invitation.status, InvitationEvent.EXPIRE).value
    # Open calendars, dialogs and profiles of each account show the change (activity_marker).
    for account_id in sorted({invitation.account_id for invitation in rows}):
        notifications.record_activity(
            session=session, account_id=account_id, what="invitations_expired"
        )
    session.commit()
    return len(rows)


_ACTIVE_BY_TOKEN = (
    select(Booking.id)
    .join(CandidateInvitation, CandidateInvitation.id == Booking.invitation_id)  # type: ignore[arg-type]
    .where(
        CandidateInvitation.token_hash == bindparam("token_hash"),
        Booking.status == BookingStatus.ACTIVE.value,
    )
    .limit(1)
)


def active_booking_id(*, session: Session, token: str) -> int | None:
    """The candidate's current booking, for the confirmation page's calendar links."""
    if not token or len(token) > 200:
        return None
    return session.execute(_ACTIVE_BY_TOKEN, {"token_hash": hash_token(token)}).scalar()
