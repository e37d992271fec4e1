"""The invite wizard: candidates and job, interview, times, place, invitation, review and send.

Every value lives here between steps (Back/Next keep them); ids stay in backend vars and
every rule is checked again by the services. Suggestions and the availability grid follow
the form: each change schedules one recomputation a moment later, and only the latest runs."""

import asyncio
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from planner import routes
from planner.components.calendar import calendar_event
from planner.db import session_scope
from planner.domain.availability import FreeBusyState
from planner.domain.intervals import TimeInterval
from planner.domain.mail import render_text
from planner.domain.mail_content import Reader, interview_invitation
from planner.domain.meetings import available_meeting_kinds
from planner.domain.vocabulary import MeetingKind
from planner.domain.wizard import candidate_hours, collision, days_in_order
from planner.i18n import language_name
from planner.i18n.catalogues import translator
from planner.i18n.dates import format_time_range, format_weekday_date, zone_name
from planner.models.base import utcnow
from planner.services import availability, candidates, locations, scheduling, staff
from planner.services.actor import Actor
from planner.services.errors import InvalidInput, PlannerError
from planner.settings import get_settings
from planner.state.guard import signed_in_actor
from planner.state.session import error_text, sign_in_redirect

STEPS = 6  # candidates & job, interview, times, place, invitation, review & send
DURATIONS = ["15", "30", "45", "60", "90", "120"]
BUFFERS = ["0", "5", "10", "15", "30"]
RANGES = ["7", "14", "28"]
MAX_TITLE = 200
MAX_SUBJECT = 200
MAX_TEXT = 4000
MAX_CAPACITY = 50
MAX_OFFERED = 40
# Text beyond a limit is kept (the counter turns red and Next refuses it) up to this much more.
OVER_LIMIT = 1000
REFRESH_DELAY_SECONDS = 0.05
DAY_START, DAY_END = 7 * 60, 21 * 60  # the part of a day the participant rows show


@dataclass(frozen=True)
class Choice:
    """A selectable person, job or place; `key` is its position, ids stay on the server."""

    key: int
    label: str
    note: str = ""
    href: str = ""


@dataclass(frozen=True)
class MeetingOption:
    kind: str
    label: str
    enabled: bool
    reason: str


@dataclass(frozen=True)
class TimeOption:
    """A suggested time as the wizard lists it."""

    key: int
    start: str
    end: str
    label: str
    note: str
    local: str
    unsociable: str
    all_free: bool
    chosen: bool


@dataclass(frozen=True)
class SuggestionDay:
    heading: str
    times: list[TimeOption]


@dataclass(frozen=True)
class OfferedTime:
    key: int
    label: str
    note: str


@dataclass(frozen=True)
class GridSegment:
    left: str
    width: str
    state: str
    label: str


@dataclass(frozen=True)
class GridRow:
    name: str
    note: str
    segments: list[GridSegment]


@dataclass(frozen=True)
class Preview:
    language: str
    subject: str
    body: str


class ScheduleState(rx.State):
    """Wizard inputs as primitives and positions."""

    loaded: bool = False
    step: int = 0
    jobs: list[Choice] = []
    job: str = "all"
    search: str = ""
    people: list[Choice] = []
    chosen_candidates: list[int] = []
    chosen_names: list[str] = []
    staff_members: list[Choice] = []
    chosen_staff: list[int] = []
    title: str = "Interview"
    duration: str = "45"
    buffer: str = "0"
    capacity: str = "1"
    group_session: bool = False
    from_date: str = ""
    range_days: str = "14"
    days: list[SuggestionDay] = []
    suggestions_ready: bool = False
    computed_for: str = ""
    offered: list[OfferedTime] = []
    events: list[dict[str, Any]] = []
    grid_day: str = ""
    grid_heading: str = ""
    grid_rows: list[GridRow] = []
    calendar_zone: str = "UTC"
    calendar_date: str = ""
    custom_date: str = ""
    custom_time: str = ""
    pending_label: str = ""
    pending_warning: str = ""
    meeting_options: list[MeetingOption] = []
    meeting_kind: str = "none"
    places: list[Choice] = []
    place: str = ""
    new_place_name: str = ""
    new_place_address: str = ""
    archive_question: str = ""
    invitation_subject: str = ""
    invitation_text: str = ""
    previews: list[Preview] = []
    review: list[list[str]] = []
    errors: dict[str, str] = {}
    announcement: str = ""
    done: str = ""
    sending: bool = False
    _candidate_ids: list[int] = []
    _candidate_zones: list[str] = []
    _candidate_locales: list[str] = []
    _chosen_ids: list[int] = []
    _job_ids: list[int] = []
    _staff_ids: list[int] = []
    _staff_names: list[str] = []
    _place_ids: list[int] = []
    _suggestion_starts: list[str] = []
    _offered_starts: list[str] = []
    _pending_start: str = ""
    _held: dict[str, list[list[str]]] = {}
    _booked: dict[str, list[list[str]]] = {}
    _rows: list[dict[str, Any]] = []
    _grid_start: str = ""
    _grid_days: int = 7
    _version: int = 0
    _submit_key: str = ""

    async def _actor(self) -> Actor | None:
        return await signed_in_actor(self)

    # --- loading -------------------------------------------------------------------------

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        params = self.router.url.query_parameters
        wanted = {int(p) for p in str(params.get("candidates", "")).split(",") if p.isdigit()}
        job_param = str(params.get("job", ""))
        with session_scope() as session:
            job_rows = candidates.list_jobs(session=session, actor=actor)
            team = [u for u in staff.list_staff(session=session, actor=actor) if u.is_active]
            providers = scheduling.synced_providers(session, actor.user_id)
        self._job_ids = [job_id for job_id, _title in job_rows]
        self.jobs = [Choice(key=i, label=title) for i, (_id, title) in enumerate(job_rows)]
        self.job = "all"
        if job_param.isdigit() and int(job_param) in self._job_ids:
            self.job = str(self._job_ids.index(int(job_param)))
        self.search = ""
        self._chosen_ids = []
        self._fill_people(actor)
        self._chosen_ids = [i for i in self._candidate_ids if i in wanted]
        self._sync_chosen()
        tr = translator(actor.locale)
        others = [u for u in team if u.id != actor.user_id]
        self._staff_ids = [u.id for u in others]
        self._staff_names = [actor.name] + [u.name for u in others]
        self.staff_members = [
            Choice(key=i, label=u.name, note=_staff_note(tr, u.sync_status, u.email))
            for i, u in enumerate(others)
        ]
        kinds = available_meeting_kinds(providers)
        self.meeting_options = [
            MeetingOption(
                kind=kind.value,
                label=_meeting_label(tr, kind),
                enabled=kind in kinds,
                reason="" if kind in kinds else _meeting_needs(tr, kind),
            )
            for kind in MeetingKind
        ]
        self._load_places(actor)
        today = utcnow().astimezone(ZoneInfo(actor.time_zone)).date()
        self.from_date = (today + timedelta(days=1)).isoformat()
        self.calendar_zone = actor.time_zone
        self.calendar_date = self.from_date
        self._grid_start = ""
        self.step = 0
        self.title, self.duration, self.buffer = tr("Interview"), "45", "0"
        self.capacity, self.group_session, self.range_days = "1", False, "14"
        self.chosen_staff, self._offered_starts, self.offered = [], [], []
        self.meeting_kind, self.place = "none", ""
        self.invitation_subject = self.invitation_text = ""
        self.pending_label = self.pending_warning = self._pending_start = ""
        self.errors, self.done, self.announcement, self.sending = {}, "", "", False
        self._submit_key = secrets.token_urlsafe(24)
        self._compute(actor)
        self.loaded = True
        return None

    def _fill_people(self, actor: Actor) -> None:
        job_id = self._job_ids[int(self.job)] if self.job.isdigit() else None
        with session_scope() as session:
            found = candidates.list_candidates(
                session=session, actor=actor, search=self.search, job_id=job_id
            )
            chosen = [
                candidates.get_candidate(session=session, actor=actor, candidate_id=i)
                for i in self._chosen_ids
            ]
        shown = {c.id for c in found}
        rows = found + [c for c in chosen if c.id not in shown]
        rows.sort(key=lambda c: (c.id not in shown, c.name.lower()))
        self._candidate_ids = [c.id for c in rows]
        self._candidate_zones = [c.time_zone for c in rows]
        self._candidate_locales = [c.locale for c in rows]
        self.people = [
            Choice(key=i, label=c.name, note=c.job_title, href=routes.candidate_url(c.id))
            for i, c in enumerate(rows)
        ]

    def _sync_chosen(self) -> None:
        self.chosen_candidates = [
            k for k, cid in enumerate(self._candidate_ids) if cid in self._chosen_ids
        ]
        self.chosen_names = [self.people[k].label for k in self.chosen_candidates]

    def _load_places(self, actor: Actor) -> None:
        with session_scope() as session:
            found = locations.list_locations(session=session, actor=actor)
        self._place_ids = [p.id for p in found]
        self.places = [Choice(key=i, label=p.name, note=p.address) for i, p in enumerate(found)]

    # --- step navigation -----------------------------------------------------------------

    @rx.event
    async def next_step(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        errors = self._check_step(actor, self.step)
        self.errors = errors
        if errors:
            self.announcement = translator(actor.locale)("Please correct the marked fields.")
            return rx.set_focus(f"step-{self.step}-heading")
        return self._go(actor, min(self.step + 1, STEPS - 1))

    @rx.event
    async def previous_step(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        self.errors = {}
        return self._go(actor, max(self.step - 1, 0))

    @rx.event
    async def go_to_step(self, step: int):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        step = int(step)
        if not 0 <= step < STEPS or step > self.step:
            return None
        self.errors = {}
        return self._go(actor, step)

    def _go(self, actor: Actor, step: int):  # type: ignore[no-untyped-def]
        self.step = step
        if step == 4:
            self._fill_previews(actor)
        if step == 5:
            self._fill_review(actor)
        self.announcement = ""
        return rx.set_focus(f"step-{step}-heading")

    def _check_step(self, actor: Actor, step: int) -> dict[str, str]:
        tr = translator(actor.locale)
        errors: dict[str, str] = {}
        if step == 0 and not self._chosen_ids:
            errors["candidates"] = tr("Choose at least one candidate.")
        if step == 1:
            if not self.title.strip():
                errors["title"] = tr("Enter a title.")
            elif len(self.title) > MAX_TITLE:
                errors["title"] = tr("The title is too long.")
            if self.group_session and (
                not self.capacity.isdigit() or not 2 <= int(self.capacity) <= MAX_CAPACITY
            ):
                errors["capacity"] = tr("A group session takes 2 to 50 candidates per time.")
        if step == 2 and not self._offered_starts:
            errors["times"] = tr("Offer at least one time.")
        if step == 3 and self.meeting_kind == "none":
            if not self.place.isdigit() or int(self.place) >= len(self._place_ids):
                errors["place"] = tr("Choose a location, or an online meeting.")
        if step == 4:
            if len(self.invitation_subject) > MAX_SUBJECT:
                errors["subject"] = tr("The subject is too long.")
            if len(self.invitation_text) > MAX_TEXT:
                errors["text"] = tr("The message is too long.")
        return errors

    # --- step 1: candidates --------------------------------------------------------------

    @rx.event
    async def set_job(self, value: str):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        self.job = value if value == "all" or value.isdigit() else "all"
        self._fill_people(actor)
        self._sync_chosen()
        return None

    @rx.event
    async def set_search(self, value: str):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        self.search = value[:200]
        self._fill_people(actor)
        self._sync_chosen()
        return None

    @rx.event
    async def toggle_candidate(self, key: int):
        key = int(key)
        if not 0 <= key < len(self._candidate_ids):
            return None
        cid = self._candidate_ids[key]
        if cid in self._chosen_ids:
            self._chosen_ids = [i for i in self._chosen_ids if i != cid]
        else:
            self._chosen_ids = [*self._chosen_ids, cid]
        self._sync_chosen()
        self.errors = {k: v for k, v in self.errors.items() if k != "candidates"}
        return self._refresh()

    # --- step 2: interview ---------------------------------------------------------------

    @rx.event
    def set_title(self, value: str):
        self.title = value[: MAX_TITLE + OVER_LIMIT]

    @rx.event
    def set_duration(self, value: str):
        if value in DURATIONS:
            self.duration = value
            return self._refresh()
        return None

    @rx.event
    def set_buffer(self, value: str):
        if value in BUFFERS:
            self.buffer = value
            return self._refresh()
        return None

    @rx.event
    def set_group_session(self, value: bool):
        self.group_session = bool(value)
        self.capacity = "2" if self.group_session else "1"

    @rx.event
    def set_capacity(self, value: str):
        self.capacity = value.strip()[:3]

    @rx.event
    def toggle_staff(self, key: int):
        key = int(key)
        if not 0 <= key < len(self.staff_members):
            return None
        self.chosen_staff = (
            [k for k in self.chosen_staff if k != key]
            if key in self.chosen_staff
            else [*self.chosen_staff, key]
        )
        return self._refresh()

    # --- step 3: times -------------------------------------------------------------------

    @rx.event
    def set_from_date(self, value: str):
        try:
            date.fromisoformat(value)
        except ValueError:
            return None
        self.from_date = value
        self.calendar_date = value
        self._grid_start = ""
        return self._refresh()

    @rx.event
    def set_range_days(self, value: str):
        if value in RANGES:
            self.range_days = value
            return self._refresh()
        return None

    def _refresh(self):  # type: ignore[no-untyped-def]
        """Ask for a recomputation a moment from now; only the latest of several quick
        changes runs (a debounce held on the server, so no extra round trip is needed)."""
        self._version += 1
        return ScheduleState.refresh_after(self._version)

    @rx.event(background=True)
    async def refresh_after(self, version: int):
        await asyncio.sleep(REFRESH_DELAY_SECONDS)
        async with self:
            if int(version) != self._version:
                return
            actor = await self._actor()
            if actor is None:
                return
            self._compute(actor)

    @rx.event
    async def calendar_shown(self, start: str, end: str, view: str):
        """FullCalendar moved to another range or view: the grid follows it."""
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        try:
            shown_start = datetime.fromisoformat(start)
            shown_end = datetime.fromisoformat(end)
        except ValueError:
            return None
        days = max(1, min(31, (shown_end - shown_start).days))
        if shown_start.isoformat() == self._grid_start and days == self._grid_days:
            return None
        self._grid_start, self._grid_days = shown_start.isoformat(), days
        zone = ZoneInfo(actor.time_zone)
        self.grid_day = shown_start.astimezone(zone).date().isoformat()
        self._compute(actor)
        return None

    def _participant_ids(self, actor: Actor) -> list[int]:
        return [actor.user_id] + [self._staff_ids[k] for k in sorted(self.chosen_staff)]

    def _compute(self, actor: Actor) -> None:
        """Suggestions, grid rows and calendar entries for the form as it is now."""
        tr = translator(actor.locale)
        zone = ZoneInfo(actor.time_zone)
        first = datetime.combine(date.fromisoformat(self.from_date), time(0), tzinfo=zone)
        if self._grid_start:
            grid_start = datetime.fromisoformat(self._grid_start)
        else:
            grid_start = first - timedelta(days=first.weekday())
            self.grid_day = first.date().isoformat()
        now = utcnow()
        ids = self._participant_ids(actor)
        try:
            with session_scope() as session:
                found = availability.wizard_availability(
                    session=session,
                    actor=actor,
                    participant_ids=ids,
                    duration_minutes=int(self.duration),
                    buffer_minutes=int(self.buffer),
                    first_day=first,
                    days=int(self.range_days),
                    grid_start=grid_start,
                    grid_days=self._grid_days,
                    now=now,
                )
        except PlannerError as exc:
            self.errors = {**self.errors, "times": error_text(actor, exc)}
            return
        self._held = {
            str(uid): [[s.isoformat(), e.isoformat()] for s, e in spans]
            for uid, spans in found.held.items()
        }
        self._booked = {
            str(uid): [[s.isoformat(), e.isoformat()] for s, e in spans]
            for uid, spans in found.booked.items()
        }
        self._rows = [
            {
                "id": row.participant_id,
                "reason": row.unknown_reason.value if row.unknown_reason else "",
                "segments": [
                    [s.start.isoformat(), s.end.isoformat(), s.state.value] for s in row.segments
                ],
            }
            for row in found.rows
        ]
        suggestions = found.suggestions
        self._suggestion_starts = [s.start.isoformat() for s in suggestions]
        chosen_zones = [
            (self._candidate_zones[k], self.people[k].label)
            for k in self.chosen_candidates
            if k < len(self._candidate_zones)
        ]
        offered = set(self._offered_starts)
        days = []
        for day, positions in days_in_order([s.start for s in suggestions], actor.time_zone):
            heading = format_weekday_date(
                datetime.combine(day, time(12), tzinfo=zone), locale=actor.locale,
                time_zone=actor.time_zone,
            )  # fmt: skip
            times = []
            for i in positions:
                s = suggestions[i]
                local, unsociable = _candidate_notes(
                    tr, s.start, s.end, chosen_zones, actor.time_zone, actor.locale
                )
                times.append(
                    TimeOption(
                        key=i,
                        start=s.start.isoformat(),
                        end=s.end.isoformat(),
                        label=_time_range(
                            s.start, s.end, locale=actor.locale, time_zone=actor.time_zone
                        ),
                        note=_suggestion_note(tr, s.unknown, s.tentative),
                        local=local,
                        unsociable=unsociable,
                        all_free=not s.unknown and not s.tentative,
                        chosen=s.start.isoformat() in offered,
                    )
                )
            days.append(SuggestionDay(heading=heading, times=times))
        self.days = days
        self.suggestions_ready = True
        # Which participant set the shown suggestions and rows are for (tests and the
        # suggestions benchmark wait for it).
        self.computed_for = ",".join(str(i) for i in sorted(ids))
        self.errors = {k: v for k, v in self.errors.items() if k != "times"}
        self._fill_grid(actor, found.names)
        self._fill_offered(actor)

    def _fill_grid(self, actor: Actor, names: dict[int, str]) -> None:
        tr = translator(actor.locale)
        zone = ZoneInfo(actor.time_zone)
        labels = _state_labels(tr)
        events: list[dict[str, Any]] = []
        for row in self._rows:
            name = names.get(row["id"], "")
            for start, end, state in row["segments"]:
                if state in ("busy", "tentative", "unknown"):
                    events.append(
                        calendar_event(
                            event_id=f"a-{row['id']}-{start}",
                            title=f"{name}: {labels[state]}",
                            start=start,
                            end=end,
                            kind=state,
                            background=True,
                        )
                    )
        # Times Planner itself holds for these people: offered elsewhere, or booked.
        planner_times = (
            ("h", "held", tr("Offered in another interview"), self._held),
            ("b", "booked", tr("Booked in Planner"), self._booked),
        )
        for prefix, kind, label, by_user in planner_times:
            for uid, spans in by_user.items():
                for start, end in spans:
                    events.append(
                        calendar_event(
                            event_id=f"{prefix}-{uid}-{start}",
                            title=f"{names.get(int(uid), '')}: {label}",
                            start=start,
                            end=end,
                            kind=kind,
                            background=True,
                        )
                    )
        offered = set(self._offered_starts)
        duration = timedelta(minutes=int(self.duration))
        for key, start in enumerate(self._suggestion_starts):
            if start in offered:
                continue
            begin = datetime.fromisoformat(start)
            events.append(
                calendar_event(
                    event_id=f"s-{key}",
                    title=tr("Suggested"),
                    start=start,
                    end=(begin + duration).isoformat(),
                    kind="suggestion",
                )
            )
        for key, start in enumerate(self._offered_starts):
            begin = datetime.fromisoformat(start)
            events.append(
                calendar_event(
                    event_id=f"o-{key}",
                    title=tr("Offered"),
                    start=start,
                    end=(begin + duration).isoformat(),
                    kind="chosen",
                )
            )
        self.events = events
        # The participant rows: one day, 07:00-21:00 in the recruiter's zone.
        day = (
            date.fromisoformat(self.grid_day)
            if self.grid_day
            else date.fromisoformat(self.from_date)
        )
        day_start = datetime.combine(day, time(7), tzinfo=zone)
        day_end = datetime.combine(day, time(21), tzinfo=zone)
        span = (day_end - day_start).total_seconds()
        self.grid_heading = format_weekday_date(
            day_start, locale=actor.locale, time_zone=actor.time_zone
        )
        rows = []
        for row in self._rows:
            segments = []
            for start, end, state in row["segments"]:
                begin = max(datetime.fromisoformat(start), day_start)
                finish = min(datetime.fromisoformat(end), day_end)
                if finish <= begin:
                    continue
                left = (begin - day_start).total_seconds() / span * 100
                width = (finish - begin).total_seconds() / span * 100
                when = _time_range(begin, finish, locale=actor.locale, time_zone=actor.time_zone)
                segments.append(
                    GridSegment(
                        left=f"{left:.3f}%",
                        width=f"{width:.3f}%",
                        state=state,
                        label=f"{labels[state]} {when}",
                    )
                )
            note = tr("Availability unknown") if row["reason"] else ""
            rows.append(GridRow(name=names.get(row["id"], ""), note=note, segments=segments))
        self.grid_rows = rows

    def _fill_offered(self, actor: Actor) -> None:
        duration = timedelta(minutes=int(self.duration))
        offered = []
        for key, start in enumerate(self._offered_starts):
            begin = datetime.fromisoformat(start)
            label = _when_label(actor, begin, begin + duration)
            offered.append(
                OfferedTime(key=key, label=label, note=self._collision_text(actor, begin))
            )
        self.offered = offered

    @rx.event
    async def day_before(self):
        return await self._move_day(-1)

    @rx.event
    async def day_after(self):
        return await self._move_day(1)

    async def _move_day(self, delta: int):  # type: ignore[no-untyped-def]
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        day = date.fromisoformat(self.grid_day or self.from_date) + timedelta(days=delta)
        self.grid_day = day.isoformat()
        self.calendar_date = self.grid_day
        zone = ZoneInfo(actor.time_zone)
        start = datetime.fromisoformat(self._grid_start) if self._grid_start else None
        day_start = datetime.combine(day, time(0), tzinfo=zone)
        if start is None or not start <= day_start < start + timedelta(days=self._grid_days):
            self._grid_start = (day_start - timedelta(days=day.weekday())).isoformat()
            self._grid_days = 7
        self._compute(actor)
        return None

    @rx.event
    async def toggle_suggestion(self, key: int):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if not 0 <= key < len(self._suggestion_starts):
            return None
        start = self._suggestion_starts[key]
        if start in self._offered_starts:
            self._offered_starts = [s for s in self._offered_starts if s != start]
        else:
            self._offered_starts = sorted([*self._offered_starts, start])
        self._after_offer_change(actor)
        return None

    @rx.event
    async def calendar_event_clicked(self, event_id: str):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        kind, _, key = str(event_id).partition("-")
        if not key.isdigit():
            return None
        if kind == "s":
            return ScheduleState.toggle_suggestion(int(key))
        if kind == "o":
            return ScheduleState.remove_offered(int(key))
        return None

    @rx.event
    async def remove_offered(self, key: int):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if 0 <= key < len(self._offered_starts):
            self._offered_starts = [s for i, s in enumerate(self._offered_starts) if i != key]
            self._after_offer_change(actor)
        return None

    def _after_offer_change(self, actor: Actor) -> None:
        tr = translator(actor.locale)
        offered = set(self._offered_starts)
        self.days = [
            SuggestionDay(
                heading=day.heading,
                times=[
                    TimeOption(
                        key=t.key,
                        start=t.start,
                        end=t.end,
                        label=t.label,
                        note=t.note,
                        local=t.local,
                        unsociable=t.unsociable,
                        all_free=t.all_free,
                        chosen=self._suggestion_starts[t.key] in offered,
                    )  # fmt: skip
                    for t in day.times
                ],
            )
            for day in self.days
        ]
        self._fill_grid(
            actor,
            dict(zip(self._participant_ids(actor), self._staff_names_for(actor), strict=False)),
        )
        self._fill_offered(actor)
        self.errors = {k: v for k, v in self.errors.items() if k != "times"}
        self.announcement = tr.plural(
            "{count} time will be offered.",
            "{count} times will be offered.",
            len(self._offered_starts),
        )

    def _staff_names_for(self, actor: Actor) -> list[str]:
        return [actor.name] + [self._staff_names[k + 1] for k in sorted(self.chosen_staff)]

    @rx.event
    async def calendar_range_selected(self, start: str, end: str):
        """A click or drag on the calendar (FullCalendar reports a click as a one-step
        selection): a time of the interview's length from its start."""
        return await self._propose(start)

    @rx.event
    def set_custom_date(self, value: str):
        self.custom_date = value[:10]

    @rx.event
    def set_custom_time(self, value: str):
        self.custom_time = value[:8]

    @rx.event
    async def propose_typed_time(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        try:
            day = date.fromisoformat(self.custom_date)
            clock = time.fromisoformat(self.custom_time)
        except ValueError:
            self.errors = {
                **self.errors,
                "custom": translator(actor.locale)("Enter a date and a time."),
            }
            return None
        start = datetime.combine(day, clock, tzinfo=ZoneInfo(actor.time_zone))
        return await self._propose(start.isoformat())

    async def _propose(self, start_text: str):  # type: ignore[no-untyped-def]
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        try:
            start = datetime.fromisoformat(start_text)
        except ValueError:
            return None
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(actor.time_zone))
        start = start.astimezone(ZoneInfo("UTC"))
        errors = {k: v for k, v in self.errors.items() if k != "custom"}
        if start <= utcnow():
            self.errors = {**errors, "custom": tr("That time has passed.")}
            return None
        if start.isoformat() in self._offered_starts:
            self.errors = {**errors, "custom": tr("That time is offered already.")}
            return None
        if len(self._offered_starts) >= MAX_OFFERED:
            self.errors = {**errors, "custom": tr("At most 40 times can be offered.")}
            return None
        self.errors = errors
        warning = self._collision_text(actor, start)
        duration = timedelta(minutes=int(self.duration))
        self.pending_label = _when_label(actor, start, start + duration)
        if not warning:
            self._offered_starts = sorted([*self._offered_starts, start.isoformat()])
            self.pending_label = self._pending_start = self.pending_warning = ""
            self._after_offer_change(actor)
            return None
        self._pending_start = start.isoformat()
        self.pending_warning = warning
        self.announcement = warning
        return rx.set_focus("collision-warning")

    def _collision_text(self, actor: Actor, start: datetime) -> str:
        """Who a time collides with, as a sentence naming them; empty when nobody."""
        tr = translator(actor.locale)
        end = start + timedelta(minutes=int(self.duration))
        ids = self._participant_ids(actor)
        names = dict(zip(ids, self._staff_names_for(actor), strict=False))
        try:
            with session_scope() as session:
                rows = availability.free_busy(
                    session=session, actor=actor, participant_ids=ids,
                    start=start, days=1, now=utcnow(),
                )  # fmt: skip
                held = availability.held_times(
                    session=session, actor=actor, participant_ids=ids,
                    window=TimeInterval(start, end),
                )  # fmt: skip
        except PlannerError as exc:
            return error_text(actor, exc)
        found = collision(rows, start, end, held=held)

        def named(who: tuple[int, ...]) -> str:
            return ", ".join(names.get(i, "") for i in who)

        parts = [
            text
            for text, who in (
                (tr("Busy: {names}", names=named(found.busy)), found.busy),
                (tr("Availability unknown: {names}", names=named(found.unknown)), found.unknown),
                (tr("Tentative: {names}", names=named(found.tentative)), found.tentative),
                (
                    tr("Outside working hours: {names}", names=named(found.outside_hours)),
                    found.outside_hours,
                ),
                (
                    tr("Offered in another interview: {names}", names=named(found.held)),
                    found.held,
                ),
            )
            if who
        ]
        return ". ".join(parts)

    @rx.event
    async def confirm_pending(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        if self._pending_start and self._pending_start not in self._offered_starts:
            self._offered_starts = sorted([*self._offered_starts, self._pending_start])
        self.pending_label = self._pending_start = self.pending_warning = ""
        self._after_offer_change(actor)
        return rx.set_focus("step-2-heading")

    @rx.event
    def cancel_pending(self):
        self.pending_label = self._pending_start = self.pending_warning = ""
        return rx.set_focus("step-2-heading")

    # --- step 4: place -------------------------------------------------------------------

    @rx.event
    def set_meeting_kind(self, value: str):
        enabled = {o.kind for o in self.meeting_options if o.enabled}
        if value in enabled:
            self.meeting_kind = value
            self.errors = {k: v for k, v in self.errors.items() if k != "place"}

    @rx.event
    def set_place(self, value: str):
        self.place = value
        self.archive_question = ""
        self.errors = {k: v for k, v in self.errors.items() if k != "place"}

    @rx.event
    def set_new_place_name(self, value: str):
        self.new_place_name = value[: 200 + OVER_LIMIT]

    @rx.event
    def set_new_place_address(self, value: str):
        self.new_place_address = value[: 500 + OVER_LIMIT]

    @rx.event
    async def add_place(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        name = self.new_place_name.strip()
        errors = {k: v for k, v in self.errors.items() if k != "new_place"}
        if not name:
            self.errors = {**errors, "new_place": tr("Enter a name for the location.")}
            return rx.set_focus("new-place-name")
        try:
            with session_scope() as session:
                added = locations.add_location(
                    session=session,
                    actor=actor,
                    data={"name": name, "address": self.new_place_address.strip()},
                )
        except InvalidInput as exc:
            message = (
                tr("A location named {name} exists already.", name=name)
                if exc.field == "name" and "exists" in exc.reason
                else tr("Check the name and address: {problem}", problem=error_text(actor, exc))
            )
            self.errors = {**errors, "new_place": message}
            return rx.set_focus("new-place-name")
        # The new location is chosen: an earlier "choose a place" error no longer holds.
        self.errors = {k: v for k, v in errors.items() if k != "place"}
        self._load_places(actor)
        self.place = str(self._place_ids.index(added.id))
        self.new_place_name = self.new_place_address = ""
        self.announcement = tr("Location {name} added.", name=added.name)
        return None

    @rx.event
    async def ask_archive_place(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        if not self.place.isdigit() or int(self.place) >= len(self._place_ids):
            return None
        tr = translator(actor.locale)
        with session_scope() as session:
            uses = locations.location_uses(
                session=session, actor=actor, location_id=self._place_ids[int(self.place)]
            )
        self.archive_question = " ".join(
            (
                tr(
                    "Archive {name}? It will no longer be offered for new interviews.",
                    name=self.places[int(self.place)].label,
                ),
                tr.plural(
                    "{count} interview that uses it keeps its address.",
                    "{count} interviews that use it keep its address.",
                    uses,
                ),
            )
        )
        return None

    @rx.event
    def cancel_archive(self):
        self.archive_question = ""

    @rx.event
    async def archive_place(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        if not self.place.isdigit() or int(self.place) >= len(self._place_ids):
            self.archive_question = ""
            return None
        name = self.places[int(self.place)].label
        try:
            with session_scope() as session:
                locations.remove_location(
                    session=session, actor=actor, location_id=self._place_ids[int(self.place)]
                )
        except PlannerError as exc:
            self.errors = {**self.errors, "place": error_text(actor, exc)}
            return None
        self.place, self.archive_question = "", ""
        self._load_places(actor)
        self.announcement = translator(actor.locale)("Location {name} archived.", name=name)
        return None

    # --- step 5: invitation --------------------------------------------------------------

    @rx.event
    async def set_invitation_subject(self, value: str):
        self.invitation_subject = value[: MAX_SUBJECT + OVER_LIMIT]
        actor = await self._actor()
        if actor is not None:
            self._fill_previews(actor)

    @rx.event
    async def set_invitation_text(self, value: str):
        self.invitation_text = value[: MAX_TEXT + OVER_LIMIT]
        actor = await self._actor()
        if actor is not None:
            self._fill_previews(actor)

    def _fill_previews(self, actor: Actor) -> None:
        """The invitation as each chosen candidate's language version reads it (the first
        candidate of each language, in their own zone)."""
        slots = tuple(
            (
                datetime.fromisoformat(s),
                datetime.fromisoformat(s) + timedelta(minutes=int(self.duration)),
            )
            for s in self._offered_starts
        )
        place = ""
        if (
            self.meeting_kind == "none"
            and self.place.isdigit()
            and int(self.place) < len(self.places)
        ):
            chosen = self.places[int(self.place)]
            place = ", ".join(part for part in (chosen.label, chosen.note) if part)
        seen: set[str] = set()
        previews = []
        for k in self.chosen_candidates:
            locale = self._candidate_locales[k]
            if locale in seen:
                continue
            seen.add(locale)
            content = interview_invitation(
                Reader(
                    name=self.people[k].label,
                    locale=locale,
                    time_zone=self._candidate_zones[k],
                ),
                title=self.title.strip() or "-",
                account_name=actor.account_name,
                organiser_name=actor.name,
                duration_minutes=int(self.duration),
                invitation_text=self.invitation_text[:MAX_TEXT],
                slots=slots,
                link=routes.booking_url(get_settings().base_url, "…"),
                expires_at=utcnow() + timedelta(days=scheduling.INVITATION_DAYS),
                # Where, as the mail itself will say it: the address, or an online meeting.
                place=place,
                online=self.meeting_kind != "none",
                subject=self.invitation_subject[:MAX_SUBJECT],
            )
            previews.append(
                Preview(
                    language=language_name(locale, in_locale=actor.locale),
                    subject=content.subject,
                    body=render_text(content),
                )
            )
        self.previews = previews

    # --- step 6: review and send ---------------------------------------------------------

    def _fill_review(self, actor: Actor) -> None:
        tr = translator(actor.locale)
        place = ""
        if (
            self.meeting_kind == "none"
            and self.place.isdigit()
            and int(self.place) < len(self.places)
        ):
            chosen = self.places[int(self.place)]
            place = ", ".join(p for p in (chosen.label, chosen.note) if p)
        else:
            place = next((o.label for o in self.meeting_options if o.kind == self.meeting_kind), "")
        self.review = [
            [tr("Candidates"), ", ".join(self.chosen_names)],
            [tr("Title"), self.title.strip()],
            [tr("Duration"), tr("{minutes} minutes", minutes=int(self.duration))],
            [
                tr("Participants"),
                ", ".join(self._staff_names_for(actor)),
            ],
            [
                tr("Seats per time"),
                self.capacity if self.group_session else "1",
            ],
            [tr("Times offered"), "; ".join(o.label for o in self.offered)],
            [tr("Place"), place],
            [tr("Subject"), self.invitation_subject.strip() or tr("Standard subject")],
        ]

    @rx.event
    async def send(self):
        actor = await self._actor()
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        for step in range(STEPS - 1):
            errors = self._check_step(actor, step)
            if errors:
                self.errors = errors
                self.step = step
                self.announcement = tr("Please correct the marked fields.")
                return rx.set_focus(f"step-{step}-heading")
        location_id = None
        if self.meeting_kind == "none":
            location_id = self._place_ids[int(self.place)]
        data = {
            "title": self.title.strip(),
            "duration_minutes": int(self.duration),
            "participant_ids": self._participant_ids(actor),
            # The job chosen in the first step (as the candidate list's filter) is the
            # interview's job: it is named on the booking page and in the mails.
            "job_id": self._job_ids[int(self.job)] if self.job.isdigit() else None,
            "location_id": location_id,
            "meeting_kind": self.meeting_kind,
            "capacity": int(self.capacity) if self.group_session else 1,
            "slots": [datetime.fromisoformat(s) for s in self._offered_starts],
            "invitation_text": self.invitation_text,
            "invitation_subject": self.invitation_subject.strip(),
        }
        self.sending = True
        try:
            with session_scope() as session:
                sent = scheduling.send_invitations(
                    session=session,
                    actor=actor,
                    data=data,
                    candidate_ids=list(self._chosen_ids),
                    submit_key=self._submit_key,
                    now=utcnow(),
                )
        except PlannerError as exc:
            self.sending = False
            self.errors = {"send": error_text(actor, exc)}
            self.announcement = self.errors["send"]
            return None
        self.sending = False
        self.done = " ".join(
            (
                tr.plural(
                    "Invitation sent to {count} candidate.",
                    "Invitations sent to {count} candidates.",
                    sent.invited,
                ),
                tr.plural(
                    "They can choose among {count} offered time.",
                    "They can choose among {count} offered times.",
                    sent.offered,
                ),
            )
        )
        self.announcement = self.done
        return rx.set_focus("sent-heading")

    @rx.event
    def go_calendar(self):
        return rx.redirect(routes.CALENDAR)


@lru_cache(maxsize=4096)
def _time_range(start: datetime, end: datetime, *, locale: str, time_zone: str) -> str:
    """format_time_range, remembered: the grid labels the same stretches on every change."""
    return format_time_range(start, end, locale=locale, time_zone=time_zone)


def _when_label(actor: Actor, start: datetime, end: datetime) -> str:
    day = format_weekday_date(start, locale=actor.locale, time_zone=actor.time_zone)
    hours = _time_range(start, end, locale=actor.locale, time_zone=actor.time_zone)
    return f"{day}, {hours}"


def _staff_note(tr, sync_status: str, email: str | None) -> str:  # type: ignore[no-untyped-def]
    parts = [tr("availability known") if sync_status == "synced" else tr("availability unknown")]
    if not email:
        parts.append(tr("gets no mail (no e-mail address)"))
    return ", ".join(parts)


def _meeting_label(tr, kind: MeetingKind) -> str:  # type: ignore[no-untyped-def]
    return {
        MeetingKind.NONE: tr("In person (choose a location)"),
        MeetingKind.TEAMS: "Microsoft Teams",
        MeetingKind.MEET: "Google Meet",
        MeetingKind.ZOOM: "Zoom",
        MeetingKind.JITSI: "Jitsi",
    }[kind]


def _meeting_needs(tr, kind: MeetingKind) -> str:  # type: ignore[no-untyped-def]
    """Why an online meeting kind cannot be chosen: the connection it needs."""
    return {
        MeetingKind.NONE: "",
        MeetingKind.TEAMS: tr("Teams needs a Microsoft 365 calendar connection"),
        MeetingKind.MEET: tr("Google Meet needs a Google Calendar connection"),
        MeetingKind.ZOOM: tr("Zoom needs a Zoom connection and a connected calendar"),
        MeetingKind.JITSI: tr("Jitsi needs a connected calendar"),
    }[kind]


def _state_labels(tr) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        FreeBusyState.FREE.value: tr("Free"),
        FreeBusyState.BUSY.value: tr("Busy"),
        FreeBusyState.TENTATIVE.value: tr("Tentative"),
        FreeBusyState.UNKNOWN.value: tr("Unknown"),
        FreeBusyState.OUTSIDE_WORKING_HOURS.value: tr("Outside working hours"),
    }


def _suggestion_note(tr, unknown: list[str], tentative: list[str]) -> str:  # type: ignore[no-untyped-def]
    parts = []
    if unknown:
        parts.append(tr("Availability unknown: {names}", names=", ".join(unknown)))
    if tentative:
        parts.append(tr("Tentative: {names}", names=", ".join(tentative)))
    return ". ".join(parts) if parts else tr("Everyone free")


def _candidate_notes(
    tr,  # type: ignore[no-untyped-def]
    start: datetime,
    end: datetime,
    zones: list[tuple[str, str]],
    own_zone: str,
    locale: str,
) -> tuple[str, str]:
    """Each candidate's local time where their zone differs, and who it is unsociable for."""
    local, unsociable = [], []
    for zone, name in zones:
        hours = candidate_hours(start, end, candidate_zone=zone, recruiter_zone=own_zone)
        if hours.differs:
            local.append(
                tr(
                    "{name}: {time} ({zone})",
                    name=name,
                    time=_time_range(start, end, locale=locale, time_zone=zone),
                    zone=zone_name(start, locale=locale, time_zone=zone),
                )
            )
        if hours.unsociable:
            unsociable.append(name)
    note = tr("Outside 07:00-21:00 for {names}", names=", ".join(unsociable)) if unsociable else ""
    return "; ".join(local), note
