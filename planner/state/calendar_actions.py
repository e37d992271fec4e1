"""The calendar's interview dialog: when, where, who, each candidate's status and comments,
and the staff actions (cancel, remove or add times, change title or place, resend a link),
each behind a confirmation that names its effect and whom it affects."""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from planner import routes
from planner.db import session_scope
from planner.domain.meetings import available_meeting_kinds
from planner.domain.vocabulary import MeetingKind
from planner.i18n import translator
from planner.i18n.catalogues import Translator
from planner.i18n.dates import format_day, format_time_range, format_weekday_date
from planner.models.base import utcnow
from planner.services import interview_overview, locations, scheduling
from planner.services.actor import Actor
from planner.services.errors import PlannerError
from planner.services.interview_overview import InterviewOverview
from planner.state.guard import signed_in_actor
from planner.state.session import error_text, sign_in_redirect

MEETINGS = {"teams": "Microsoft Teams", "meet": "Google Meet", "zoom": "Zoom", "jitsi": "Jitsi"}
NO_PLACE = "none"
FOCUS_ADD_TIMES = "setTimeout(() => document.querySelector('#add-date')?.focus(), 200)"
FOCUS_CONFIRM = "setTimeout(() => document.querySelector('#confirm-go-back')?.focus(), 50)"
# Closing the dialog: once it is gone, the focus goes back to the calendar entry that opened
# it (remembered by calendar.REMEMBER_OPENER), not to the top of the page.
RETURN_FOCUS = (
    "(function returnFocus(tries) {"
    " if (document.querySelector('[role=dialog]') && tries > 0) {"
    " setTimeout(() => returnFocus(tries - 1), 50); return; }"
    " const opener = window.plannerDialogOpener;"
    " if (opener && opener.isConnected) opener.focus(); })(40)"
)
# The dialog's message sits at its top: scrolled into view when a button further down (Save,
# Add, Offer) sets it, or it would change out of sight.
SHOW_MESSAGE = (
    "setTimeout(() => document.querySelector('.rt-DialogContent .rt-CalloutRoot')"
    "?.scrollIntoView({block: 'nearest'}), 50)"
)
# After a confirmation: once it has closed (and given the focus back to the button that
# opened it, often at the bottom of the dialog, or to nothing when that button is gone), the
# focus goes to the dialog's title and the outcome message under it is scrolled into view.
FOCUS_OUTCOME = (
    "(function focusOutcome(tries) {"
    " if (document.querySelector('[role=alertdialog]') && tries > 0) {"
    " setTimeout(() => focusOutcome(tries - 1), 50); return; }"
    " setTimeout(() => { document.querySelector('[data-interview-title]')?.focus();"
    " document.querySelector('.rt-DialogContent .rt-CalloutRoot')"
    "?.scrollIntoView({block: 'nearest'}); }, 50); })(40)"
)


@dataclass(frozen=True)
class DetailData:
    """What the dialog shows of one interview: its overview, the account's locations
    (id, label) and the meeting kinds its organiser can host."""

    overview: InterviewOverview
    locations: tuple[tuple[int, str], ...]
    meeting_kinds: tuple[str, ...]


def read_detail(actor: Actor, interview_id: int) -> DetailData:
    """The dialog's data (blocking DB work: run it in a thread). Raises NotFound for an
    interview of another account."""
    with session_scope() as session:
        overview = interview_overview.interview_overview(
            session=session, actor=actor, interview_id=interview_id
        )
        places = tuple(
            (row.id, ", ".join(part for part in (row.name, row.address) if part))
            for row in locations.list_locations(session=session, actor=actor)
        )
        kinds = available_meeting_kinds(scheduling.synced_providers(session, overview.organiser_id))
    return DetailData(
        overview=overview,
        locations=places,
        meeting_kinds=tuple(k.value for k in MeetingKind if k in kinds and k.value != NO_PLACE),
    )


@dataclass(frozen=True)
class ParticipantView:
    name: str
    organiser: bool
    sync_state: str
    sync_label: str
    event_label: str


@dataclass(frozen=True)
class CommentLine:
    label: str
    body: str


@dataclass(frozen=True)
class CandidateView:
    key: int
    name: str
    href: str
    status: str
    status_label: str
    detail: str
    comments: list[CommentLine]
    can_resend: bool


@dataclass(frozen=True)
class SlotView:
    key: int
    label: str
    booked: bool
    names: str


@dataclass(frozen=True)
class PlaceOption:
    value: str
    label: str


@dataclass(frozen=True)
class PendingTime:
    key: int
    label: str


def candidate_status_label(tr: Translator, status: str) -> str:
    """A candidate's answer to an invitation, as staff read it."""
    return {
        "invited": tr("Awaiting choice"),
        "booked": tr("Booked"),
        "no_fit": tr("No time fits"),
        "cancelled": tr("Cancelled by the candidate"),
        "expired": tr("Link expired"),
        "withdrawn": tr("Withdrawn"),
    }.get(status, status)


# The invitation statuses of candidates who are still choosing a time: they see the open
# times on their page (one who cancelled their own booking may book again). Cancelling the
# interview tells them and the booked ones (scheduling.cancel_interview).
CHOOSING = ("invited", "cancelled")
TOLD_ON_CANCEL = ("booked", "invited", "no_fit", "cancelled")


def told_on_cancel(overview: InterviewOverview) -> list[tuple[str, bool]]:
    """The candidates cancelling the interview tells, as (name, booked), in list order."""
    return [
        (c.name, c.status == "booked") for c in overview.candidates if c.status in TOLD_ON_CANCEL
    ]


def choosing_names(overview: InterviewOverview) -> list[str]:
    """The candidates still choosing a time, who see added times on their page."""
    return [c.name for c in overview.candidates if c.status in CHOOSING]


def new_meeting_for(overview: InterviewOverview, place: str) -> list[str]:
    """The booked candidates who get a new meeting from the dialog's `place` choice
    ("none", "loc-<i>", "online-<kind>"): a choice that changes the meeting kind (to or from
    an online meeting, or another one) replaces their calendar events and meeting link
    (scheduling.update_interview). Empty when the kind stays or nobody is booked."""
    kind = place.removeprefix("online-") if place.startswith("online-") else NO_PLACE
    if kind == overview.meeting_kind:
        return []
    return [c.name for c in overview.candidates if c.status == "booked"]


def offered_already(overview: InterviewOverview | None, start: datetime) -> bool:
    """Whether the interview offers `start` (aware) already; a removed time may be offered
    again (scheduling.add_slots refuses only times it offers)."""
    if overview is None:
        return False
    return any(s.start_at == start and s.status == "offered" for s in overview.slots)


def _sync_label(tr: Translator, state: str) -> str:
    return {
        "synced": tr("Calendar synced"),
        "error": tr("Calendar sync error"),
        "not_connected": tr("No calendar connected"),
    }.get(state, state)


def _event_label(tr: Translator, state: str) -> str:
    return {
        "created": tr("The interview is in their calendar"),
        "pending": tr("Being added to their calendar"),
        "failed": tr("Could not be added to their calendar"),
        "not_synced": tr("Gets the interview by e-mail (.ics)"),
        "no_email": tr("No calendar and no e-mail address: Planner cannot tell them"),
        "none": tr("Nothing booked yet"),
    }.get(state, state)


def _when(actor: Actor, start: datetime, end: datetime) -> str:
    lang, zone = actor.locale, actor.time_zone
    return (
        f"{format_weekday_date(start, locale=lang, time_zone=zone)}, "
        f"{format_time_range(start, end, locale=lang, time_zone=zone)}"
    )


def _comment_label(tr: Translator, actor: Actor, kind: str, at: datetime) -> str:
    day = format_day(at, locale=actor.locale, time_zone=actor.time_zone)
    if kind == "no_fit":
        return tr("No time fits, {day}", day=day)
    return tr("Cancellation, {day}", day=day)


def _place_value(overview: InterviewOverview, location_ids: list[int]) -> str:
    if overview.meeting_kind != NO_PLACE:
        return f"online-{overview.meeting_kind}"
    if overview.location_id in location_ids:
        return f"loc-{location_ids.index(overview.location_id)}"
    return NO_PLACE


def change_effect(tr: Translator, ov: InterviewOverview, place: str | None) -> str:
    """Who hears of a title or place change (`place` the new place value, None if it stays),
    as scheduling.update_interview and notifications.queue_interview_changed tell them: the
    booked candidates by e-mail, synced calendars updated, participants without a synced
    calendar by e-mail (one with no address hears nothing, so "the participants" are not all
    said to get it)."""
    renewed = new_meeting_for(ov, place) if place is not None else []
    booked = [c.name for c in ov.candidates if c.status == "booked"]
    if renewed:
        return tr(
            "The booked candidates ({names}) get the interview with its new meeting "
            "details: it is replaced in the synced calendars, and the candidates and "
            "the participants without one get the updated invitation by e-mail.",
            names=", ".join(renewed),
        )
    if booked:
        return tr(
            "The booked candidates ({names}) get the updated invitation by e-mail; it is "
            "updated in the synced calendars, and the participants without one get it by "
            "e-mail.",
            names=", ".join(booked),
        )
    return tr("No one has booked yet: candidates still choosing see the change.")


class CalendarDetailState(rx.State):
    """The open interview and its pending confirmation; ids stay on the server."""

    detail_open: bool = False
    title: str = ""
    status: str = ""
    status_label: str = ""
    when: str = ""
    place: str = ""
    meeting_url: str = ""
    host_url: str = ""
    organiser: str = ""
    job: str = ""
    participants: list[ParticipantView] = []
    candidates: list[CandidateView] = []
    slots: list[SlotView] = []
    can_manage: bool = False
    edit_title: str = ""
    edit_place: str = NO_PLACE
    place_options: list[PlaceOption] = []
    add_date: str = ""
    add_time: str = ""
    pending_times: list[PendingTime] = []
    message: str = ""
    message_kind: str = "info"
    confirm_open: bool = False
    confirm_title: str = ""
    confirm_text: str = ""
    confirm_label: str = ""
    working: bool = False
    # Picking new times on the grid: the dialog is closed meanwhile.
    picking: bool = False
    picking_text: str = ""
    picked: str = ""
    _interview_id: int = 0
    _slot_id: int = 0
    _fingerprint: str = ""
    _data: Any = None
    _slot_ids: list[int] = []
    _invitation_ids: list[int] = []
    _location_ids: list[int] = []
    _pending_starts: list[str] = []
    _pending: dict[str, Any] = {}

    def reset_dialogs(self) -> None:
        """Closed, with nothing pending (the calendar's load calls it)."""
        self.detail_open = self.confirm_open = self.working = self.picking = False
        self._pending = {}
        self.message = self.picked = ""

    @rx.event
    async def start_picking(self):
        """Close the dialog to pick new times by clicking the grid (see `pick`)."""
        from planner.state.calendar import CalendarState

        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        if not self.can_manage:
            return None
        self.picking, self.detail_open, self.picked = True, False, ""
        tr = translator(actor.locale)
        self.picking_text = tr(
            "Click a time on the calendar to offer it for “{title}”.", title=self.title
        )
        calendar = await self.get_state(CalendarState)
        return await calendar.show_grid(actor)

    @rx.event
    def stop_picking(self):
        """Back to the dialog, with the picked times in its list of times to offer."""
        self.picking, self.detail_open, self.picked = False, True, ""
        return rx.call_script(FOCUS_ADD_TIMES)

    async def pick(self, actor: Actor, clicked: str) -> None:
        """A click on the grid while picking: `clicked` an ISO time with offset (the grid
        draws the user's zone) becomes a time to offer."""
        tr = translator(actor.locale)
        try:
            start = datetime.fromisoformat(clicked)
        except ValueError:
            return
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(actor.time_zone))
        if start <= utcnow():
            self.picked = tr("Choose a time in the future.")
            return
        if offered_already(self._overview(), start):
            self.picked = tr("That time is offered already.")
            return
        iso = start.astimezone(ZoneInfo(actor.time_zone)).isoformat()
        if iso not in self._pending_starts:
            self._pending_starts = sorted([*self._pending_starts, iso])
        self._show_pending(actor)
        ov = self._overview()
        minutes = ov.duration_minutes if ov is not None else 30
        self.picked = tr(
            "Added: {when}", when=_when(actor, start, start + timedelta(minutes=minutes))
        )

    async def open_interview(self, actor: Actor, interview_id: int, slot_id: int) -> None:
        """Open the dialog on one interview; `slot_id` the entry clicked (its time is "when")."""
        try:
            data = await asyncio.to_thread(read_detail, actor, interview_id)
        except PlannerError as exc:
            self.message, self.message_kind = error_text(actor, exc), "error"
            return
        self._interview_id, self._slot_id = interview_id, slot_id
        self.message, self.confirm_open, self._pending = "", False, {}
        self.add_date = self.add_time = ""
        self.pending_times, self._pending_starts = [], []
        self.show_detail(actor, data, fresh=True)
        self.detail_open = True

    def show_detail(self, actor: Actor, data: DetailData, *, fresh: bool = False) -> None:
        """Put `data` into the dialog; the edit form is reset only when `fresh` (a live
        refresh keeps what the user is typing)."""
        tr = translator(actor.locale)
        ov = data.overview
        self._data = data
        self._fingerprint = ov.fingerprint
        self.title = ov.title
        self.status = ov.status
        self.status_label = (
            tr("Interview cancelled")
            if ov.status == "cancelled"
            else tr("Organised by {name}", name=ov.organiser_name)
        )
        self.can_manage = ov.status != "cancelled"
        shown = next((s for s in ov.slots if s.slot_id == self._slot_id), None)
        if shown is None or shown.status != "offered":
            shown = next((s for s in ov.slots if s.booked and s.status == "offered"), None)
        self.when = _when(actor, shown.start_at, shown.end_at) if shown is not None else ""
        if ov.meeting_kind != NO_PLACE:
            self.place = MEETINGS.get(ov.meeting_kind, ov.meeting_kind)
        else:
            self.place = ", ".join(p for p in (ov.location_name, ov.location_address) if p) or tr(
                "No place chosen yet"
            )
        # Each booking has its own meeting (a Jitsi room, the organiser's Teams/Meet/Zoom):
        # the link of the time shown, not always the first booking's.
        url = (shown.meeting_url if shown is not None else "") or ov.meeting_url
        self.meeting_url, self.host_url = url, url if ov.host_url else ""
        self.organiser, self.job = ov.organiser_name, ov.job_title
        self.participants = [
            ParticipantView(
                name=p.name,
                organiser=p.is_organiser,
                sync_state=p.sync_state,
                sync_label=_sync_label(tr, p.sync_state),
                # A cancelled interview has nothing booked, and nothing will be.
                event_label=tr("Interview cancelled")
                if ov.status == "cancelled"
                else _event_label(tr, p.event_state),
            )
            for p in ov.participants
        ]
        self._invitation_ids = [c.invitation_id for c in ov.candidates]
        booked_slots = {s.slot_id: s for s in ov.slots}
        views = []
        for index, c in enumerate(ov.candidates):
            slot = booked_slots.get(c.booked_slot_id or 0)
            if c.status == "booked" and slot is not None:
                detail = tr("Booked: {when}", when=_when(actor, slot.start_at, slot.end_at))
            elif c.status == "invited":
                detail = tr(
                    "Link valid until {day}",
                    day=format_day(c.expires_at, locale=actor.locale, time_zone=actor.time_zone),
                )
            else:
                detail = ""
            views.append(
                CandidateView(
                    key=index,
                    name=c.name,
                    href=routes.candidate_url(c.candidate_id),
                    status=c.status,
                    status_label=candidate_status_label(tr, c.status),
                    detail=detail,
                    comments=[
                        CommentLine(
                            label=_comment_label(tr, actor, m.kind, m.created_at), body=m.body
                        )
                        for m in c.comments
                    ],
                    can_resend=self.can_manage and c.status != "booked",
                )
            )
        self.candidates = views
        offered = [s for s in ov.slots if s.status == "offered"]
        self._slot_ids = [s.slot_id for s in offered]
        self.slots = [
            SlotView(
                key=index,
                label=_when(actor, s.start_at, s.end_at),
                booked=s.booked > 0,
                names=", ".join(s.candidate_names),
            )
            for index, s in enumerate(offered)
        ]
        self._location_ids = [location_id for location_id, _label in data.locations]
        options = [PlaceOption(value=NO_PLACE, label=tr("No place chosen yet"))]
        options += [
            PlaceOption(value=f"loc-{i}", label=label)
            for i, (_id, label) in enumerate(data.locations)
        ]
        kinds = list(data.meeting_kinds)
        if ov.meeting_kind != NO_PLACE and ov.meeting_kind not in kinds:
            kinds.append(ov.meeting_kind)
        options += [
            PlaceOption(value=f"online-{kind}", label=MEETINGS.get(kind, kind)) for kind in kinds
        ]
        self.place_options = options
        if fresh:
            self.edit_title = ov.title
            self.edit_place = _place_value(ov, self._location_ids)

    async def _reread(self, actor: Actor) -> None:
        try:
            data = await asyncio.to_thread(read_detail, actor, self._interview_id)
        except PlannerError as exc:
            self.message, self.message_kind = error_text(actor, exc), "error"
            return
        self.show_detail(actor, data, fresh=True)

    # ------------------------------------------------------------------ dialog plumbing

    @rx.event
    def detail_changed(self, is_open: bool):
        """The dialog asks to close (Escape, Close): closes unless an action is working, and
        gives the focus back to the entry that opened it."""
        if not is_open and not self.working:
            self.detail_open = self.confirm_open = False
            self._pending = {}
            return rx.call_script(RETURN_FOCUS)
        return None

    @rx.event
    def confirm_changed(self, is_open: bool):
        """The confirmation asks to close (Escape, Go back): nothing is done."""
        if not is_open and not self.working:
            self.confirm_open = False
            self._pending = {}

    @rx.event
    def set_edit_title(self, value: str):
        self.edit_title = value[:200]

    @rx.event
    def set_edit_place(self, value: str):
        if any(option.value == value for option in self.place_options):
            self.edit_place = value

    @rx.event
    def set_add_date(self, value: str):
        self.add_date = value[:10]

    @rx.event
    def set_add_time(self, value: str):
        self.add_time = value[:5]

    def _ask(self, action: dict[str, Any], title: str, text: str, label: str):  # type: ignore[no-untyped-def]
        self._pending = {**action, "expected": self._fingerprint}
        self.confirm_title, self.confirm_text, self.confirm_label = title, text, label
        self.confirm_open = True
        self.message = ""
        return rx.call_script(FOCUS_CONFIRM)

    def _overview(self) -> InterviewOverview | None:
        return self._data.overview if isinstance(self._data, DetailData) else None

    # ------------------------------------------------------------------ asking first

    @rx.event
    async def ask_cancel(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        ov = self._overview()
        if ov is None or not self.can_manage:
            return None
        tr = translator(actor.locale)
        told = [
            f"{name} ({tr('booked') if booked else tr('still choosing')})"
            for name, booked in told_on_cancel(ov)
        ]
        parts = [
            tr("These candidates are told: {names}.", names=", ".join(told))
            if told
            else tr("No candidate needs to be told.")
        ]
        if any(c.status == "booked" for c in ov.candidates):
            synced = [p.name for p in ov.participants if p.event_state in ("created", "pending")]
            mailed = [p.name for p in ov.participants if p.event_state == "not_synced"]
            if synced:
                parts.append(
                    tr(
                        "The interview is removed from the calendars of {names}.",
                        names=", ".join(synced),
                    )
                )
            if mailed:
                parts.append(tr("{names} get a cancellation by e-mail.", names=", ".join(mailed)))
        return self._ask(
            {"kind": "cancel"},
            tr("Cancel “{title}”?", title=ov.title),
            " ".join(parts),
            tr("Cancel the interview"),
        )

    @rx.event
    async def ask_remove_slot(self, key: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if not 0 <= key < len(self._slot_ids) or not self.can_manage:
            return None
        tr = translator(actor.locale)
        slot = self.slots[key]
        if slot.booked:
            text = tr(
                "{when} is no longer offered. {names} booked it: the booking is cancelled, "
                "they are told and may pick another time.",
                when=slot.label,
                names=slot.names,
            )
        else:
            text = tr(
                "{when} is no longer offered. Candidates still choosing no longer see it.",
                when=slot.label,
            )
        return self._ask(
            {"kind": "remove_slot", "slot_id": self._slot_ids[key]},
            tr("Remove this time?"),
            text,
            tr("Remove the time"),
        )

    @rx.event
    async def add_pending_time(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        try:
            day = date.fromisoformat(self.add_date)
            clock = time.fromisoformat(self.add_time)
        except ValueError:
            self.message, self.message_kind = tr("Choose a date and a start time."), "error"
            return rx.call_script(SHOW_MESSAGE)
        start = datetime.combine(day, clock, tzinfo=ZoneInfo(actor.time_zone))
        if start <= utcnow():
            self.message, self.message_kind = tr("Choose a time in the future."), "error"
            return rx.call_script(SHOW_MESSAGE)
        if offered_already(self._overview(), start):
            self.message, self.message_kind = tr("That time is offered already."), "error"
            return rx.call_script(SHOW_MESSAGE)
        iso = start.isoformat()
        if iso not in self._pending_starts:
            self._pending_starts = sorted([*self._pending_starts, iso])
        self._show_pending(actor)
        self.add_time, self.message = "", ""
        return None

    def _show_pending(self, actor: Actor) -> None:
        ov = self._overview()
        minutes = ov.duration_minutes if ov is not None else 30
        self.pending_times = [
            PendingTime(
                key=i,
                label=_when(
                    actor,
                    datetime.fromisoformat(s),
                    datetime.fromisoformat(s) + timedelta(minutes=minutes),
                ),
            )
            for i, s in enumerate(self._pending_starts)
        ]

    @rx.event
    async def drop_pending_time(self, key: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        self._pending_starts = [s for i, s in enumerate(self._pending_starts) if i != key]
        self._show_pending(actor)
        return None

    @rx.event
    async def ask_add_times(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        ov = self._overview()
        if ov is None or not self.can_manage:
            return None
        if not self._pending_starts:
            self.message, self.message_kind = tr("Add at least one time first."), "error"
            return rx.call_script(SHOW_MESSAGE)
        parts = [tr("New times: {times}.", times="; ".join(p.label for p in self.pending_times))]
        choosing = choosing_names(ov)
        no_fit = [c.name for c in ov.candidates if c.status == "no_fit"]
        if choosing:
            parts.append(
                tr("Candidates still choosing see them: {names}.", names=", ".join(choosing))
            )
        if no_fit:
            parts.append(
                tr(
                    "These candidates said no time fits and get a mail with the new times: "
                    "{names}.",
                    names=", ".join(no_fit),
                )
            )
        return self._ask(
            {"kind": "add", "starts": list(self._pending_starts)},
            tr("Offer more times?"),
            " ".join(parts),
            tr("Offer the times"),
        )

    @rx.event
    async def ask_update(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        ov = self._overview()
        if ov is None or not self.can_manage:
            return None
        title = " ".join(self.edit_title.split())
        action: dict[str, Any] = {"kind": "update"}
        changes = []
        if title and title != ov.title:
            action["title"] = title
            changes.append(tr("title “{value}”", value=title))
        if self.edit_place != _place_value(ov, self._location_ids):
            action["place"] = self.edit_place
            label = next((o.label for o in self.place_options if o.value == self.edit_place), "")
            changes.append(tr("place “{value}”", value=label))
        if not title:
            self.message, self.message_kind = tr("The title cannot be empty."), "error"
            return rx.call_script(SHOW_MESSAGE)
        if not changes:
            self.message, self.message_kind = tr("Nothing has changed."), "info"
            return rx.call_script(SHOW_MESSAGE)
        place = self.edit_place if "place" in action else None
        effect = change_effect(tr, ov, place)
        return self._ask(
            action,
            tr("Save the changes?"),
            tr("Changes: {changes}.", changes=", ".join(changes)) + " " + effect,
            tr("Save the changes"),
        )

    @rx.event
    async def ask_resend(self, key: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        key = int(key)
        if not 0 <= key < len(self._invitation_ids) or not self.can_manage:
            return None
        tr = translator(actor.locale)
        name = self.candidates[key].name
        return self._ask(
            {"kind": "resend", "invitation_id": self._invitation_ids[key], "name": name},
            tr("Send {name} a new link?", name=name),
            tr(
                "{name} gets a new invitation mail with a new link. The old link stops working.",
                name=name,
            ),
            tr("Send a new link"),
        )

    # ------------------------------------------------------------------ doing it

    @rx.event
    async def confirm(self):
        actor = await signed_in_actor(self)
        if actor is None:
            yield sign_in_redirect(self)
            return
        pending, self._pending = self._pending, {}
        if not pending or self.working:
            return  # a second click: the first one does it
        self.working = True
        yield
        tr = translator(actor.locale)
        try:
            result = await asyncio.to_thread(
                _perform, actor, self._interview_id, self._location_ids, pending
            )
        except PlannerError as exc:
            self.message, self.message_kind = error_text(actor, exc), "error"
        else:
            self.message, self.message_kind = _outcome(tr, pending, result), "success"
            if pending["kind"] == "add":
                self.pending_times, self._pending_starts = [], []
        finally:
            self.working = False
            self.confirm_open = False
        await self._reread(actor)
        from planner.state.calendar import CalendarState

        calendar = await self.get_state(CalendarState)
        await calendar.after_action(actor)
        yield rx.call_script(FOCUS_OUTCOME)


def _perform(actor: Actor, interview_id: int, location_ids: list[int], action: dict) -> Any:
    """Carries out a confirmed action (blocking DB work: run it in a thread)."""
    now, expected = utcnow(), action.get("expected")
    with session_scope() as session:
        kind = action["kind"]
        if kind == "cancel":
            return scheduling.cancel_interview(
                session=session, actor=actor, interview_id=interview_id, now=now, expected=expected
            )
        if kind == "remove_slot":
            return scheduling.remove_slot(
                session=session, actor=actor, slot_id=action["slot_id"], now=now, expected=expected
            )
        if kind == "add":
            return scheduling.add_slots(
                session=session,
                actor=actor,
                interview_id=interview_id,
                starts=[datetime.fromisoformat(s) for s in action["starts"]],
                now=now,
                expected=expected,
            )
        if kind == "resend":
            return scheduling.resend_invitation(
                session=session,
                actor=actor,
                invitation_id=action["invitation_id"],
                now=now,
                expected=expected,
            )
        changes: dict[str, Any] = {}
        if "title" in action:
            changes["title"] = action["title"]
        place = action.get("place")
        if place == NO_PLACE:
            changes.update(clear_location=True, meeting_kind=NO_PLACE)
        elif isinstance(place, str) and place.startswith("loc-"):
            changes.update(location_id=location_ids[int(place[4:])], meeting_kind=NO_PLACE)
        elif isinstance(place, str) and place.startswith("online-"):
            changes.update(meeting_kind=place[7:], clear_location=True)
        return scheduling.update_interview(
            session=session,
            actor=actor,
            interview_id=interview_id,
            now=now,
            expected=expected,
            **changes,
        )


def _outcome(tr: Translator, action: dict, result: Any) -> str:
    kind = action["kind"]
    if kind == "cancel":
        return tr.plural(
            "Interview cancelled. {count} candidate has been told.",
            "Interview cancelled. {count} candidates have been told.",
            result.candidates_told,
        )
    if kind == "remove_slot":
        return (
            tr("Time removed. The candidate who had booked it has been told.")
            if result
            else tr("Time removed.")
        )
    if kind == "add":
        text = tr.plural("{count} time added.", "{count} times added.", result.added)
        if result.no_fit_told:
            text += " " + tr.plural(
                "{count} candidate who said no time fits has been mailed the new times.",
                "{count} candidates who said no time fits have been mailed the new times.",
                result.no_fit_told,
            )
        return text
    if kind == "resend":
        return tr(
            "A new link was sent to {name}. The old link no longer works.", name=action["name"]
        )
    text = tr("Changes saved.")
    if result.bookings_updated:
        text += " " + tr.plural(
            "{count} booked candidate gets the change by e-mail; the synced calendars follow.",
            "{count} booked candidates get the change by e-mail; the synced calendars follow.",
            result.bookings_updated,
        )
    return text
