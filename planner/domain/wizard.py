"""What the invite wizard shows about times: suggestions in day and time order, candidates'
local hours, and who a hand-picked time collides with (pure)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from planner.domain.availability import FreeBusyState, ParticipantFreeBusy
from planner.domain.intervals import SchedulingInputError, aware_utc

# A candidate is not offered a time that starts before 07:00 or ends after 21:00 their time
# without the recruiter seeing it marked.
CANDIDATE_DAY_START = time(7, 0)
CANDIDATE_DAY_END = time(21, 0)


def days_in_order(starts: Sequence[datetime], time_zone: str) -> list[tuple[date, list[int]]]:
    """The positions of ranked suggestion `starts` (UTC) grouped by their local day in
    `time_zone` (the recruiter's), days in order and each day's positions in time order.
    Which times are shown is the slot finder's ranking; only their order changes."""
    zone = ZoneInfo(time_zone)
    grouped: dict[date, list[int]] = {}
    for index in sorted(range(len(starts)), key=lambda i: aware_utc(starts[i], "start")):
        grouped.setdefault(starts[index].astimezone(zone).date(), []).append(index)
    return sorted(grouped.items())


@dataclass(frozen=True, slots=True)
class LocalHours:
    """A time as a candidate sees it: whether their zone differs from the recruiter's, and
    whether it falls outside 07:00-21:00 there."""

    time_zone: str
    start: datetime
    end: datetime
    differs: bool
    unsociable: bool


def candidate_hours(
    start: datetime, end: datetime, *, candidate_zone: str, recruiter_zone: str
) -> LocalHours:
    """`start`-`end` (aware) in the candidate's zone; `differs` when the wall clock there is
    not the recruiter's; `unsociable` when it starts before 07:00 or ends after 21:00 (or on
    another day) for the candidate."""
    start = aware_utc(start, "start")
    end = aware_utc(end, "end")
    if end <= start:
        raise SchedulingInputError("end", "must be after start")
    zone, own = ZoneInfo(candidate_zone), ZoneInfo(recruiter_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    differs = local_start.utcoffset() != start.astimezone(own).utcoffset()
    day_end = local_start.replace(
        hour=CANDIDATE_DAY_END.hour, minute=CANDIDATE_DAY_END.minute, second=0, microsecond=0
    )
    unsociable = local_start.time() < CANDIDATE_DAY_START or local_end > day_end
    return LocalHours(candidate_zone, local_start, local_end, differs, unsociable)


@dataclass(frozen=True, slots=True)
class Collision:
    """Who a hand-picked time collides with, by participant id: hard busy, tentative,
    availability unknown, outside working hours, or already offered in another open
    interview (held)."""

    busy: tuple[int, ...] = ()
    tentative: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()
    outside_hours: tuple[int, ...] = ()
    held: tuple[int, ...] = ()

    @property
    def clear(self) -> bool:
        """Whether nobody is busy, tentative, unknown, away or held then."""
        return not (self.busy or self.tentative or self.unknown or self.outside_hours or self.held)


def collision(
    rows: Iterable[ParticipantFreeBusy],
    start: datetime,
    end: datetime,
    *,
    held: dict[int, Sequence[tuple[datetime, datetime]]] | None = None,
) -> Collision:
    """What each participant's grid row says about [start, end): a participant is named under
    every state other than free that overlaps it (unknown is never free). `held` maps a
    participant to times offered to them in other open interviews."""
    start = aware_utc(start, "start")
    end = aware_utc(end, "end")
    if end <= start:
        raise SchedulingInputError("end", "must be after start")
    found: dict[FreeBusyState, list[int]] = {state: [] for state in FreeBusyState}
    held_ids: list[int] = []
    for row in rows:
        states = {s.state for s in row.segments if s.start < end and s.end > start}
        for state in states:
            found[state].append(row.participant_id)
        if held and any(s < end and e > start for s, e in held.get(row.participant_id, ())):
            held_ids.append(row.participant_id)
    return Collision(
        busy=tuple(found[FreeBusyState.BUSY]),
        tentative=tuple(found[FreeBusyState.TENTATIVE]),
        unknown=tuple(found[FreeBusyState.UNKNOWN]),
        outside_hours=tuple(found[FreeBusyState.OUTSIDE_WORKING_HOURS]),
        held=tuple(held_ids),
    )
