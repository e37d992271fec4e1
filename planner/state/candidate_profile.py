"""A candidate's page: contact data, interviews with status, times and comments, previous-
calendar appointments; for admins, export of their data and erasure (GDPR art. 15 and 17)."""

import asyncio
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import reflex as rx

from planner import routes
from planner.db import session_scope
from planner.domain.tokens import new_token
from planner.i18n import language_name
from planner.i18n.catalogues import Translator, translator
from planner.i18n.dates import format_day, format_time_range, format_weekday_date
from planner.models.base import utcnow
from planner.services import candidate_profile, interview_overview, privacy
from planner.services.actor import Actor
from planner.services.candidate_profile import CandidateProfile, ProfileInterview
from planner.services.errors import NotFound, PlannerError
from planner.state.guard import signed_in_actor
from planner.state.imports import FOCUS_HEADING
from planner.state.live import needs_watch, watch_activity
from planner.state.session import error_text, sign_in_redirect


@dataclass(frozen=True)
class CommentView:
    label: str
    body: str


@dataclass(frozen=True)
class InterviewView:
    key: int
    title: str
    status: str
    status_label: str
    times: list[str]
    comments: list[CommentView]
    calendar_href: str


@dataclass(frozen=True)
class AppointmentView:
    title: str
    when: str
    place: str


def _read(actor: Actor, candidate_id: int) -> "tuple[int, CandidateProfile | None]":
    """The account's activity marker and the profile (None: no such candidate here);
    blocking DB work, run it in a thread."""
    with session_scope() as session:
        marker = interview_overview.activity_marker(session=session, actor=actor)
        try:
            profile = candidate_profile.candidate_profile(
                session=session, actor=actor, candidate_id=candidate_id
            )
        except NotFound:
            return marker, None
    return marker, profile


def candidate_id_from_path(path: str) -> int:
    """The id in `/candidates/<id>`, or 0."""
    parts = [part for part in path.split("/") if part]
    if len(parts) == 2 and parts[0] == "candidates" and parts[1].isdigit() and len(parts[1]) < 12:
        return int(parts[1])
    return 0


def _status_label(tr: Translator, interview_status: str, invitation_status: str) -> str:
    if interview_status == "cancelled":
        return tr("Interview cancelled")
    return {
        "invited": tr("Awaiting choice"),
        "booked": tr("Booked"),
        "no_fit": tr("No time fits"),
        "cancelled": tr("Cancelled by the candidate"),
        "expired": tr("Link expired"),
        "withdrawn": tr("Withdrawn"),
    }.get(invitation_status, invitation_status)


def _calendar_href(item: ProfileInterview, zone: str) -> str:
    """The calendar's week of the interview's booked (else first offered) time, or ""."""
    active = [b.start for b in item.bookings if b.status == "active"]
    first = (active or [start for start, _end in item.offered] or [None])[0]
    if first is None:
        return ""
    return f"{routes.CALENDAR}?date={first.astimezone(ZoneInfo(zone)).date().isoformat()}"


class CandidateProfileState(rx.State):
    """One candidate of the account, by the id in the address."""

    loaded: bool = False
    found: bool = False
    is_admin: bool = False
    erased: bool = False
    name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    time_zone: str = ""
    job: str = ""
    interviews: list[InterviewView] = []
    appointments: list[AppointmentView] = []
    status_message: str = ""
    confirm_open: bool = False
    confirm_text: str = ""
    _candidate_id: int = 0
    _request_key: str = ""
    # The live loop (planner/state/live.py).
    _watching: bool = False
    _watch_beat: float = 0.0
    _watch_run: int = 0
    _marker: int = 0

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._candidate_id = candidate_id_from_path(self.router.url.path)
        self.status_message, self.confirm_open = "", False
        self._show_read(actor, await asyncio.to_thread(_read, actor, self._candidate_id))
        events: list = [rx.call_script(FOCUS_HEADING)]
        if self.found and needs_watch(self):
            events.append(CandidateProfileState.watch)
        return events

    def _fill(self, actor: Actor) -> None:
        self._show_read(actor, _read(actor, self._candidate_id))

    def _show_read(self, actor: Actor, read: "tuple[int, CandidateProfile | None]") -> None:
        self.is_admin = actor.is_admin
        self._marker, profile = read
        if profile is None:
            self.found, self.loaded = False, True
            self.name = ""
            return
        self._show(actor, profile)
        self.found = self.loaded = True

    @rx.event(background=True)
    async def watch(self):
        """Shows the candidate's bookings, cancellations and comments without a reload."""
        await watch_activity(
            self, on_page=lambda path: path.startswith(routes.CANDIDATES + "/"), refresh=self._live
        )

    async def _live(self, actor: Actor) -> None:
        async with self:
            candidate_id = self._candidate_id
        read = await asyncio.to_thread(_read, actor, candidate_id)
        async with self:
            if self._candidate_id == candidate_id:
                self._show_read(actor, read)

    def _show(self, actor: Actor, profile: CandidateProfile) -> None:
        lang, zone = actor.locale, actor.time_zone
        tr = translator(lang)
        when = lambda start, end: (  # noqa: E731
            f"{format_weekday_date(start, locale=lang, time_zone=zone)}, "
            f"{format_time_range(start, end, locale=lang, time_zone=zone)}"
        )
        self.erased = profile.erased
        self.name = tr("Erased candidate") if profile.erased else profile.name
        self.email, self.phone = profile.email, profile.phone or "—"
        self.language = language_name(profile.locale, in_locale=lang)
        self.time_zone, self.job = profile.time_zone, profile.job_title or "—"
        self.interviews = [
            InterviewView(
                key=index,
                title=item.title,
                status=item.invitation_status,
                status_label=_status_label(tr, item.interview_status, item.invitation_status),
                times=[
                    (
                        tr("Booked: {when}", when=when(b.start, b.end))
                        if b.status == "active"
                        else tr("Cancelled: {when}", when=when(b.start, b.end))
                    )
                    for b in item.bookings
                ]
                + [tr("Offered: {when}", when=when(start, end)) for start, end in item.offered],
                calendar_href=_calendar_href(item, zone),
                comments=[
                    CommentView(
                        label=(
                            tr(
                                "No time fits, {day}",
                                day=format_day(c.created_at, locale=lang, time_zone=zone),
                            )
                            if c.kind == "no_fit"
                            else tr(
                                "Cancellation, {day}",
                                day=format_day(c.created_at, locale=lang, time_zone=zone),
                            )
                        ),
                        body=c.body,
                    )
                    for c in item.comments
                ],
            )
            for index, item in enumerate(profile.interviews)
        ]
        self.appointments = [
            AppointmentView(
                title=a.title,
                when=(
                    format_weekday_date(a.start, locale=lang, time_zone=zone)
                    if a.all_day
                    else when(a.start, a.end)
                ),
                place=a.location,
            )
            for a in profile.appointments
        ]

    @rx.event
    async def export(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        try:
            with session_scope() as session:
                data = privacy.export_candidate(
                    session=session,
                    actor=actor,
                    candidate_id=self._candidate_id,
                    request_key=new_token()[:40],
                    now=utcnow(),
                )
        except PlannerError as exc:
            self.status_message = error_text(actor, exc)
            return None
        self.status_message = translator(actor.locale)("The candidate's data was exported.")
        return rx.download(
            data=json.dumps(data, ensure_ascii=False, indent=2),
            filename=f"candidate-{self._candidate_id}.json",
            mime_type="application/json",
        )

    @rx.event
    async def ask_erase(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        upcoming = sum(1 for item in self.interviews if item.status == "booked")
        self.confirm_text = tr(
            "Erase {name}? Their booked upcoming interviews ({count}) are cancelled and they "
            "and the staff are told; the interviews leave the staff's calendars. Then their "
            "name, e-mail, phone, comments, links, mails about them and appointments of the "
            "previous calendar naming them are deleted for good. This cannot be undone.",
            name=self.name,
            count=upcoming,
        )
        self._request_key = new_token()[:40]
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
    async def erase(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.confirm_open = False
        tr = translator(actor.locale)
        try:
            with session_scope() as session:
                report = privacy.erase_candidate(
                    session=session,
                    actor=actor,
                    candidate_id=self._candidate_id,
                    request_key=self._request_key or new_token()[:40],
                    now=utcnow(),
                )
        except PlannerError as exc:
            self.status_message = error_text(actor, exc)
            return None
        self._fill(actor)
        self.status_message = tr(
            "The candidate was erased: {cancelled} interviews cancelled with notice, "
            "{appointments} appointments deleted.",
            cancelled=report.cancelled_interviews,
            appointments=report.deleted_appointments,
        )
        return None
