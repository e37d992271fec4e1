"""The admin page: the account's staff users and their calendar-sync status."""

from dataclasses import dataclass

import reflex as rx

from planner.db import session_scope
from planner.i18n import language_name
from planner.services import staff
from planner.state.guard import signed_in_actor
from planner.state.session import sign_in_redirect

SYNC_LABELS = {
    "not_invited": "Not invited",
    "invited": "Invited",
    "synced": "Synced",
    "error": "Error",
    "disconnected": "Disconnected",
}
ROLE_LABELS = {"admin": "Admin", "recruiter": "Recruiter", "hiring_manager": "Hiring manager"}


@dataclass(frozen=True)
class StaffView:
    """One row of the staff list."""

    name: str
    email: str
    has_email: bool
    role: str
    time_zone: str
    language: str
    sync_status: str
    sync_label: str


class AdminState(rx.State):
    """Staff users of the account; only admins get rows."""

    rows: list[StaffView] = []
    allowed: bool = False
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.allowed = actor.is_admin
        if not self.allowed:
            self.rows = []
            self.loaded = True
            return None
        with session_scope() as session:
            found = staff.list_staff(session=session, actor=actor)
        self.rows = [
            StaffView(
                name=row.name,
                email=row.email or "",
                has_email=row.email is not None,
                role=ROLE_LABELS[row.role.value],
                time_zone=row.time_zone,
                language=language_name(row.locale),
                sync_status=row.sync_status,
                sync_label=SYNC_LABELS[row.sync_status],
            )
            for row in found
        ]
        self.loaded = True
        return None
