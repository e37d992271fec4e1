"""The interview calendar: booked interviews and offered slots awaiting a candidate's
choice, by day, week or month, in the signed-in user's time zone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

import reflex as rx
from babel.dates import format_date

from planner.db import session_scope
from planner.i18n import translator
from planner.i18n.dates import format_date_span, format_time_range, format_weekday_date
from planner.models.base import utcnow
from planner.services import interviews, previous_calendar, scheduling, staff
from planner.services.actor import Actor
from planner.services.errors import PlannerError
from planner.state.guard import signed_in_actor
from planner.state.previous_entry import PreviousEntryState
from planner.state.session import sign_in_redirect

MODES = ("day", "week", "month")
MEETINGS = {"teams": "Microsoft Teams", "meet": "Google Meet", "zoom": "Zoom", "jitsi": "Jitsi"}


@dataclass(frozen=True)
class EntryView:
    key: int
    kind: str
    time: str
    title: str
    who: str


@dataclass(frozen=True)
class DayView:
    label: str
    agenda: list[EntryView]


@dataclass(frozen=True)
class SlotView:
    key: int
    label: str
    booked: bool


def _range(mode: str, anchor: date) -> tuple[date, date]:
    if mode == "day":
        return anchor, anchor + timedelta(days=1)
    if mode == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following
    monday = anchor - timedelta(days=anchor.weekday())
    return monday, monday + timedelta(days=7)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


class CalendarState(rx.State):
    """What the calendar shows; ids of interviews and slots stay on the server."""

    loaded: bool = False
    mode: str = "week"
    anchor: str = ""
    range_label: str = ""
    days: list[DayView] = []
    total: int = 0
    detail_open: bool = False
    detail_title: str = ""
    detail_kind: str = ""
    detail_when: str = ""
    detail_place: str = ""
    detail_people: str = ""
    detail_candidates: str = ""
    detail_slots: list[SlotView] = []
    message: str = ""
    _entry_refs: list[tuple[int, int]] = []
    _slot_ids: list[int] = []
    _detail_interview: int = 0

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        if not self.anchor:
            self.anchor = utcnow().astimezone(ZoneInfo(actor.time_zone)).date().isoformat()
        with session_scope() as session:
            if previous_calendar.uses_previous_calendar(session=session, actor=actor):
                return rx.redirect("/previous-calendar")  # the account's switch (spec 7)
        self._fill(actor)
        return None

    def _fill(self, actor: Actor) -> None:
        tr = translator(actor.locale)
        zone = ZoneInfo(actor.time_zone)
        first, last = _range(self.mode, date.fromisoformat(self.anchor))
        with session_scope() as session:
            found = interviews.calendar_entries(
                session=session,
                actor=actor,
                start=_midnight(first, zone),
                end=_midnight(last, zone),
            )
            # Appointments of the previous calendar show among the interviews (spec 7).
            previous = previous_calendar.calendar_entries(
                session=session,
                actor=actor,
                start=_midnight(first, zone),
                end=_midnight(last, zone),
            )
            found = sorted([*found, *previous], key=lambda entry: entry.start)
        self._entry_refs = [(e.interview_id, e.slot_id) for e in found]
        indexed = list(enumerate(found))
        self.days = [
            DayView(
                label=format_weekday_date(
                    group_list[0][1].start, locale=actor.locale, time_zone=actor.time_zone
                ),
                agenda=[
                    EntryView(
                        key=key,
                        kind=entry.kind,
                        time=format_time_range(
                            entry.start, entry.end, locale=actor.locale, time_zone=actor.time_zone
                        ),  # fmt: skip
                        title=entry.title,
                        who=", ".join(entry.candidates or entry.participants)
                        if entry.candidates or entry.kind == "previous"
                        else tr("Awaiting choice"),
                    )
                    for key, entry in group_list
                ],
            )
            for _day, group in groupby(
                indexed, key=lambda item: item[1].start.astimezone(zone).date()
            )
            for group_list in [list(group)]
        ]
        self.total = len(found)
        end_label = last - timedelta(days=1)
        self.range_label = (
            format_date(first, "full", locale=actor.locale)
            if self.mode == "day"
            else format_date(first, "LLLL y", locale=actor.locale)
            if self.mode == "month"
            else format_date_span(first, end_label, locale=actor.locale)
        )
        self.loaded = True

    async def _refill(self):  # type: ignore[no-untyped-def]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._fill(actor)
        return None

    @rx.event
    async def set_mode(self, mode: str | list[str]):
        if isinstance(mode, str) and mode in MODES:
            self.mode = mode
        return await self._refill()

    @rx.event
    async def move(self, steps: int):
        current = date.fromisoformat(self.anchor)
        if self.mode == "day":
            current += timedelta(days=steps)
        elif self.mode == "week":
            current += timedelta(weeks=steps)
        else:
            month = current.month - 1 + steps
            current = date(current.year + month // 12, month % 12 + 1, 1)
        self.anchor = current.isoformat()
        return await self._refill()

    @rx.event
    async def today(self):
        self.anchor = ""
        return await self.load()

    @rx.event
    async def open_entry(self, key: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if not 0 <= key < len(self._entry_refs):
            return None
        interview_id, slot_id = self._entry_refs[key]
        if interview_id == 0:  # an appointment of the previous calendar
            return PreviousEntryState.show(key)
        self._show_detail(actor, interview_id, slot_id)
        self.detail_open = True
        return None

    def _show_detail(self, actor: Actor, interview_id: int, slot_id: int | None) -> None:
        with session_scope() as session:
            detail = scheduling.get_interview_detail(
                session=session, actor=actor, interview_id=interview_id
            )
            names = {
                row.id: row.name
                for row in staff.list_staff(session=session, actor=actor)
                if row.id in detail.participant_ids
            }
        slot = next((s for s in detail.slots if s.id == slot_id), None)
        tz = actor.time_zone
        self._detail_interview = interview_id
        self.detail_title = detail.title
        self.detail_kind = "booked" if slot is not None and slot.booked else "offered"
        self.detail_when = (
            f"{format_weekday_date(slot.start_at, locale=actor.locale, time_zone=tz)}, "
            f"{format_time_range(slot.start_at, slot.end_at, locale=actor.locale, time_zone=tz)}"
            if slot is not None
            else ""
        )
        self.detail_place = ", ".join(
            p for p in (detail.location_name, detail.location_address) if p
        ) or MEETINGS.get(detail.meeting_kind.value, "")
        self.detail_people = ", ".join(names[i] for i in detail.participant_ids if i in names)
        self.detail_candidates = ", ".join(
            inv.candidate_name for inv in detail.invitations if inv.booked_slot_id == slot_id
        ) if slot_id is not None else ""  # fmt: skip
        open_slots = [s for s in detail.slots if s.status == "offered"]
        self._slot_ids = [s.id for s in open_slots]
        self.detail_slots = [
            SlotView(
                key=index,
                label=f"{format_weekday_date(s.start_at, locale=actor.locale, time_zone=tz)}, "
                f"{format_time_range(s.start_at, s.end_at, locale=actor.locale, time_zone=tz)}",
                booked=s.booked > 0,
            )
            for index, s in enumerate(open_slots)
        ]
        self.message = ""

    @rx.event
    def close_detail(self):
        self.detail_open = False

    @rx.event
    async def remove_slot(self, key: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if not 0 <= key < len(self._slot_ids):
            return None
        try:
            with session_scope() as session:
                cancelled = scheduling.remove_slot(
                    session=session, actor=actor, slot_id=self._slot_ids[key], now=utcnow()
                )
        except PlannerError as exc:
            self.message = exc.message
            return None
        self._show_detail(actor, self._detail_interview, None)
        tr = translator(actor.locale)
        self.message = (
            tr("Time removed. The candidate who had booked it has been told.")
            if cancelled
            else tr("Time removed.")
        )
        self._fill(actor)
        return None
