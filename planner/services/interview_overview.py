"""One interview as staff manage it after sending: people, times, candidates' answers, links."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from planner.domain.booking import link_valid_until
from planner.domain.sync_status import CALENDAR_PROVIDERS
from planner.domain.vocabulary import (
    BookingStatus,
    ConnectionStatus,
    EventLinkStatus,
    MeetingKind,
)
from planner.models import (
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
    ProviderEventLink,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services.actor import Actor, owned
from planner.services.errors import PlannerError


class StaleInterview(PlannerError):
    """The interview changed since the dialog that acts on it was drawn (its fingerprint
    differs): nothing was done. `message` is English; `message_in(locale)` translates it."""

    def __init__(self) -> None:
        super().__init__(
            "This interview changed meanwhile. Look at it again, then choose what to do."
        )


@dataclass(frozen=True)
class CommentView:
    """A candidate's comment: `kind` "no_fit" or "cancellation"; `created_at` UTC."""

    kind: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class CandidateStatus:
    """One invited candidate: `status` is the invitation's ("invited", "booked", "no_fit",
    "cancelled", "expired", "withdrawn"); times UTC; comments oldest first."""

    invitation_id: int
    candidate_id: int
    name: str
    email: str
    status: str
    booked_slot_id: int | None
    booked_start: datetime | None
    expires_at: datetime
    sent_at: datetime | None
    comments: tuple[CommentView, ...]


@dataclass(frozen=True)
class ParticipantStatus:
    """A staff participant. `sync_state`: "synced" | "error" | "not_connected" (their
    calendar connection). `event_state`: their calendar event(s) for the interview's active
    bookings: "created" (all written), "pending" (some not written yet), "failed" (some could
    not be written), "not_synced" (Planner writes none for them: they get mails with .ics),
    "no_email" (no calendar and no e-mail address: Planner cannot tell them), "none"
    (nothing is booked)."""

    staff_user_id: int
    name: str
    is_organiser: bool
    sync_state: str
    event_state: str


@dataclass(frozen=True)
class SlotStatus:
    """An offered time (UTC), "offered" or "removed", with the names of who booked it and
    the join link of its booking's online meeting (each booking has its own: a Jitsi room
    or the meeting the organiser's provider made with their event; "" until then)."""

    slot_id: int
    start_at: datetime
    end_at: datetime
    status: str
    booked: int
    capacity: int
    candidate_names: tuple[str, ...]
    meeting_url: str = ""


@dataclass(frozen=True)
class InterviewOverview:
    """Everything the details dialog shows. `meeting_url`: the online meeting's join link
    once a provider made it ("" before the first booking's events are written, or with no
    online meeting): the first booking's; each booked slot has its own (SlotStatus).
    `host_url`: the organiser's way in, only when the actor is the organiser (see
    `interview_overview`). `fingerprint`: changes whenever something people
    changed (title, place, kind, status, slots, candidates, bookings, comments,
    participants) changes; see `fingerprint_of`."""

    interview_id: int
    title: str
    status: str
    job_id: int | None
    job_title: str
    organiser_id: int
    organiser_name: str
    duration_minutes: int
    capacity: int
    meeting_kind: str
    location_id: int | None
    location_name: str
    location_address: str
    meeting_url: str
    host_url: str
    participants: tuple[ParticipantStatus, ...]
    slots: tuple[SlotStatus, ...]
    candidates: tuple[CandidateStatus, ...]
    fingerprint: str


def _sync_states(session: Session, user_ids: list[int]) -> dict[int, str]:
    states: dict[int, str] = {}
    rows = session.exec(
        select(CalendarConnection.staff_user_id, CalendarConnection.status).where(
            col(CalendarConnection.staff_user_id).in_(user_ids),
            col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
            CalendarConnection.status != ConnectionStatus.DISCONNECTED.value,
        )
    ).all()
    for user_id, status in rows:
        if status == ConnectionStatus.SYNCED.value:
            states[user_id] = "synced"
        elif states.get(user_id) != "synced":
            states[user_id] = "error"
    return {user_id: states.get(user_id, "not_connected") for user_id in user_ids}


def _event_state(statuses: list[str], booked: bool, *, mailed: bool = True) -> str:
    if not booked:
        return "none"
    if not statuses:
        return "not_synced" if mailed else "no_email"
    if EventLinkStatus.FAILED.value in statuses:
        return "failed"
    if EventLinkStatus.PENDING.value in statuses:
        return "pending"
    return "created"


def _fingerprint(
    interview: Interview,
    participants: list[tuple[int, str]],
    slots: tuple[SlotStatus, ...],
    candidates: tuple[CandidateStatus, ...],
    token_hashes: dict[int, str],
) -> str:
    facts = {
        "interview": [
            interview.id,
            interview.title,
            interview.status,
            interview.job_id,
            interview.organiser_id,
            interview.duration_minutes,
            interview.capacity,
            interview.meeting_kind,
            interview.location_id,
            interview.ics_sequence,
        ],
        "participants": participants,
        "slots": [[s.slot_id, s.start_at, s.end_at, s.status, s.booked] for s in slots],
        "candidates": [
            [
                c.invitation_id,
                c.status,
                c.booked_slot_id,
                c.expires_at,
                c.sent_at,
                token_hashes.get(c.invitation_id, ""),
                [[m.kind, m.body, m.created_at] for m in c.comments],
            ]
            for c in candidates
        ],
    }
    text = json.dumps(facts, default=str, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


# Invitations whose link can run out (a booked one keeps working: domain.booking.link_state).
_EXPIRING = ("invited", "no_fit", "cancelled")


def _build(
    session: Session, interview: Interview, actor: Actor | None, now: datetime | None = None
) -> InterviewOverview:
    interview_id = interview.id
    assert interview_id is not None
    organiser = session.get(StaffUser, interview.organiser_id)
    job = session.get(Job, interview.job_id) if interview.job_id else None
    location = session.get(Location, interview.location_id) if interview.location_id else None

    people = session.exec(
        select(StaffUser.id, StaffUser.name)
        .join(InterviewParticipant, col(InterviewParticipant.staff_user_id) == StaffUser.id)
        .where(InterviewParticipant.interview_id == interview_id)
        .order_by(col(InterviewParticipant.id))
    ).all()
    participant_rows: list[tuple[int, str]] = [(int(i), n) for i, n in people if i is not None]
    if interview.organiser_id not in {i for i, _ in participant_rows} and organiser is not None:
        participant_rows.insert(0, (interview.organiser_id, organiser.name))

    active = session.exec(
        select(Booking, Candidate.name)
        .join(CandidateInvitation, col(CandidateInvitation.id) == Booking.invitation_id)
        .join(Candidate, col(Candidate.id) == CandidateInvitation.candidate_id)
        .where(
            CandidateInvitation.interview_id == interview_id,
            Booking.status == BookingStatus.ACTIVE.value,
        )
        .order_by(Candidate.name, col(Booking.id))
    ).all()
    booking_ids = [b.id for b, _ in active if b.id is not None]
    names_per_slot: dict[int, list[str]] = defaultdict(list)
    booking_of_invitation: dict[int, Booking] = {}
    for booking, name in active:
        names_per_slot[booking.slot_id].append(name)
        booking_of_invitation[booking.invitation_id] = booking

    slot_rows = session.exec(
        select(OfferedSlot)
        .where(OfferedSlot.interview_id == interview_id)
        .order_by(col(OfferedSlot.start_at), col(OfferedSlot.id))
    ).all()
    slots = tuple(
        SlotStatus(
            slot_id=slot.id or 0,
            start_at=slot.start_at,
            end_at=slot.end_at,
            status=slot.status,
            booked=len(names_per_slot.get(slot.id or 0, [])),
            capacity=interview.capacity,
            candidate_names=tuple(names_per_slot.get(slot.id or 0, [])),
        )
        for slot in slot_rows
    )
    slot_start = {slot.id: slot.start_at for slot in slot_rows}
    last_offered_end = max(
        (slot.end_at for slot in slot_rows if slot.status == "offered"), default=None
    )
    now = now or utcnow()

    comments: dict[int, list[CommentView]] = defaultdict(list)
    for comment in session.exec(
        select(CandidateComment)
        .where(CandidateComment.interview_id == interview_id)
        .order_by(col(CandidateComment.created_at), col(CandidateComment.id))
    ).all():
        comments[comment.invitation_id].append(
            CommentView(kind=comment.kind, body=comment.body, created_at=comment.created_at)
        )
    token_hashes: dict[int, str] = {}
    candidates: list[CandidateStatus] = []
    for invitation, candidate in session.exec(
        select(CandidateInvitation, Candidate)
        .join(Candidate, col(Candidate.id) == CandidateInvitation.candidate_id)
        .where(CandidateInvitation.interview_id == interview_id)
        .order_by(Candidate.name, col(CandidateInvitation.id))
    ).all():
        assert invitation.id is not None and candidate.id is not None
        token_hashes[invitation.id] = invitation.token_hash
        booked = booking_of_invitation.get(invitation.id)
        candidates.append(
            CandidateStatus(
                invitation_id=invitation.id,
                candidate_id=candidate.id,
                name=candidate.name,
                email=candidate.email,
                status=(
                    "expired"
                    if invitation.status in _EXPIRING
                    and link_valid_until(invitation.expires_at, last_offered_end) <= now
                    else invitation.status
                ),
                booked_slot_id=booked.slot_id if booked else None,
                booked_start=slot_start.get(booked.slot_id) if booked else None,
                expires_at=invitation.expires_at,
                sent_at=invitation.sent_at,
                comments=tuple(comments.get(invitation.id, [])),
            )
        )

    links: dict[int, list[str]] = defaultdict(list)
    meeting_urls: list[tuple[bool, int, str]] = []
    slot_of_booking = {b.id: b.slot_id for b, _ in active}
    slot_meetings: dict[int, list[tuple[bool, int, str]]] = defaultdict(list)
    if booking_ids:
        for user_id, status, url, link_id, booking_id in session.exec(
            select(
                ProviderEventLink.staff_user_id,
                ProviderEventLink.status,
                ProviderEventLink.meeting_url,
                ProviderEventLink.id,
                ProviderEventLink.booking_id,
            ).where(
                col(ProviderEventLink.booking_id).in_(booking_ids),
                col(ProviderEventLink.replaced_at).is_(None),  # replaced events are going
            )
        ).all():
            links[user_id].append(status)
            if url:
                meeting = (user_id != interview.organiser_id, link_id or 0, url)
                meeting_urls.append(meeting)
                slot_meetings[slot_of_booking[booking_id]].append(meeting)
    sync = _sync_states(session, [i for i, _ in participant_rows])
    with_mail = set(
        session.exec(
            select(StaffUser.id).where(
                col(StaffUser.id).in_([i for i, _ in participant_rows]),
                col(StaffUser.email).is_not(None),
                StaffUser.email != "",
            )
        ).all()
    )
    participants = tuple(
        ParticipantStatus(
            staff_user_id=user_id,
            name=name,
            is_organiser=user_id == interview.organiser_id,
            sync_state=sync.get(user_id, "not_connected"),
            event_state=_event_state(
                links.get(user_id, []), bool(booking_ids), mailed=user_id in with_mail
            ),
        )
        for user_id, name in participant_rows
    )
    # The organiser's own event carries the meeting the provider made; others copy it.
    meeting_url = ""
    if interview.meeting_kind != MeetingKind.NONE.value and meeting_urls:
        meeting_url = sorted(meeting_urls)[0][2]
        slots = tuple(
            replace(slot, meeting_url=sorted(slot_meetings[slot.slot_id])[0][2])
            if slot_meetings.get(slot.slot_id)
            else slot
            for slot in slots
        )
    is_organiser = actor is not None and actor.user_id == interview.organiser_id
    cands = tuple(candidates)
    return InterviewOverview(
        interview_id=interview_id,
        title=interview.title,
        status=interview.status,
        job_id=interview.job_id,
        job_title=job.title if job else "",
        organiser_id=interview.organiser_id,
        organiser_name=organiser.name if organiser else "",
        duration_minutes=interview.duration_minutes,
        capacity=interview.capacity,
        meeting_kind=interview.meeting_kind,
        location_id=interview.location_id,
        location_name=location.name if location else "",
        location_address=location.address if location else "",
        meeting_url=meeting_url,
        host_url=meeting_url if is_organiser else "",
        participants=participants,
        slots=slots,
        candidates=cands,
        fingerprint=_fingerprint(interview, participant_rows, slots, cands, token_hashes),
    )


def interview_overview(
    *, session: Session, actor: Actor, interview_id: int, now: datetime | None = None
) -> InterviewOverview:
    """The interview as the details dialog shows it to `actor` at `now` (UTC; default the
    current time). Raises NotFound for an interview of another account (or none).

    A candidate's status is "expired" once their unbooked link has run out (as their page
    says), also before the invitation row is marked so.

    Host link: Zoom's host-only start URL is never stored, and Teams, Meet and Jitsi have
    no separate host link: the organiser joins through the meeting's own link, signed in to
    the account that owns the meeting (Teams/Meet: their calendar account; Zoom: their Zoom
    account, where the join link opens the meeting as its host). So `host_url` is the
    meeting's link when the actor is the organiser, and "" for everyone else."""
    interview = owned(actor, session.get(Interview, interview_id), "Interview")
    return _build(session, interview, actor, now)


def fingerprint_of(*, session: Session, interview: Interview) -> str:
    """The interview's current fingerprint (as in its overview), read in the caller's
    transaction. It covers what people change: the interview's fields and ICS sequence,
    participants, slots, bookings, invitations (status, expiry, sending, link) and
    comments. It leaves out what workers change on their own (calendar sync states, whether
    events are written yet, the meeting link), so that a dialog is not refused as stale
    because a worker finished writing an event meanwhile."""
    return _build(session, interview, None).fingerprint


def activity_marker(*, session: Session, actor: Actor) -> int:
    """A number that grows whenever something happens in the actor's account that staff
    views show: a booking, a candidate's cancellation or comment, an invitation, and every
    staff action on an interview (each writes an outbox row for the account). It is the
    newest outbox row's id, one lookup in the (account_id, id) index; 0 before any."""
    value = session.exec(
        select(func.max(OutboxMessage.id)).where(OutboxMessage.account_id == actor.account_id)
    ).one()
    return int(value or 0)
