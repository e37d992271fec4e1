"""The candidate's booking page: offered times in their zone and language, book, cancel,
or say that no time fits. Reached only through the link token in the address."""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

import reflex as rx

from planner import routes
from planner.db import session_scope
from planner.i18n.catalogues import translator
from planner.i18n.dates import format_time_range, format_weekday_date, format_when, zone_name
from planner.models.base import utcnow
from planner.services import booking, notifications
from planner.services.booking import Outcome
from planner.services.errors import InvalidInput
from planner.settings import get_settings


@dataclass(frozen=True)
class TimeChoice:
    """One offered time as the candidate reads it."""

    slot_id: int
    label: str


@dataclass(frozen=True)
class DayChoices:
    day: str
    times: list[TimeChoice]


def _texts(locale: str) -> dict[str, str]:
    """Every fixed text of the page, translated (message catalogues, not code)."""
    tr = translator(locale)
    return {
        "choose_title": tr("Choose a time for your interview"),
        "times_in": tr("Times are shown in {zone}.", zone="{zone}"),
        "book": tr("Book this time"),
        "none_fit": tr("None of these times work for me"),
        "no_fit_intro": tr("Tell us when you could meet instead. The team will get back to you."),
        "comment_label": tr("Your comment"),
        "send": tr("Send"),
        "back": tr("Back"),
        "confirmed_title": tr("Your interview is booked"),
        "add_ics": tr("Download calendar file (.ics)"),
        "add_google": tr("Add to Google Calendar"),
        "add_outlook": tr("Add to Outlook"),
        "cancel_booking": tr("Cancel this interview"),
        "cancel_intro": tr("Please tell us why you cancel. The time will be freed for others."),
        "confirm_cancel": tr("Cancel the interview"),
        "where": tr("Where"),
        "when": tr("When"),
        "online": tr("Online meeting"),
        "link_invalid": tr("This link is not valid. Please use the link from your invitation."),
        "expired": tr("This invitation has expired. Please contact the recruiter."),
        "withdrawn": tr("This interview has been cancelled. Please contact the recruiter."),
        "taken": tr("That time was just taken. Please choose another."),
        "unavailable": tr("That time is no longer available. Please choose another."),
        "no_times": tr("No times are available right now. You can leave a comment instead."),
        "commented": tr("Thank you. The team has your comment and will get back to you."),
        "cancelled": tr("Your interview is cancelled. You can choose another time below."),
        "said_no_fit": tr("You told us none of the times fit. You can still choose one."),
        "comment_required": tr("Please write a few words."),
        "minutes": tr("{minutes} minutes", minutes="{minutes}"),
    }


class BookingPageState(rx.State):
    """View models only: texts, times and what to show. The link token stays in the address
    and is read from it for every action; no ids beyond the offered slots reach the page."""

    loaded: bool = False
    view: str = "invalid"  # invalid | choose | booked | no_fit_form | cancel_form | commented
    notice: str = ""
    notice_kind: str = "info"
    lang: str = "en"
    texts: dict[str, str] = {}
    title: str = ""
    candidate_name: str = ""
    duration: str = ""
    zone_note: str = ""
    place: str = ""
    meeting: str = ""
    days: list[DayChoices] = []
    selected: int = -1
    booked_when: str = ""
    google_url: str = ""
    outlook_url: str = ""
    ics_url: str = ""
    comment: str = ""
    comment_error: str = ""
    busy: bool = False

    def _token(self) -> str:
        return routes.token_from_path(self.router.url.path)

    @rx.event
    async def load(self):
        self.notice, self.comment, self.comment_error, self.selected = "", "", "", -1
        await self._refresh()

    async def _refresh(self, *, keep_view: bool = False) -> None:
        # Database work runs in a worker thread: on the event loop it would hold up every
        # other candidate's websocket on this process (issue 15, finding 10).
        token = self._token()
        now = utcnow()
        found, links = await asyncio.to_thread(_read_page, token, now)
        self._show_page(token, now, found, links, keep_view=keep_view)

    def _show_page(
        self,
        token: str,
        now: datetime,
        found: booking.CandidateView | None,
        links: tuple[str, str],
        *,
        keep_view: bool,
    ) -> None:
        self.loaded = True
        if found is None:
            self.texts = _texts(self.lang)
            self.view = "invalid"
            self._notice(self.texts["link_invalid"], "error")
            return
        self.lang = found.locale
        texts = _texts(found.locale)
        self.texts = texts
        self.title = found.interview_title
        self.candidate_name = found.candidate_name
        self.duration = texts["minutes"].replace("{minutes}", str(found.duration_minutes))
        self.zone_note = texts["times_in"].replace(
            "{zone}", zone_name(now, locale=found.locale, time_zone=found.time_zone)
        )
        self.place = ", ".join(p for p in (found.location_name, found.location_address) if p)
        self.meeting = texts["online"] if found.meeting_kind != "none" else ""
        self.days = [
            DayChoices(
                day=day,
                times=[TimeChoice(slot_id=t.slot_id, label=label) for t, _d, label in group],
            )
            for day, group in groupby(
                (
                    (t, *self._day_and_time(t.start_at, t.end_at, found.locale, found.time_zone))
                    for t in found.open_slots
                ),
                key=lambda item: item[1],
            )
        ]
        if not found.usable:
            self.view = "invalid"
            self._notice(texts["withdrawn" if found.reason == "withdrawn" else "expired"], "error")
            return
        if found.booked is not None:
            self.view = "booked"
            self.booked_when = format_when(
                found.booked.start_at, found.booked.end_at,
                locale=found.locale, time_zone=found.time_zone,
            )  # fmt: skip
            self.google_url, self.outlook_url = links
            self.ics_url = f"/book/{token}/interview.ics"
            return
        if keep_view:
            return
        self.view = "choose"
        if found.status == "no_fit":
            self._notice(texts["said_no_fit"], "info")
        elif found.status == "cancelled":
            self._notice(texts["cancelled"], "info")
        if not found.open_slots:
            self._notice(texts["no_times"], "info")

    @staticmethod
    def _day_and_time(start, end, locale: str, zone: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        """('Thursday, December 3, 2026', '10:00 – 10:45') in the candidate's language and zone."""
        return (
            format_weekday_date(start, locale=locale, time_zone=zone),
            format_time_range(start, end, locale=locale, time_zone=zone),
        )

    def _notice(self, text: str, kind: str) -> None:
        self.notice, self.notice_kind = text, kind

    @rx.event
    def select(self, slot_id: int):
        self.selected = int(slot_id)
        self.notice = ""

    @rx.event
    async def book_selected(self):
        if self.selected < 0:
            return
        result = await asyncio.to_thread(_book, self._token(), self.selected)
        self.selected = -1
        await self._refresh()
        if result.outcome is Outcome.SLOT_TAKEN:
            self._notice(self.texts["taken"], "error")
        elif result.outcome in (Outcome.SLOT_UNAVAILABLE, Outcome.ALREADY_BOOKED):
            self._notice(self.texts["unavailable"], "error")

    @rx.event
    def set_comment(self, value: str):
        self.comment = value[: booking.MAX_COMMENT]
        self.comment_error = ""

    @rx.event
    async def show(self, view: str):
        if view in ("choose", "no_fit_form", "cancel_form", "booked"):
            self.view = view
            self.comment, self.comment_error, self.notice = "", "", ""
            if view in ("choose", "booked"):
                await self._refresh()

    @rx.event
    async def send_comment(self):
        no_fit = self.view == "no_fit_form"
        result = await asyncio.to_thread(_comment, self._token(), self.comment, no_fit=no_fit)
        if result is None:
            self.comment_error = self.texts["comment_required"]
            return
        self.comment = ""
        if result.outcome is Outcome.COMMENTED:
            self.view = "commented"
            self._notice(self.texts["commented"], "success")
        elif result.outcome is Outcome.CANCELLED:
            await self._refresh()
            self._notice(self.texts["cancelled"], "success")
        else:
            await self._refresh()


# --- database work, run in a worker thread -------------------------------------------------


def _read_page(token: str, now: datetime) -> tuple[booking.CandidateView | None, tuple[str, str]]:
    """What the link shows, and the calendar links of its booking ("" when none)."""
    with session_scope() as session:
        found = booking.candidate_view(session=session, token=token, now=now)
        booking_id = None
        if found is not None and found.booked is not None:
            booking_id = booking.active_booking_id(session=session, token=token)
        if booking_id is None:
            return found, ("", "")
        links = notifications.booking_calendar_links(
            session=session,
            booking_id=booking_id,
            link=routes.booking_url(get_settings().base_url, token),
        )
        return found, links


def _book(token: str, slot_id: int) -> booking.Result:
    with session_scope() as session:
        try:
            return booking.book(session=session, token=token, slot_id=slot_id, now=utcnow())
        except InvalidInput:
            return booking.Result(Outcome.SLOT_UNAVAILABLE)


def _comment(token: str, comment: str, *, no_fit: bool) -> booking.Result | None:
    """The candidate's no-fit comment or cancellation; None when the comment is refused."""
    action = booking.no_fit if no_fit else booking.cancel
    with session_scope() as session:
        try:
            return action(session=session, token=token, comment=comment, now=utcnow())
        except InvalidInput:
            return None
