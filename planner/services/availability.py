"""Suggested interview times and free/busy grids from what the database knows: working
hours, cached busy times of synced calendars, and interviews already booked."""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from planner.domain.availability import (
    BusyPeriod,
    ParticipantFreeBusy,
    SchedulingParticipant,
    SlotRequest,
    WorkingSchedule,
    find_suggestions,
    free_busy_grid,
)
from planner.domain.intervals import SchedulingInputError, TimeInterval
from planner.domain.sync_status import CALENDAR_PROVIDERS, sync_status
from planner.domain.vocabulary import BookingStatus, ConnectionStatus, SlotStatus
from planner.models import (
    AvailabilityOverride,
    Booking,
    BusyInterval,
    CalendarConnection,
    InterviewParticipant,
    OfferedSlot,
    StaffUser,
    SyncInvitation,
    UnknownInterval,
    WorkingHours,
)
from planner.services.actor import Actor
from planner.services.calendar_sync import busy_known_until
from planner.services.errors import InvalidInput
from planner.settings import get_settings

MAX_PARTICIPANTS = 50


@dataclass(frozen=True)
class Suggestion:
    """A suggested time, naming who is unknown or only tentatively free then."""

    start: datetime
    end: datetime
    unknown: list[str]
    tentative: list[str]


def _participants(
    session: Session, actor: Actor, user_ids: list[int], window: TimeInterval
) -> tuple[list[SchedulingParticipant], dict[int, str]]:
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        raise InvalidInput("participant_ids", "choose at least one participant")
    if len(wanted) > MAX_PARTICIPANTS:
        raise InvalidInput("participant_ids", "at most {limit}", limit=MAX_PARTICIPANTS)
    users = {
        u.id: u
        for u in session.exec(
            select(StaffUser).where(
                col(StaffUser.id).in_(wanted), StaffUser.account_id == actor.account_id
            )
        ).all()
    }
    if len(users) != len(wanted):
        raise InvalidInput("participant_ids", "unknown staff user in this account")

    weekly: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for row in session.exec(
        select(WorkingHours).where(col(WorkingHours.staff_user_id).in_(wanted))
    ).all():
        weekly[row.staff_user_id].append((row.weekday, row.start_minute, row.end_minute))
    overrides: dict[int, list[tuple[str, int | None, int | None]]] = defaultdict(list)
    for o in session.exec(
        select(AvailabilityOverride).where(col(AvailabilityOverride.staff_user_id).in_(wanted))
    ).all():
        overrides[o.staff_user_id].append((o.on_date, o.start_minute, o.end_minute))

    connections = session.exec(
        select(CalendarConnection).where(
            col(CalendarConnection.staff_user_id).in_(wanted),
            col(CalendarConnection.provider).in_(CALENDAR_PROVIDERS),
        )
    ).all()
    by_user: dict[int, list[CalendarConnection]] = defaultdict(list)
    for connection in connections:
        by_user[connection.staff_user_id].append(connection)
    invited = set(
        session.exec(
            select(SyncInvitation.staff_user_id).where(
                col(SyncInvitation.staff_user_id).in_(wanted)
            )
        ).all()
    )
    live = {c.id: c.staff_user_id for c in connections if c.status == ConnectionStatus.SYNCED}
    busy: dict[int, list[BusyPeriod]] = defaultdict(list)
    if live:
        for row in session.exec(
            select(BusyInterval).where(
                col(BusyInterval.connection_id).in_(list(live)),
                BusyInterval.start_at < window.end,
                BusyInterval.end_at > window.start,
            )
        ).all():
            busy[live[row.connection_id]].append(
                BusyPeriod(row.start_at, row.end_at, tentative=row.tentative)
            )
    # Times whose calendar data could not be read: unknown, never free.
    unknown: dict[int, list[TimeInterval]] = defaultdict(list)
    if live:
        for connection_id, start, end in session.exec(
            select(
                UnknownInterval.connection_id, UnknownInterval.start_at, UnknownInterval.end_at
            ).where(
                col(UnknownInterval.connection_id).in_(list(live)),
                UnknownInterval.start_at < window.end,
                UnknownInterval.end_at > window.start,
            )
        ).all():
            unknown[live[connection_id]].append(TimeInterval(start, end))
    booked: dict[int, list[TimeInterval]] = defaultdict(list)
    for user_id, start, end in session.exec(
        select(InterviewParticipant.staff_user_id, OfferedSlot.start_at, OfferedSlot.end_at)
        .join(OfferedSlot, col(OfferedSlot.interview_id) == InterviewParticipant.interview_id)
        .join(Booking, col(Booking.slot_id) == OfferedSlot.id)
        .where(
            col(InterviewParticipant.staff_user_id).in_(wanted),
            Booking.status == BookingStatus.ACTIVE.value,
            OfferedSlot.status == SlotStatus.OFFERED.value,
            OfferedSlot.start_at < window.end,
            OfferedSlot.end_at > window.start,
        )
        .distinct()
    ).all():
        booked[user_id].append(TimeInterval(start, end))

    window_days = get_settings().sync_window_days
    participants = []
    for user_id in wanted:
        user = users[user_id]
        own = by_user.get(user_id, [])
        synced_at = [
            c.last_synced_at
            for c in own
            if c.status == ConnectionStatus.SYNCED and c.last_synced_at
        ]
        known_until = [
            busy_known_until(c, window_days=window_days)
            for c in own
            if c.status == ConnectionStatus.SYNCED
        ]
        schedule = (
            WorkingSchedule.from_rows(user.time_zone, weekly[user_id], overrides[user_id])
            if weekly.get(user_id)
            else WorkingSchedule.office_week(user.time_zone)
        )
        participants.append(
            SchedulingParticipant(
                user_id,
                schedule,
                sync_status=sync_status(
                    [(c.provider, c.status) for c in own], invited=user_id in invited
                ),
                # Several calendars: availability is as fresh as the stalest of them.
                busy_synced_at=min(synced_at) if synced_at else None,
                # Busy times are complete only up to the end of the last full listing.
                busy_known_until=min((k for k in known_until if k), default=None),
                busy=tuple(busy[user_id]),
                interviews=tuple(booked[user_id]),
                unknown=tuple(unknown[user_id]),
            )
        )
    return participants, {uid: users[uid].name for uid in wanted}


def suggest_times(
    *,
    session: Session,
    actor: Actor,
    participant_ids: list[int],
    duration_minutes: int,
    now: datetime,
    horizon_days: int = 14,
    granularity_minutes: int = 15,
    buffer_minutes: int = 0,
    minimum_notice_hours: int = 0,
    limit: int = 20,
) -> list[Suggestion]:
    """Ranked times when the participants can meet; participants whose calendar is not
    synced (or stale, or failing) are named on every suggestion instead of assumed free,
    and those whose calendar data could not be read for a slot's time are named on that
    slot (`Suggestion.unknown`)."""
    try:
        request = SlotRequest(
            duration=timedelta(minutes=duration_minutes),
            granularity=timedelta(minutes=granularity_minutes),
            buffer_before=timedelta(minutes=buffer_minutes),
            buffer_after=timedelta(minutes=buffer_minutes),
            minimum_notice=timedelta(hours=minimum_notice_hours),
            horizon=timedelta(days=horizon_days),
            limit=limit,
            align_time_zone=actor.time_zone,
        )
        window = TimeInterval(now, now + request.horizon)
        participants, names = _participants(session, actor, participant_ids, window)
        found = find_suggestions(participants, request, now=now)
    except SchedulingInputError as exc:
        raise InvalidInput(exc.field, exc.message) from None
    return [
        Suggestion(
            start=s.start,
            end=s.end,
            unknown=[names[i] for i in s.unknown_participants],
            tentative=[names[i] for i in s.tentative_participants],
        )
        for s in found
    ]


def free_busy(
    *, session: Session, actor: Actor, participant_ids: list[int], start: datetime, days: int,
    now: datetime,
) -> list[ParticipantFreeBusy]:  # fmt: skip
    """Per participant, busy/free/tentative/unknown/outside-hours segments for a day or week
    grid. Busy times only: never event titles."""
    if not 1 <= days <= 31:
        raise InvalidInput("days", "must be between 1 and 31")
    try:
        window = TimeInterval(start, start + timedelta(days=days))
        participants, _names = _participants(session, actor, participant_ids, window)
        return list(free_busy_grid(participants, window, now=now))
    except SchedulingInputError as exc:
        raise InvalidInput(exc.field, exc.message) from None


# --- the invite wizard (branch wizard): held times, suggestions and grid in one answer ---


def held_times(
    *, session: Session, actor: Actor, participant_ids: list[int], window: TimeInterval
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Per participant id, the times (UTC start, end) offered to candidates in the account's
    open interviews they take part in and not booked yet: held for those interviews, so the
    wizard does not offer the same person the same time twice. Booked times are not here:
    they are busy already."""
    from planner.domain.vocabulary import InterviewStatus
    from planner.models import Interview

    booked = select(Booking.slot_id).where(Booking.status == BookingStatus.ACTIVE.value)
    held: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for user_id, start, end in session.exec(
        select(InterviewParticipant.staff_user_id, OfferedSlot.start_at, OfferedSlot.end_at)
        .join(OfferedSlot, col(OfferedSlot.interview_id) == InterviewParticipant.interview_id)
        .join(Interview, col(Interview.id) == OfferedSlot.interview_id)
        .where(
            col(InterviewParticipant.staff_user_id).in_(participant_ids),
            InterviewParticipant.account_id == actor.account_id,
            Interview.status == InterviewStatus.OPEN.value,
            OfferedSlot.status == SlotStatus.OFFERED.value,
            col(OfferedSlot.id).not_in(booked),
            OfferedSlot.start_at < window.end,
            OfferedSlot.end_at > window.start,
        )
        .distinct()
        .order_by(col(OfferedSlot.start_at))
    ).all():
        held[user_id].append((start, end))
    return dict(held)


def booked_times(
    *, session: Session, actor: Actor, participant_ids: list[int], window: TimeInterval
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Per participant id, the times (UTC start, end) of interviews booked in Planner for
    them in the window (what the grid marks as booked, beside their calendar's busy time)."""
    booked: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for user_id, start, end in session.exec(
        select(InterviewParticipant.staff_user_id, OfferedSlot.start_at, OfferedSlot.end_at)
        .join(OfferedSlot, col(OfferedSlot.interview_id) == InterviewParticipant.interview_id)
        .join(Booking, col(Booking.slot_id) == OfferedSlot.id)
        .where(
            col(InterviewParticipant.staff_user_id).in_(participant_ids),
            InterviewParticipant.account_id == actor.account_id,
            Booking.status == BookingStatus.ACTIVE.value,
            OfferedSlot.status == SlotStatus.OFFERED.value,
            OfferedSlot.start_at < window.end,
            OfferedSlot.end_at > window.start,
        )
        .distinct()
        .order_by(col(OfferedSlot.start_at))
    ).all():
        booked[user_id].append((start, end))
    return dict(booked)


@dataclass(frozen=True)
class WizardAvailability:
    """What the wizard shows for a participant set: ranked suggestions, each participant's
    grid row over the shown window, times held by other open interviews and booked in
    Planner (per participant id, UTC start and end), and names."""

    suggestions: list[Suggestion]
    rows: list[ParticipantFreeBusy]
    held: dict[int, list[tuple[datetime, datetime]]]
    booked: dict[int, list[tuple[datetime, datetime]]]
    names: dict[int, str]


def wizard_availability(
    *,
    session: Session,
    actor: Actor,
    participant_ids: list[int],
    duration_minutes: int,
    buffer_minutes: int,
    first_day: datetime,
    days: int,
    grid_start: datetime,
    grid_days: int,
    now: datetime,
    minimum_notice_hours: int = 12,
    limit: int = 20,
) -> WizardAvailability:
    """Suggestions between `first_day` and `first_day + days` (UTC instants; at most 31 days)
    and the grid rows for `grid_start` + `grid_days`, read in one pass.

    Times offered to the participants in other open interviews count as held: they are kept
    clear like busy time (with the buffers), so they are not suggested again; a recruiter can
    still offer one by hand after the warning. Raises InvalidInput for a bad participant set,
    duration, buffer or range."""
    if not 1 <= days <= 31:
        raise InvalidInput("days", "must be between 1 and 31")
    if not 1 <= grid_days <= 31:
        raise InvalidInput("grid_days", "must be between 1 and 31")
    if not 0 <= buffer_minutes <= 120:
        raise InvalidInput("buffer_minutes", "must be between 0 and 120")
    search = TimeInterval(first_day, first_day + timedelta(days=days))
    grid = TimeInterval(grid_start, grid_start + timedelta(days=grid_days))
    window = TimeInterval(min(search.start, grid.start, now), max(search.end, grid.end))
    try:
        request = SlotRequest(
            duration=timedelta(minutes=duration_minutes),
            granularity=timedelta(minutes=15),
            buffer_before=timedelta(minutes=buffer_minutes),
            buffer_after=timedelta(minutes=buffer_minutes),
            minimum_notice=timedelta(hours=minimum_notice_hours),
            horizon=max(search.end - now, timedelta(minutes=1)),
            search_window=search,
            limit=limit,
            align_time_zone=actor.time_zone,
        )
        participants, names = _participants(session, actor, participant_ids, window)
        held = held_times(session=session, actor=actor, participant_ids=list(names), window=window)
        with_held = [
            replace(
                p,
                interviews=p.interviews
                + tuple(TimeInterval(s, e) for s, e in held.get(p.participant_id, ())),
            )
            for p in participants
        ]
        found = find_suggestions(with_held, request, now=now) if search.end > now else ()
        rows = list(free_busy_grid(participants, grid, now=now))
        booked = booked_times(
            session=session, actor=actor, participant_ids=list(names), window=grid
        )
    except SchedulingInputError as exc:
        raise InvalidInput(exc.field, exc.message) from None
    return WizardAvailability(
        suggestions=[
            Suggestion(
                start=s.start,
                end=s.end,
                unknown=[names[i] for i in s.unknown_participants],
                tentative=[names[i] for i in s.tentative_participants],
            )
            for s in found
        ],
        rows=rows,
        held=held,
        booked=booked,
        names=names,
    )
