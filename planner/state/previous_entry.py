"""The interview calendar's view of an appointment of the previous calendar: read-only
details and delete (a small state apart from the calendar's own)."""

import reflex as rx

from planner.db import session_scope
from planner.i18n.catalogues import translator
from planner.i18n.dates import format_time_range, format_weekday_date
from planner.services import previous_calendar
from planner.services.errors import PlannerError
from planner.state.guard import signed_in_actor
from planner.state.session import error_text, sign_in_redirect


class PreviousEntryState(rx.State):
    """The open appointment; its id stays on the server."""

    open: bool = False
    confirming: bool = False
    title: str = ""
    when: str = ""
    people: str = ""
    place: str = ""
    message: str = ""
    announcement: str = ""
    _appointment_id: int = 0

    @rx.event
    async def show(self, key: int):
        """Open the calendar entry number `key` (CalendarState's list) if it is one."""
        from planner.state.calendar import CalendarState

        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        calendar = await self.get_state(CalendarState)
        key = int(key)
        if not 0 <= key < len(calendar._entry_refs) or calendar._entry_refs[key][0] != 0:
            return None
        try:
            with session_scope() as session:
                row = previous_calendar.get_appointment(
                    session=session, actor=actor, appointment_id=calendar._entry_refs[key][1]
                )
        except PlannerError as exc:
            self.message = error_text(actor, exc)
            return None
        lang, zone = actor.locale, actor.time_zone
        self._appointment_id = row.id
        self.title, self.place = row.title, row.location
        self.when = (
            format_weekday_date(row.start, locale=lang, time_zone=zone)
            if row.all_day
            else f"{format_weekday_date(row.start, locale=lang, time_zone=zone)}, "
            f"{format_time_range(row.start, row.end, locale=lang, time_zone=zone)}"
        )
        self.people = ", ".join((*row.candidates, *row.staff, *row.others))
        self.message, self.confirming, self.open = "", False, True
        return None

    @rx.event
    def close(self):
        self.open = self.confirming = False

    @rx.event
    def ask_delete(self):
        self.confirming = True

    @rx.event
    async def delete(self):
        from planner.state.calendar import CalendarState

        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        if self._appointment_id:
            with session_scope() as session:
                previous_calendar.delete_appointment(
                    session=session, actor=actor, appointment_id=self._appointment_id
                )
        self._appointment_id = 0
        self.open = self.confirming = False
        calendar = await self.get_state(CalendarState)
        await calendar.after_action(actor)
        self.announcement = translator(actor.locale)("Appointment deleted.")
        return None
