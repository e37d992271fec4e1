"""The admin page (Account & users → Calendar sync): staff users with their sync status,
filter and search, select some or all, and send sync invitations in bulk."""

from dataclasses import dataclass

import reflex as rx

from planner.db import session_scope
from planner.i18n import language_name
from planner.models.base import utcnow
from planner.services import staff, sync_invitations
from planner.services.errors import PlannerError
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
ALL = "all"


@dataclass(frozen=True)
class StaffView:
    """One row of the staff list; `key` is its position, ids stay on the server."""

    key: int
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
    status_filter: str = ALL
    search: str = ""
    selected: list[int] = []
    confirm_open: bool = False
    without_email_selected: list[str] = []
    result: str = ""
    result_kind: str = "info"
    counts: dict[str, int] = {}
    _row_ids: list[int] = []

    @rx.event
    async def load(self):
        self.result = ""
        return await self._fill()

    async def _fill(self):  # type: ignore[no-untyped-def]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.allowed = actor.is_admin
        if not self.allowed:
            self.rows, self._row_ids = [], []
            self.loaded = True
            return None
        with session_scope() as session:
            found = staff.list_staff(session=session, actor=actor, search=self.search)
        counts = {key: 0 for key in SYNC_LABELS}
        for row in found:
            counts[row.sync_status] += 1
        self.counts = counts
        if self.status_filter != ALL:
            found = [row for row in found if row.sync_status == self.status_filter]
        self._row_ids = [row.id for row in found]
        self.rows = [
            StaffView(
                key=index,
                name=row.name,
                email=row.email or "",
                has_email=row.email is not None,
                role=ROLE_LABELS[row.role.value],
                time_zone=row.time_zone,
                language=language_name(row.locale),
                sync_status=row.sync_status,
                sync_label=SYNC_LABELS[row.sync_status],
            )
            for index, row in enumerate(found)
        ]
        self.selected = []
        self.loaded = True
        return None

    @rx.event
    async def set_status_filter(self, value: str):
        self.status_filter = value if value in SYNC_LABELS or value == ALL else ALL
        return await self._fill()

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:200]
        return await self._fill()

    @rx.event
    def toggle(self, key: int):
        key = int(key)
        if not 0 <= key < len(self.rows):
            return
        self.selected = (
            [k for k in self.selected if k != key]
            if key in self.selected
            else [*self.selected, key]
        )

    @rx.event
    def toggle_all(self):
        everyone = list(range(len(self.rows)))
        self.selected = [] if len(self.selected) == len(everyone) else everyone

    @rx.event
    async def ask_to_send(self):
        """Tell the admin who cannot be invited (no e-mail) before sending to the others."""
        self.result = ""
        if not self.selected:
            return None
        self.without_email_selected = [
            self.rows[k].name for k in sorted(self.selected) if not self.rows[k].has_email
        ]
        if self.without_email_selected:
            self.confirm_open = True
            return None
        return await self.send()

    @rx.event
    def close_confirm(self):
        self.confirm_open = False

    @rx.event
    async def send(self):
        self.confirm_open = False
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        ids = [self._row_ids[k] for k in sorted(self.selected) if 0 <= k < len(self._row_ids)]
        try:
            with session_scope() as session:
                outcome = sync_invitations.send_sync_invitations(
                    session=session, actor=actor, user_ids=ids, now=utcnow()
                )
        except PlannerError as exc:
            self.result, self.result_kind = exc.message, "error"
            return None
        parts = []
        if outcome.sent:
            parts.append(f"Sync invitation sent to {len(outcome.sent)}: {', '.join(outcome.sent)}.")
        if outcome.without_email:
            parts.append(f"Not sent (no e-mail address): {', '.join(outcome.without_email)}.")
        self.result = " ".join(parts)
        self.result_kind = "success" if outcome.sent else "error"
        await self._fill()
        return None
