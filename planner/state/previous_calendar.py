"""The previous, manual calendar: a week of appointments typed in by hand (add, edit, delete;
no sync, no candidate self-booking), with Planner's own interviews shown beside them, marked."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

import reflex as rx

from planner.db import session_scope
from planner.domain.tokens import new_token
from planner.i18n.catalogues import translator
from planner.i18n.dates import format_date_span, format_time_range, format_weekday_date
from planner.models.base import utcnow
from planner.services import candidates, interviews, previous_calendar
from planner.services.actor import Actor
from planner.services.errors import InvalidInput, PlannerError
from planner.state.guard import signed_in_actor
from planner.state.imports import FOCUS_HEADING
from planner.state.session import error_text, sign_in_redirect

NO_CANDIDATE = "none"


@dataclass(frozen=True)
class ManualEntryView:
    """One line of the week: an appointment of the previous calendar (`editable`) or one of
    Planner's interviews (kind booked / offered)."""

    key: int
    kind: str  # previous | booked | offered
    time: str
    title: str
    who: str
    place: str
    editable: bool


@dataclass(frozen=True)
class ManualDayView:
    label: str
    lines: list[ManualEntryView]


@dataclass(frozen=True)
class CandidateOption:
    value: str
    label: str


class PreviousCalendarState(rx.State):
    """The week shown, the appointment form and the delete confirmation."""

    loaded: bool = False
    switched_on: bool = False
    anchor: str = ""
    range_label: str = ""
    days: list[ManualDayView] = []
    total: int = 0
    status_message: str = ""
    form_open: bool = False
    form_editing: bool = False
    form_title: str = ""
    form_date: str = ""
    form_start: str = "09:00"
    form_end: str = "10:00"
    form_location: str = ""
    form_candidate: str = NO_CANDIDATE
    form_error: str = ""
    candidate_options: list[CandidateOption] = []
    confirm_open: bool = False
    confirm_text: str = ""
    _refs: list[int] = []
    _editing_id: int = 0
    _deleting_id: int = 0
    _submit_key: str = ""

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        if not self.anchor:
            self.anchor = utcnow().astimezone(ZoneInfo(actor.time_zone)).date().isoformat()
        self._fill(actor)
        return rx.call_script(FOCUS_HEADING)

    def _fill(self, actor: Actor) -> None:
        zone = ZoneInfo(actor.time_zone)
        lang = actor.locale
        tr = translator(lang)
        anchor = date.fromisoformat(self.anchor)
        monday = anchor - timedelta(days=anchor.weekday())
        start = datetime.combine(monday, time(0), tzinfo=zone)
        end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
        with session_scope() as session:
            self.switched_on = previous_calendar.uses_previous_calendar(
                session=session, actor=actor
            )
            mine = previous_calendar.appointments_between(
                session=session, actor=actor, start=start, end=end
            )
            planner_entries = interviews.calendar_entries(
                session=session, actor=actor, start=start, end=end
            )
            self.candidate_options = [
                CandidateOption(value=str(row.id), label=row.name)
                for row in candidates.list_candidates(session=session, actor=actor)
            ]
        items: list[tuple[datetime, str, int, ManualEntryView]] = []
        refs: list[int] = []
        for row in mine:
            refs.append(row.id)
            who = ", ".join((*row.candidates, *row.staff, *row.others))
            items.append(
                (
                    row.start,
                    "previous",
                    row.id,
                    ManualEntryView(
                        key=len(refs) - 1,
                        kind="previous",
                        time=tr("all day")
                        if row.all_day
                        else format_time_range(row.start, row.end, locale=lang, time_zone=zone.key),
                        title=row.title,
                        who=who,
                        place=row.location,
                        editable=True,
                    ),
                )
            )
        for entry in planner_entries:
            items.append(
                (
                    entry.start,
                    entry.kind,
                    entry.slot_id,
                    ManualEntryView(
                        key=-1,
                        kind=entry.kind,
                        time=format_time_range(
                            entry.start, entry.end, locale=lang, time_zone=zone.key
                        ),
                        title=entry.title,
                        who=", ".join(entry.candidates) or tr("Awaiting choice"),
                        place=entry.place,
                        editable=False,
                    ),
                )
            )
        items.sort(key=lambda item: (item[0], item[1], item[2]))
        self._refs = refs
        self.days = [
            ManualDayView(
                label=format_weekday_date(group[0][0], locale=lang, time_zone=zone.key),
                lines=[item[3] for item in group],
            )
            for _day, grouped in groupby(items, key=lambda item: item[0].astimezone(zone).date())
            for group in [list(grouped)]
        ]
        self.total = len(items)
        self.range_label = format_date_span(monday, monday + timedelta(days=6), locale=lang)
        self.loaded = True

    async def _refill(self):  # type: ignore[no-untyped-def]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._fill(actor)
        return None

    @rx.event
    async def move(self, weeks: int):
        self.anchor = (date.fromisoformat(self.anchor) + timedelta(weeks=int(weeks))).isoformat()
        return await self._refill()

    @rx.event
    async def today(self):
        self.anchor = ""
        return await self.load()

    # --- the form ------------------------------------------------------------------------

    @rx.event
    def open_new(self):
        self.form_open, self.form_editing, self._editing_id = True, False, 0
        self.form_title = self.form_location = self.form_error = ""
        self.form_date = self.anchor
        self.form_start, self.form_end, self.form_candidate = "09:00", "10:00", NO_CANDIDATE
        self._submit_key = new_token()[:40]

    @rx.event
    async def open_edit(self, key: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if not 0 <= key < len(self._refs):
            return None
        try:
            with session_scope() as session:
                row = previous_calendar.get_appointment(
                    session=session, actor=actor, appointment_id=self._refs[key]
                )
        except PlannerError as exc:
            self.status_message = error_text(actor, exc)
            return None
        zone = ZoneInfo(actor.time_zone)
        local_start, local_end = row.start.astimezone(zone), row.end.astimezone(zone)
        self._editing_id = row.id
        self.form_open, self.form_editing, self.form_error = True, True, ""
        self.form_title, self.form_location = row.title, row.location
        self.form_date = local_start.date().isoformat()
        self.form_start, self.form_end = local_start.strftime("%H:%M"), local_end.strftime("%H:%M")
        self.form_candidate = str(row.candidate_ids[0]) if row.candidate_ids else NO_CANDIDATE
        return None

    @rx.event
    def close_form(self):
        self.form_open = False

    @rx.event
    def set_form_candidate(self, value: str):
        self.form_candidate = value

    @rx.event
    async def save(self, form: dict):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        zone = ZoneInfo(actor.time_zone)
        title = str(form.get("title", ""))[:400]
        location = str(form.get("location", ""))[:600]
        self.form_title, self.form_location = title, location
        try:
            day = date.fromisoformat(str(form.get("date", "")))
            start = datetime.combine(day, time.fromisoformat(str(form.get("start", ""))))
            end = datetime.combine(day, time.fromisoformat(str(form.get("end", ""))))
        except ValueError:
            self.form_error = tr("Give a date and a start and end time.")
            self.status_message = self.form_error
            return None
        candidate_ids = (int(self.form_candidate),) if self.form_candidate.isdigit() else ()
        values = previous_calendar.AppointmentInput(
            title=title,
            start=start.replace(tzinfo=zone),
            end=end.replace(tzinfo=zone),
            location=location,
            staff_ids=() if self._editing_id else (actor.user_id,),
            candidate_ids=candidate_ids,
        )
        try:
            with session_scope() as session:
                previous_calendar.save_appointment(
                    session=session,
                    actor=actor,
                    values=values,
                    now=utcnow(),
                    appointment_id=self._editing_id or None,
                    request_key=self._submit_key,
                )
        except InvalidInput as exc:
            self.form_error = {
                "title": tr("The title must be one line of 1 to 300 characters."),
                "location": tr("The place must be one line of at most 500 characters."),
                "end": tr("The end must be after the start, within 14 days."),
            }.get(exc.field) or error_text(actor, exc)
            self.status_message = self.form_error
            return None
        except PlannerError as exc:
            self.form_error = self.status_message = error_text(actor, exc)
            return None
        self.form_open = False
        self.status_message = tr("Appointment saved: {title}", title=title.strip())
        self.anchor = day.isoformat()
        self._fill(actor)
        return None

    # --- deleting ----------------------------------------------------------------------

    @rx.event
    async def ask_delete(self, key: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if not 0 <= key < len(self._refs):
            return None
        with session_scope() as session:
            row = previous_calendar.get_appointment(
                session=session, actor=actor, appointment_id=self._refs[key]
            )
        self._deleting_id = row.id
        lang, zone = actor.locale, actor.time_zone
        when = format_weekday_date(row.start, locale=lang, time_zone=zone)
        self.confirm_text = translator(lang)(
            "Delete “{title}” on {when} from the previous calendar? This cannot be undone.",
            title=row.title,
            when=when,
        )
        self.confirm_open = True
        return None

    @rx.event
    def confirm_changed(self, is_open: bool):
        """The dialog asks to close (Escape): the confirmation closes and nothing is done."""
        if not is_open:
            self.confirm_open = False

    @rx.event
    def close_confirm(self):
        self.confirm_open = False

    @rx.event
    async def delete(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.confirm_open = False
        if not self._deleting_id:
            return None
        with session_scope() as session:
            previous_calendar.delete_appointment(
                session=session, actor=actor, appointment_id=self._deleting_id
            )
        self._deleting_id = 0
        self.status_message = translator(actor.locale)("Appointment deleted.")
        self._fill(actor)
        return None
