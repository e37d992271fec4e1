"""The interview overview page."""

from dataclasses import dataclass

import reflex as rx

from planner.db import session_scope
from planner.services import interviews
from planner.state.guard import signed_in_actor
from planner.state.session import sign_in_redirect

STATUS_LABELS = {
    "draft": "Draft",
    "open": "Awaiting candidates",
    "closed": "Closed",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class InterviewView:
    """One interview as the overview lists it."""

    title: str
    status: str
    status_label: str
    duration: str
    organiser: str


class CalendarState(rx.State):
    """The account's interviews."""

    rows: list[InterviewView] = []
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        with session_scope() as session:
            found = interviews.list_interviews(session=session, actor=actor)
        self.rows = [
            InterviewView(
                title=row.title,
                status=row.status,
                status_label=STATUS_LABELS.get(row.status, row.status),
                duration=f"{row.duration_minutes} min",
                organiser=row.organiser_name,
            )
            for row in found
        ]
        self.loaded = True
        return None
