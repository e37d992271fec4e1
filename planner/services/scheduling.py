"""Staff side of scheduling: create interviews, offer and remove slots, invite candidates."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planner import routes
from planner.db import begin_write
from planner.domain.booking import InvitationEvent, can, next_status
from planner.domain.meetings import available_meeting_kinds
from planner.domain.tokens import hash_token, new_token
from planner.domain.vocabulary import (
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
from planner.services.errors import InvalidInput
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
            raise InvalidInput("slots", f"{start.isoformat()} is in the past")
        if start > now + timedelta(days=366):
            raise InvalidInput("slots", f"{start.isoformat()} is more than a year ahead")


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
        raise InvalidInput(
            "meeting_kind",
            f"the organiser has no connected calendar that can create a "
            f"{values.meeting_kind.value} meeting",
        )
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


def add_slots(
    *, session: Session, actor: Actor, interview_id: int, starts: list[datetime], now: datetime
) -> InterviewDetail:
    """Offer more times for an interview."""
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    if interview.status == InterviewStatus.CANCELLED.value:
        raise InvalidInput("interview_id", "the interview is cancelled")
    for start in starts:
        if start.tzinfo is None:
            raise InvalidInput("slots", "times must include a time zone offset")
    existing = set(
        session.exec(select(OfferedSlot.start_at).where(OfferedSlot.interview_id == interview_id))
    )
    _check_slot_times(starts, now)
    for start in starts:
        if start in existing:
            raise InvalidInput("slots", f"{start.isoformat()} is already offered")
        _add_slot(session, interview, start)
    session.commit()
    return get_interview_detail(session=session, actor=actor, interview_id=interview_id)


def remove_slot(*, session: Session, actor: Actor, slot_id: int, now: datetime) -> int:
    """Withdraw an offered slot. A booking on it is cancelled, and its candidate is told and
    may choose again among the remaining slots. Returns how many bookings were cancelled."""
    begin_write(session)
    slot = owned(actor, session.get(OfferedSlot, slot_id), "Slot")
    if slot.status == SlotStatus.REMOVED.value:
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
    session.commit()
    log.info("slot %s removed, %d bookings cancelled", slot_id, len(bookings))
    return len(bookings)


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


def cancel_interview(*, session: Session, actor: Actor, interview_id: int, now: datetime) -> None:
    """Cancel the whole interview: every booking is cancelled (with notice) and every open
    invitation withdrawn."""
    begin_write(session)
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    if interview.status == InterviewStatus.CANCELLED.value:
        return
    interview.status = InterviewStatus.CANCELLED.value
    for booking in session.exec(
        select(Booking)
        .join(OfferedSlot, OfferedSlot.id == Booking.slot_id)  # type: ignore[arg-type]
        .where(OfferedSlot.interview_id == interview_id, Booking.status == "active")
    ).all():
        booking.status = BookingStatus.CANCELLED.value
        booking.cancelled_at = now
        session.flush()
        assert booking.id is not None
        # Worded as a removed time, not as the candidate's own cancellation.
        notifications.request(
            session=session,
            name="slot_removed",
            account_id=booking.account_id,
            booking_id=booking.id,
        )
        calendar_events.record_booking_cancelled(session=session, booking_id=booking.id)
    for invitation in session.exec(
        select(CandidateInvitation).where(CandidateInvitation.interview_id == interview_id)
    ).all():
        if can(invitation.status, InvitationEvent.WITHDRAW):
            invitation.status = next_status(invitation.status, InvitationEvent.WITHDRAW).value
    webhooks.record(
        session=session,
        account_id=interview.account_id,
        event="interview.cancelled",
        data={"interview_id": interview_id, "cancelled_by": "staff"},
    )
    session.commit()


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
