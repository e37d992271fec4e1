"""Interviews in participants' calendars: recorded in the booking's transaction, written by workers.

A booking records, for each participant (and the organiser) with a live calendar connection,
a ProviderEventLink whose `event_key` is fixed now, and a "calendar" outbox row. A worker
claims the row, writes the event under that key (so a retried or duplicated run finds the
same event instead of making a second one), stores the provider's id, and marks the row done.
Cancellations record delete rows for the same links; staff changes to a booked interview
record update rows (one per link and change), which wait for the link's create and rewrite the
event with the interview as it is when they run."""

import base64
import logging
import random as _random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from planner.db import begin_write
from planner.domain.retry import retry_delay
from planner.domain.sync_status import CALENDAR_PROVIDERS
from planner.domain.vocabulary import (
    BookingStatus,
    ConnectionStatus,
    EventLinkStatus,
    MeetingKind,
)
from planner.integrations.calendar.base import Credentials, EventRequest
from planner.integrations.crypto import CredentialsUnreadable, decrypt_credentials
from planner.integrations.meetings.jitsi import jitsi_meeting
from planner.models import (
    Booking,
    CalendarConnection,
    Candidate,
    CandidateInvitation,
    Interview,
    InterviewParticipant,
    Location,
    OfferedSlot,
    OutboxMessage,
    ProviderEventLink,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services import outbox, webhooks
from planner.settings import Settings, get_settings

log = logging.getLogger(__name__)

CALENDAR_KIND = "calendar"
CREATE = "create"
DELETE = "delete"
UPDATE = "update"
MAX_ATTEMPTS = 12
BATCH_SIZE = 20
# Connections whose events Planner still writes (an "error" one may recover).
WRITABLE = (ConnectionStatus.SYNCED.value, ConnectionStatus.ERROR.value)
# Which calendar of the organiser can carry the interview's own online meeting.
MEETING_PROVIDER = {MeetingKind.TEAMS.value: "microsoft", MeetingKind.MEET.value: "google"}
# Links whose event (or the Zoom meeting made for it) may exist and is removed with them: a
# failed one may have left a Zoom meeting behind (made before its calendar write failed).
_REMOVABLE = (
    EventLinkStatus.PENDING.value,
    EventLinkStatus.CREATED.value,
    EventLinkStatus.FAILED.value,
)
# How long a participant's event waits for the organiser's meeting link before retrying.
WAIT_FOR_ORGANISER = timedelta(seconds=3)


def new_event_key() -> str:
    """A provider-safe event key: 26 base32hex characters (a-v, 0-9), 128 random bits. It is
    a valid Google event id, CalDAV resource name and UID, and Graph transactionId."""
    return base64.b32hexencode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def _insert_row(session: Session, values: dict[str, object]) -> None:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.exec(
        module.insert(OutboxMessage)  # type: ignore[call-overload]
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


def _queue(
    session: Session, *, account_id: int, link_id: int, action: str, key: str = "", **extra: object
) -> None:
    now = utcnow()
    _insert_row(
        session,
        {
            "account_id": account_id,
            "kind": CALENDAR_KIND,
            "payload": {"link_id": link_id, "action": action, **extra},
            "dedupe_key": f"calendar:{action}:{link_id}{key}",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "message_id": None,
            "done_at": None,
            "created_at": now,
        },
    )


def _calendar_connection(
    connections: list[CalendarConnection], preferred: str | None
) -> CalendarConnection | None:
    if not connections:
        return None
    for connection in connections:
        if connection.provider == preferred:
            return connection
    return sorted(connections, key=lambda c: CALENDAR_PROVIDERS.index(c.provider))[0]


def record_booking_created(*, session: Session, booking_id: int) -> int:
    """Record, without committing, that the booked interview goes into the calendar of each
    participant (and the organiser) with a live calendar connection. Returns how many (0
    when the booking's events were recorded before)."""
    if session.exec(
        select(ProviderEventLink.id).where(ProviderEventLink.booking_id == booking_id)
    ).first():
        return 0  # recorded before: a repeated expansion of the same booking
    return _record_links(session, booking_id)


def record_meeting_changed(*, session: Session, booking_id: int, now: datetime) -> int:
    """Record, without committing, that the booking's events are replaced because the
    interview's online meeting changed (for example from a place to Teams, or from Meet to
    Zoom): each current event is marked replaced and queued for deletion (with its Zoom
    meeting), and new events are recorded as at booking time, with the meeting the
    interview has now (the organiser's provider makes it; Jitsi gets a new room). A
    provider cannot turn an event's Teams meeting off (Graph keeps it online once made) and
    the organiser's event may move to another calendar, so the events are made anew rather
    than changed. Returns how many new events were recorded."""
    current = session.exec(
        select(ProviderEventLink).where(
            ProviderEventLink.booking_id == booking_id,
            col(ProviderEventLink.replaced_at).is_(None),
        )
    ).all()
    for link in current:
        assert link.id is not None
        link.replaced_at = now
        link.updated_at = now
        session.add(link)
        if link.status in _REMOVABLE:
            _queue(session, account_id=link.account_id, link_id=link.id, action=DELETE)
    session.flush()
    return _record_links(session, booking_id)


def _record_links(session: Session, booking_id: int) -> int:
    row = session.exec(
        select(Interview.id, Interview.organiser_id, Interview.meeting_kind, Interview.account_id)
        .join(OfferedSlot, col(OfferedSlot.interview_id) == Interview.id)
        .join(Booking, col(Booking.slot_id) == OfferedSlot.id)
        .where(Booking.id == booking_id)
    ).first()
    if row is None:
        return 0
    interview_id, organiser_id, meeting_kind, account_id = row
    people = set(
        session.exec(
            select(InterviewParticipant.staff_user_id).where(
                InterviewParticipant.interview_id == interview_id
            )
        ).all()
    ) | {organiser_id}
    connections: dict[int, list[CalendarConnection]] = {}
    for connection in session.exec(
        select(CalendarConnection).where(
            col(CalendarConnection.staff_user_id).in_(people),
            col(CalendarConnection.status).in_(WRITABLE),
            col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
        )
    ).all():
        connections.setdefault(connection.staff_user_id, []).append(connection)
    if not connections:
        return 0
    # One Jitsi room per booking, put into every participant's event.
    jitsi = (
        jitsi_meeting(get_settings()).join_url if meeting_kind == MeetingKind.JITSI.value else None
    )
    recorded = 0
    for user_id in sorted(connections):
        preferred = MEETING_PROVIDER.get(meeting_kind) if user_id == organiser_id else None
        chosen = _calendar_connection(connections[user_id], preferred)
        assert chosen is not None and chosen.id is not None and interview_id is not None
        link = ProviderEventLink(
            account_id=account_id,
            interview_id=interview_id,
            booking_id=booking_id,
            staff_user_id=user_id,
            connection_id=chosen.id,
            provider=chosen.provider,
            event_key=new_event_key(),
            meeting_url=jitsi,
        )
        session.add(link)
        session.flush()
        assert link.id is not None
        _queue(session, account_id=account_id, link_id=link.id, action=CREATE)
        recorded += 1
    return recorded


MEETING_READY = "ready"
MEETING_PENDING = "pending"
MEETING_NONE = "none"


def meeting_link_state(*, session: Session, booking_id: int) -> tuple[str, str]:
    """Whether the booking's online meeting has its join link yet, as (state, url):
    ("ready", url) once it exists; ("pending", "") while the organiser's event, whose
    provider makes the Teams, Meet or Zoom meeting, is still to be written; ("none", "")
    when the interview has no online meeting or none will come (no organiser calendar,
    or its event was given up). Reads only the booking's current events."""
    kind = session.exec(
        select(Interview.meeting_kind, Interview.organiser_id)
        .join(OfferedSlot, col(OfferedSlot.interview_id) == Interview.id)
        .join(Booking, col(Booking.slot_id) == OfferedSlot.id)
        .where(Booking.id == booking_id)
    ).first()
    if kind is None or kind[0] == MeetingKind.NONE.value:
        return MEETING_NONE, ""
    links = session.exec(
        select(ProviderEventLink).where(
            ProviderEventLink.booking_id == booking_id,
            col(ProviderEventLink.replaced_at).is_(None),
        )
    ).all()
    organiser = next((link for link in links if link.staff_user_id == kind[1]), None)
    if organiser is not None and organiser.meeting_url:
        return MEETING_READY, organiser.meeting_url
    urls = sorted((link.id or 0, link.meeting_url) for link in links if link.meeting_url)
    if urls:
        return MEETING_READY, urls[0][1] or ""
    if organiser is not None and organiser.status == EventLinkStatus.PENDING.value:
        return MEETING_PENDING, ""
    return MEETING_NONE, ""


def record_booking_cancelled(*, session: Session, booking_id: int) -> int:
    """Record, without committing, that the booking's events are to be removed from every
    calendar they were (or are about to be) written to, with any Zoom meeting made for them
    (also for an event whose write failed). Returns how many events."""
    links = session.exec(
        select(ProviderEventLink).where(
            ProviderEventLink.booking_id == booking_id,
            col(ProviderEventLink.status).in_(_REMOVABLE),
        )
    ).all()
    for link in links:
        assert link.id is not None
        _queue(session, account_id=link.account_id, link_id=link.id, action=DELETE)
    return sum(1 for link in links if link.status != EventLinkStatus.FAILED.value)


def record_booking_updated(*, session: Session, booking_id: int, sequence: int) -> int:
    """Record, without committing, that the booking's events are to be rewritten with the
    interview as it is now (title, place, meeting link) in every calendar they were (or are
    about to be) written to; `sequence` is the interview's new ics_sequence, so that each
    change is its own row (a repeat of the same change is stored once). Returns how many."""
    links = session.exec(
        select(ProviderEventLink).where(
            ProviderEventLink.booking_id == booking_id,
            col(ProviderEventLink.replaced_at).is_(None),
            col(ProviderEventLink.status).in_(
                (EventLinkStatus.PENDING.value, EventLinkStatus.CREATED.value)
            ),
        )
    ).all()
    for link in links:
        assert link.id is not None
        _queue(
            session,
            account_id=link.account_id,
            link_id=link.id,
            action=UPDATE,
            key=f":{sequence}",
            sequence=sequence,
        )
    return len(links)


# --- carrying them out -------------------------------------------------------------------


def claim_due(
    *, session: Session, now: datetime, lease: timedelta, limit: int = BATCH_SIZE
) -> list[int]:
    """Claim due calendar rows for this worker (see outbox.claim_due_rows)."""
    return outbox.claim_due_rows(
        session=session, kind=CALENDAR_KIND, now=now, limit=limit, lease=lease
    )


@dataclass(frozen=True)
class CalendarWork:
    """One claimed row, with everything the provider call needs (no database needed then).
    `event` is None for a delete; `skip` says why nothing is to be done."""

    row_id: int
    link_id: int
    action: str
    attempts: int
    provider: str = ""
    connection_id: int | None = None
    server_url: str = ""
    calendar_id: str = ""
    time_zone: str = "UTC"
    owner_email: str | None = None
    credentials: Credentials | None = field(default=None, repr=False)
    event: EventRequest | None = None
    external_event_id: str | None = None
    etag: str | None = None
    zoom_connection_id: int | None = None
    zoom_credentials: Credentials | None = field(default=None, repr=False)
    zoom_meeting_id: str | None = None
    skip: str | None = None
    wait: bool = False
    unreadable: str | None = None


def _event_request(
    session: Session,
    link: ProviderEventLink,
    *,
    online_meeting: str | None,
    meeting_url: str | None,
) -> EventRequest | None:
    booking = session.get(Booking, link.booking_id)
    interview = session.get(Interview, link.interview_id)
    if booking is None or interview is None:
        return None
    slot = session.get(OfferedSlot, booking.slot_id)
    invitation = session.get(CandidateInvitation, booking.invitation_id)
    candidate = session.get(Candidate, invitation.candidate_id) if invitation else None
    location = session.get(Location, interview.location_id) if interview.location_id else None
    if slot is None:
        return None
    title = interview.title if candidate is None else f"{interview.title}: {candidate.name}"
    description = f"Interview booked through Planner.\nJoin: {meeting_url}" if meeting_url else ""
    return EventRequest(
        key=link.event_key,
        title=title[:250],
        start=slot.start_at,
        end=slot.start_at + timedelta(minutes=interview.duration_minutes),
        description=description or "Interview booked through Planner.",
        location=(f"{location.name}, {location.address}".strip(", ") if location else "")
        or (meeting_url or ""),
        online_meeting=online_meeting,
        meeting_url=meeting_url,
    )


def prepare(*, session: Session, row_id: int, settings: Settings) -> CalendarWork | None:
    """Read what a claimed row needs, in a short read-only transaction."""
    row = session.get(OutboxMessage, row_id, populate_existing=True)
    if row is None or row.done_at is not None:
        return None
    link_id = int(row.payload.get("link_id", 0))
    action = str(row.payload.get("action", ""))
    base = CalendarWork(row_id=row_id, link_id=link_id, action=action, attempts=row.attempts)
    link = session.get(ProviderEventLink, link_id, populate_existing=True)
    if link is None or action not in (CREATE, DELETE, UPDATE):
        return replace_work(base, skip="gave up: no such event link or action")
    connection = session.get(CalendarConnection, link.connection_id) if link.connection_id else None
    if connection is None or connection.status not in WRITABLE:
        return replace_work(base, skip="gave up: the calendar connection is no longer live")
    user = session.get(StaffUser, link.staff_user_id)
    try:
        credentials = decrypt_credentials(connection.encrypted_credentials, settings)
    except CredentialsUnreadable as exc:
        return replace_work(base, connection_id=connection.id, unreadable=exc.message)
    common = dict(
        provider=link.provider,
        connection_id=connection.id,
        server_url=connection.server_url,
        calendar_id=connection.calendar_id,
        time_zone=user.time_zone if user else "UTC",
        owner_email=(user.email or None) if user else None,
        credentials=credentials,
    )
    if action == DELETE:
        create_row = session.exec(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"calendar:create:{link_id}")
        ).first()
        if create_row is not None and create_row.done_at is None:
            return replace_work(base, wait=True)  # the create is still under way
        zoom_id = create_row.payload.get("zoom_meeting_id") if create_row else None
        written = link.status == EventLinkStatus.CREATED.value and link.external_event_id
        if not written and not zoom_id:
            return replace_work(base, skip="")  # never written: nothing to delete
        # A Zoom meeting made for an event that was then never written is deleted too.
        found = _zoom(session, link, settings) if zoom_id else (None, None)
        return replace_work(
            base,
            **common,
            external_event_id=link.external_event_id if written else None,
            etag=link.etag,
            zoom_meeting_id=str(zoom_id) if zoom_id else None,
            zoom_connection_id=found[0],
            zoom_credentials=found[1],
        )
    if action == UPDATE:
        create_row = session.exec(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"calendar:create:{link_id}")
        ).first()
        if create_row is not None and create_row.done_at is None:
            return replace_work(base, wait=True)  # the create is still under way
        if link.status != EventLinkStatus.CREATED.value or not link.external_event_id:
            return replace_work(base, skip="")  # never written, or removed: nothing to change
        if link.replaced_at is not None:
            return replace_work(base, skip="")  # replaced by a new event: its delete runs
        booking = session.get(Booking, link.booking_id)
        if booking is None or booking.status != BookingStatus.ACTIVE.value:
            return replace_work(base, skip="")  # cancelled: its delete removes the event
        event = _event_request(session, link, online_meeting=None, meeting_url=link.meeting_url)
        if event is None:
            return replace_work(base, skip="gave up: the booking is gone")
        # The organiser's Zoom meeting (made with their event) takes the new title too.
        zoom_id = create_row.payload.get("zoom_meeting_id") if create_row else None
        found = _zoom(session, link, settings) if zoom_id else (None, None)
        return replace_work(
            base,
            **common,
            event=event,
            external_event_id=link.external_event_id,
            etag=link.etag,
            zoom_meeting_id=str(zoom_id) if zoom_id else None,
            zoom_connection_id=found[0],
            zoom_credentials=found[1],
        )
    # create
    if link.status != EventLinkStatus.PENDING.value:
        return replace_work(base, skip="")  # written already (a duplicate run)
    if link.replaced_at is not None:
        return replace_work(base, skip="")  # replaced before it was written
    booking = session.get(Booking, link.booking_id)
    if booking is None or booking.status != BookingStatus.ACTIVE.value:
        return replace_work(base, skip="")  # cancelled before it was written
    interview = session.get(Interview, link.interview_id)
    assert interview is not None
    online_meeting = None
    meeting_url = link.meeting_url
    zoom: tuple[int | None, Credentials | None] = (None, None)
    is_organiser = link.staff_user_id == interview.organiser_id
    kind = interview.meeting_kind
    if kind in MEETING_PROVIDER and is_organiser and MEETING_PROVIDER[kind] == link.provider:
        online_meeting = kind
    elif kind == MeetingKind.ZOOM.value and is_organiser and not row.payload.get("zoom_meeting_id"):
        zoom = _zoom(session, link, settings)
    elif kind in (MeetingKind.TEAMS.value, MeetingKind.MEET.value, MeetingKind.ZOOM.value):
        organiser_link = session.exec(
            select(ProviderEventLink).where(
                ProviderEventLink.booking_id == link.booking_id,
                ProviderEventLink.staff_user_id == interview.organiser_id,
                col(ProviderEventLink.replaced_at).is_(None),
            )
        ).first()
        if organiser_link is not None and organiser_link.id != link.id:
            if organiser_link.status == EventLinkStatus.PENDING.value:
                return replace_work(base, wait=True)  # the organiser's link comes first
            meeting_url = organiser_link.meeting_url
    if kind == MeetingKind.ZOOM.value and is_organiser and row.payload.get("zoom_join_url"):
        meeting_url = str(row.payload["zoom_join_url"])
    event = _event_request(session, link, online_meeting=online_meeting, meeting_url=meeting_url)
    if event is None:
        return replace_work(base, skip="gave up: the booking is gone")
    return replace_work(
        base, **common, event=event, zoom_connection_id=zoom[0], zoom_credentials=zoom[1]
    )


def _zoom(
    session: Session, link: ProviderEventLink, settings: Settings
) -> tuple[int | None, Credentials | None]:
    connection = session.exec(
        select(CalendarConnection).where(
            CalendarConnection.staff_user_id == link.staff_user_id,
            CalendarConnection.provider == "zoom",
            CalendarConnection.status == ConnectionStatus.SYNCED.value,
        )
    ).first()
    if connection is None:
        return None, None
    try:
        return connection.id, decrypt_credentials(connection.encrypted_credentials, settings)
    except CredentialsUnreadable:
        return None, None


def replace_work(work: CalendarWork, **changes: object) -> CalendarWork:
    """A copy of `work` with `changes` (dataclasses.replace, typed loosely for kwargs)."""
    from dataclasses import replace

    return replace(work, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class WorkResult:
    """What carrying out one row came to."""

    work: CalendarWork
    external_event_id: str | None = None
    etag: str | None = None
    meeting_url: str | None = None
    zoom_meeting_id: str | None = None
    zoom_join_url: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    auth_expired_connection: int | None = None


def save_zoom_meeting(*, session: Session, row_id: int, meeting_id: str, join_url: str) -> None:
    """Keep a created Zoom meeting's id and join URL on the create row right away, so that a
    retried create reuses the meeting (Zoom has no idempotency key) and a delete finds it.
    The host-only start URL is never stored."""
    begin_write(session)
    row = session.get(OutboxMessage, row_id, populate_existing=True)
    if row is not None:
        row.payload = {**row.payload, "zoom_meeting_id": meeting_id, "zoom_join_url": join_url}
        session.add(row)
    session.commit()


def finish(
    *,
    session: Session,
    result: WorkResult,
    now: datetime,
    random: Callable[[], float] = _random.random,
) -> str:
    """Record the outcome of one row in one transaction; returns "done", "retry" or
    "given_up"."""
    work = result.work
    begin_write(session)
    row = session.get(OutboxMessage, work.row_id, populate_existing=True)
    if row is None or row.done_at is not None:
        session.rollback()
        return "done"
    link = session.get(ProviderEventLink, work.link_id, populate_existing=True)
    if work.wait:
        row.next_attempt_at = now + WAIT_FOR_ORGANISER
        row.attempts = max(0, row.attempts - 1)  # waiting is not a failed attempt
        session.commit()
        return "retry"
    outcome = "done"
    error: str | None = None
    if work.skip is not None:
        error = work.skip or None
        if link is not None and work.action == CREATE and link.status == "pending" and error:
            link.status = EventLinkStatus.FAILED.value
        if link is not None and work.action == DELETE and link.status == "pending":
            link.status = EventLinkStatus.DELETED.value
        if link is not None and work.action == CREATE and not error:
            booking = session.get(Booking, link.booking_id)
            gone = booking is None or booking.status != "active" or link.replaced_at is not None
            if link.status == "pending" and gone:
                link.status = EventLinkStatus.DELETED.value
        outcome = "given_up" if error else "done"
    elif result.error is not None:
        if result.auth_expired_connection is not None:
            _needs_reconnect(session, result.auth_expired_connection, result.error, now)
        if result.retryable and row.attempts < MAX_ATTEMPTS:
            delay = retry_delay(row.attempts, random=random)
            if result.retry_after:
                delay = max(delay, timedelta(seconds=result.retry_after))
            row.next_attempt_at = now + delay
            row.last_error = result.error[:2000]
            session.commit()
            log.info("calendar row %s failed (attempt %d): %s", row.id, row.attempts, result.error)
            return "retry"
        error = f"gave up: {result.error}"[:2000]
        if link is not None and work.action == CREATE:
            link.status = EventLinkStatus.FAILED.value
        outcome = "given_up"
        log.warning("calendar row %s given up: %s", row.id, result.error)
    elif link is not None:
        if work.action == CREATE:
            link.external_event_id = result.external_event_id
            link.etag = result.etag
            link.meeting_url = result.meeting_url or link.meeting_url
            link.status = EventLinkStatus.CREATED.value
        elif work.action == UPDATE:
            link.etag = result.etag or link.etag
        else:
            link.status = EventLinkStatus.DELETED.value
    if link is not None:
        link.updated_at = now
    row.done_at = now
    row.last_error = error
    session.commit()
    return outcome


def _needs_reconnect(session: Session, connection_id: int, error: str, now: datetime) -> None:
    connection = session.get(CalendarConnection, connection_id, populate_existing=True)
    if connection is None or connection.status == ConnectionStatus.RECONNECT_NEEDED.value:
        return
    if connection.status == ConnectionStatus.DISCONNECTED.value:
        return
    connection.status = ConnectionStatus.RECONNECT_NEEDED.value
    connection.last_error = error[:2000]
    connection.last_error_at = now
    connection.updated_at = now
    webhooks.record(
        session=session,
        account_id=connection.account_id,
        event="connection.error",
        data={
            "connection_id": connection.id,
            "staff_user_id": connection.staff_user_id,
            "provider": connection.provider,
            "status": ConnectionStatus.RECONNECT_NEEDED.value,
            "error": error[:500],
        },
    )


def expired_leases(*, session: Session, now: datetime, kinds: tuple[str, ...]) -> dict[str, int]:
    """How many unfinished rows of each kind were claimed before (attempts > 0) and are due
    again: their worker died or their retry time came. The sweeper enqueues their jobs."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = len(
            session.exec(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.kind == kind,
                    col(OutboxMessage.done_at).is_(None),
                    OutboxMessage.attempts > 0,
                    OutboxMessage.next_attempt_at <= now,
                )
                .limit(1000)
            ).all()
        )
    session.rollback()
    return counts
