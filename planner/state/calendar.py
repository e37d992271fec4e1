"""The interview calendar: booked interviews and offered slots awaiting a candidate's choice,
as a day, week or month grid or as an agenda list, in the signed-in user's time zone, filtered
to all, my or one job's interviews; an interview's details and the staff actions on it."""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from babel.dates import format_date

from planner import routes
from planner.components.calendar import overview_event
from planner.db import session_scope
from planner.i18n import translator
from planner.i18n.catalogues import Translator
from planner.i18n.dates import (
    format_date_span,
    format_time_range,
    format_weekday_date,
    zone_city,
    zone_generic_name,
)
from planner.models.base import utcnow
from planner.services import candidates, interview_overview, interviews, previous_calendar
from planner.services.actor import Actor
from planner.services.interviews import CalendarEntry
from planner.state.calendar_actions import CalendarDetailState, read_detail
from planner.state.guard import signed_in_actor
from planner.state.live import needs_watch, watch_activity
from planner.state.previous_entry import PreviousEntryState
from planner.state.session import sign_in_redirect

MODES = ("day", "week", "month")
GRID_VIEWS = {"day": "timeGridDay", "week": "timeGridWeek", "month": "dayGridMonth"}
VIEWS = ("calendar", "list")
# Below this width (CSS px) the page opens as the list: a week grid does not fit a phone.
NARROW = 700
# The interview dialog's title (planner/pages/calendar.py marks it so).
FOCUS_DIALOG_HEADING = (
    "setTimeout(() => document.querySelector('[data-interview-title]')?.focus(), 200)"
)
# The page remembers the last element focused outside a dialog (the list row or grid event
# that opens one): closing the dialog gives it the focus back (calendar_actions.RETURN_FOCUS).
# Nothing is remembered while a dialog is open: the options of its Place select are drawn
# outside it (a portal), and choosing one made the dialog "return" the focus to that option.
REMEMBER_OPENER = (
    "if (!window.plannerOpenerWatch) { window.plannerOpenerWatch = true;"
    " document.addEventListener('focusin', (e) => {"
    " if (e.target instanceof HTMLElement && e.target !== document.body"
    " && !document.querySelector('[role=dialog], [role=alertdialog]'))"
    " window.plannerDialogOpener = e.target; }); }"
)


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
class JobOption:
    key: str
    title: str


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


@dataclass(frozen=True)
class Filled:
    """What one fill of the calendar found, ready to be put into the state."""

    refs: list[tuple[int, int]]
    days: list[DayView]
    events: list[dict[str, Any]]
    total: int
    range_label: str
    marker: int


def _who(tr: Translator, entry: CalendarEntry) -> str:
    if entry.candidates or entry.kind == "previous":
        return ", ".join(entry.candidates or entry.participants)
    return tr("Awaiting choice")


def _fill(actor: Actor, view: str, mode: str, anchor: str, show: str, job_id: int | None) -> Filled:
    """Reads the entries of the shown range and makes the grid's events or the list's days,
    whichever `view` shows (blocking DB work: run it in a thread)."""
    tr = translator(actor.locale)
    lang, tz = actor.locale, actor.time_zone
    zone = ZoneInfo(tz)
    first, last = _range(mode, date.fromisoformat(anchor))
    start, end = _midnight(first, zone), _midnight(last, zone)
    with session_scope() as session:
        marker = interview_overview.activity_marker(session=session, actor=actor)
        found = interviews.calendar_entries(
            session=session,
            actor=actor,
            start=start,
            end=end,
            mine=show == "mine",
            job_id=job_id if show.startswith("job-") else None,
        )
        if show == "all":
            # Appointments of the previous calendar show among the interviews (spec 7).
            previous = previous_calendar.calendar_entries(
                session=session, actor=actor, start=start, end=end
            )
            found = sorted([*found, *previous], key=lambda entry: entry.start)
    indexed = list(enumerate(found))
    days = (
        []
        if view != "list"
        else [
            DayView(
                label=format_weekday_date(group_list[0][1].start, locale=lang, time_zone=tz),
                agenda=[
                    EntryView(
                        key=key,
                        kind=entry.kind,
                        time=format_time_range(entry.start, entry.end, locale=lang, time_zone=tz),
                        title=entry.title,
                        who=_who(tr, entry),
                    )
                    for key, entry in group_list
                ],
            )
            for _day, group in groupby(
                indexed, key=lambda item: item[1].start.astimezone(zone).date()
            )
            for group_list in [list(group)]
        ]
    )
    events = (
        []
        if view != "calendar"
        else [
            overview_event(
                event_id=f"e-{key}",
                title=f"{entry.title} · {_who(tr, entry)}",
                start=entry.start.isoformat(),
                end=entry.end.isoformat(),
                kind=entry.kind,
            )
            for key, entry in indexed
        ]
    )
    end_label = last - timedelta(days=1)
    range_label = (
        format_date(first, "full", locale=lang)
        if mode == "day"
        else format_date(first, "LLLL y", locale=lang)
        if mode == "month"
        else format_date_span(first, end_label, locale=lang)
    )
    return Filled(
        refs=[(e.interview_id, e.slot_id) for e in found],
        days=days,
        events=events,
        total=len(found),
        range_label=range_label,
        marker=marker,
    )


class CalendarState(rx.State):
    """What the calendar shows; ids of interviews, slots, jobs and candidates stay on the
    server (views carry positions as keys)."""

    loaded: bool = False
    view: str = "calendar"
    mode: str = "week"
    anchor: str = ""
    range_label: str = ""
    zone_label: str = ""
    grid_zone: str = "UTC"
    show: str = "all"
    jobs: list[JobOption] = []
    days: list[DayView] = []
    events: list[dict[str, Any]] = []
    total: int = 0
    _entry_refs: list[tuple[int, int]] = []
    _job_ids: list[int] = []
    _view_chosen: bool = False
    _measured: bool = False
    # The live loop (planner/state/live.py).
    _watching: bool = False
    _watch_beat: float = 0.0
    _watch_run: int = 0
    _marker: int = 0

    @rx.var
    def grid_key(self) -> str:
        """Remounts the grid when the range or the view changes (FullCalendar takes its
        first date and view only when it starts)."""
        return f"{self.mode}-{self.anchor}"

    @rx.var
    def grid_view(self) -> str:
        return GRID_VIEWS.get(self.mode, "timeGridWeek")

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        with session_scope() as session:
            if previous_calendar.uses_previous_calendar(session=session, actor=actor):
                return rx.redirect("/previous-calendar")  # the account's switch (spec 7)
            job_rows = candidates.list_jobs(session=session, actor=actor)
        # Coming back to the calendar never reopens a dialog left open before.
        detail = await self.get_state(CalendarDetailState)
        detail.reset_dialogs()
        previous = await self.get_state(PreviousEntryState)
        previous.open = previous.confirming = False
        self._job_ids = [job_id for job_id, _title in job_rows]
        self.jobs = [
            JobOption(key=f"job-{i}", title=title) for i, (_id, title) in enumerate(job_rows)
        ]
        if self.show.startswith("job-") and not self._job_index_valid():
            self.show = "all"
        # A link may name the day and the range shown (/calendar?date=2026-12-01&range=day).
        params = self.router.url.query_parameters
        wanted = params.get("date", "")
        try:
            self.anchor = date.fromisoformat(wanted).isoformat() if wanted else self.anchor
        except ValueError:
            pass
        if params.get("range", "") in MODES:
            self.mode = params["range"]
        if not self.anchor:
            self.anchor = utcnow().astimezone(ZoneInfo(actor.time_zone)).date().isoformat()
        self.grid_zone = actor.time_zone
        self.zone_label = translator(actor.locale)(
            "Times are shown in {zone}.",
            zone=f"{zone_generic_name(actor.time_zone, locale=actor.locale)} "
            f"({zone_city(actor.time_zone, locale=actor.locale)})",
        )
        events: list[Any] = [rx.call_script(REMEMBER_OPENER)]
        if self._measured:
            await self._refill(actor)
        else:
            # The first time in this tab: grid or list by the screen's width, then the fill.
            self.loaded = False
            events.append(rx.call_script("window.innerWidth", callback=CalendarState.set_width))
        if needs_watch(self):
            events.append(CalendarState.watch)
        return events

    def _job_index_valid(self) -> bool:
        index = self.show.removeprefix("job-")
        return index.isdigit() and int(index) < len(self._job_ids)

    def _job_id(self) -> int | None:
        return (
            self._job_ids[int(self.show.removeprefix("job-"))] if self._job_index_valid() else None
        )

    async def _refill(self, actor: Actor) -> None:
        filled = await asyncio.to_thread(
            _fill, actor, self.view, self.mode, self.anchor, self.show, self._job_id()
        )
        self._apply(filled)

    def _apply(self, filled: Filled) -> None:
        self._entry_refs = filled.refs
        self.days = filled.days
        self.events = filled.events
        self.total = filled.total
        self.range_label = filled.range_label
        self._marker = filled.marker
        self.loaded = True

    @rx.event
    async def set_width(self, width: int | float | str):
        """Phones open on the list; wider screens on the grid (until the user chooses)."""
        try:
            narrow = float(width) < NARROW
        except (TypeError, ValueError):
            narrow = False
        self._measured = True
        if not self._view_chosen:
            self.view = "list" if narrow else "calendar"
        return await self._actor_refill()

    @rx.event
    async def set_view(self, view: str | list[str]):
        if not isinstance(view, str) or view not in VIEWS:
            return None
        self._view_chosen = True
        if view == self.view:
            return None
        self.view = view
        return await self._actor_refill()

    async def _actor_refill(self):  # type: ignore[no-untyped-def]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        await self._refill(actor)
        return None

    @rx.event
    async def set_mode(self, mode: str | list[str]):
        if isinstance(mode, str) and mode in MODES:
            self.mode = mode
        return await self._actor_refill()

    @rx.event
    async def set_show(self, show: str):
        self.show = show if show in ("all", "mine") else show if show.startswith("job-") else "all"
        if self.show.startswith("job-") and not self._job_index_valid():
            self.show = "all"
        return await self._actor_refill()

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
        return await self._actor_refill()

    @rx.event
    async def today(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.anchor = utcnow().astimezone(ZoneInfo(actor.time_zone)).date().isoformat()
        await self._refill(actor)
        return None

    @rx.event
    async def grid_clicked(self, event_id: str):
        """A click on a grid entry ("e-<key>")."""
        kind, _, key = str(event_id).partition("-")
        if kind != "e" or not key.isdigit():
            return None
        return await self.open_entry(int(key))

    @rx.event
    async def grid_date_clicked(self, clicked: str, all_day: bool):
        """A click on an empty time of the grid: a new time while picking for an interview."""
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        detail = await self.get_state(CalendarDetailState)
        if detail.picking and not all_day:
            await detail.pick(actor, str(clicked))
        return None

    async def show_grid(self, actor: Actor) -> None:
        """Switch to the grid (for picking times on it)."""
        if self.view != "calendar":
            self.view = "calendar"
            await self._refill(actor)

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
        detail = await self.get_state(CalendarDetailState)
        await detail.open_interview(actor, interview_id, slot_id)
        return rx.call_script(FOCUS_DIALOG_HEADING)

    @rx.event(background=True)
    async def watch(self):
        """Shows bookings, cancellations, comments and other staff's actions without a
        reload while the calendar is open (the grid, the list and an open dialog)."""
        await watch_activity(
            self, on_page=lambda path: path.rstrip("/") in ("", routes.CALENDAR), refresh=self._live
        )

    async def _live(self, actor: Actor) -> None:
        async with self:
            params = (self.view, self.mode, self.anchor, self.show, self._job_id())
        filled = await asyncio.to_thread(_fill, actor, *params)
        async with self:
            if (self.view, self.mode, self.anchor, self.show, self._job_id()) == params:
                self._apply(filled)
            detail = await self.get_state(CalendarDetailState)
            interview_id = detail._interview_id if detail.detail_open else 0
        if not interview_id:
            return
        data = await asyncio.to_thread(read_detail, actor, interview_id)
        async with self:
            detail = await self.get_state(CalendarDetailState)
            if detail.detail_open and detail._interview_id == interview_id:
                detail.show_detail(actor, data)

    async def after_action(self, actor: Actor) -> None:
        """Refill after an action of a dialog (an interview's, a previous appointment's)."""
        await self._refill(actor)
