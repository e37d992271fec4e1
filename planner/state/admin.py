"""The admin page (Account & users → Calendar sync): one page of staff users at a time with
provider, status, last sync and the reason of an error; filter, search, sort and paging in the
database; "Sync now", "Ask to reconnect" and sync invitations for some, or all matching."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import reflex as rx

from planner.db import session_scope
from planner.domain.sync_problems import (
    NEEDS_RECONNECT,
    ConnectionFacts,
    describe_error,
    describe_last_sync,
    describe_unreadable,
    provider_name,
)
from planner.i18n import translator
from planner.i18n.staff import role_name
from planner.models.base import utcnow
from planner.services import sync_invitations, sync_list
from planner.services.actor import Actor
from planner.services.errors import PlannerError
from planner.services.sync_list import SyncListQuery, SyncListRow
from planner.state.guard import signed_in_actor
from planner.state.session import SessionState, current_actor, error_text, sign_in_redirect

ALL = "all"
STATUSES = ("not_invited", "invited", "synced", "error", "disconnected")
# Sort choices of the page -> (service sort, descending).
SORTS = {
    "name": ("name", False),
    "name_desc": ("name", True),
    "status": ("status", False),
    "last_sync": ("last_sync", False),
    "last_sync_oldest": ("last_sync", True),
}
PAGE_SIZE = 25
# How often a page with a pending "Sync now" looks for its result, and for how long.
WATCH_SECONDS = 2.0
WATCH_LIMIT = timedelta(minutes=3)
# A second click on the same mail action within this time sends nothing more.
NOT_AGAIN_WITHIN = timedelta(minutes=2)


@dataclass(frozen=True)
class SyncRowView:
    """One row of the list, formatted for the reader; `key` is its position on the page
    (ids stay on the server)."""

    key: int
    name: str
    email: str
    has_email: bool
    role: str
    provider: str
    sync_status: str
    status_label: str
    last_sync: str
    last_sync_exact: str
    problem: str
    pending: bool
    can_sync: bool
    can_reconnect: bool
    can_invite: bool
    invited: bool


def _view(key: int, row: SyncListRow, locale: str, zone: str) -> SyncRowView:
    tr = translator(locale)
    facts = ConnectionFacts(
        provider=row.provider or "",
        status=row.connection_status or "",
        error_kind=row.error_kind,
        last_error=row.last_error,
        unreadable_count=row.unreadable_count,
        unknown_from=row.unknown_from,
    )
    problem = " ".join(
        text
        for text in (
            describe_error(tr, facts, user_name=row.name),
            describe_unreadable(tr, facts, locale=locale, time_zone=zone)
            if row.connection_status != "disconnected"
            else "",
        )
        if text
    )
    relative, exact = ("", "")
    if row.provider:
        relative, exact = describe_last_sync(
            tr, row.last_synced_at, utcnow(), locale=locale, time_zone=zone
        )
    labels = status_labels(locale)
    pollable = row.connection_status in ("synced", "error")
    return SyncRowView(
        key=key,
        name=row.name,
        email=row.email or "",
        has_email=row.email is not None,
        role=role_name(locale, row.role.value),
        provider=provider_name(tr, row.provider) if row.provider else "",
        sync_status=row.sync_status,
        status_label=labels[row.sync_status],
        last_sync=relative,
        last_sync_exact=exact,
        problem=problem,
        pending=row.sync_pending,
        can_sync=pollable,
        can_reconnect=row.sync_status == "error"
        and row.email is not None
        and (row.connection_status == "reconnect_needed" or row.error_kind in NEEDS_RECONNECT),
        can_invite=row.email is not None and row.sync_status != "synced",
        invited=row.invited_at is not None,
    )


def status_labels(locale: str) -> dict[str, str]:
    """The sync statuses in the reader's language."""
    tr = translator(locale)
    return {
        "not_invited": tr("Not invited"),
        "invited": tr("Invited"),
        "synced": tr("Synced"),
        "error": tr("Error"),
        "disconnected": tr("Disconnected"),
    }


class AdminState(rx.State):
    """One page of the account's staff users; only admins get rows."""

    rows: list[SyncRowView] = []
    allowed: bool = False
    loaded: bool = False
    status_filter: str = ALL
    search: str = ""
    sort: str = "name"
    page: int = 1
    pages: int = 1
    total: int = 0
    summary: str = ""
    page_label: str = ""
    filter_labels: dict[str, str] = {}
    selected: list[int] = []
    all_matching: bool = False
    select_all_label: str = ""
    selected_label: str = ""
    confirm_open: bool = False
    without_email_selected: list[str] = []
    result: str = ""
    result_kind: str = "info"
    watching: bool = False
    _row_ids: list[int] = []
    _pending: dict[int, str] = {}

    @rx.var
    def any_selected(self) -> bool:
        return self.all_matching or len(self.selected) > 0

    @rx.var
    def page_all_selected(self) -> bool:
        return len(self.rows) > 0 and (self.all_matching or len(self.selected) == len(self.rows))

    @rx.event
    async def load(self):
        self.result = ""
        self.all_matching = False
        self.selected = []
        return await self._fill()

    async def _reader(self) -> tuple[str, str]:
        session_state = await self.get_state(SessionState)
        return session_state.locale, session_state.zone

    async def _fill(self):  # type: ignore[no-untyped-def]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.allowed = actor.is_admin
        if not self.allowed:
            self.rows, self._row_ids = [], []
            self.loaded = True
            return None
        sort, descending = SORTS.get(self.sort, SORTS["name"])
        query = SyncListQuery(
            status=self.status_filter,
            search=self.search,
            sort=sort,
            descending=descending,
            page=self.page,
            page_size=PAGE_SIZE,
        )
        with session_scope() as session:
            found = sync_list.list_page(session=session, actor=actor, query=query)
        self._show(found, actor)
        self.loaded = True
        return self._watch_if_pending()

    def _show(self, found: sync_list.SyncListPage, actor: Actor) -> None:
        locale, zone = actor.locale, actor.time_zone
        tr = translator(locale)
        self.page, self.pages, self.total = found.page, found.pages, found.total
        self._row_ids = [row.user_id for row in found.rows]
        self.rows = [_view(i, row, locale, zone) for i, row in enumerate(found.rows)]
        self._pending = {row.user_id: row.name for row in found.rows if row.sync_pending}
        labels = status_labels(locale)
        self.filter_labels = {
            ALL: tr("All statuses ({count})", count=sum(found.counts.values())),
            **{
                key: tr("{status} ({count})", status=labels[key], count=found.counts.get(key, 0))
                for key in STATUSES
            },
        }
        self.summary = tr.plural(
            "{count} staff user matches.", "{count} staff users match.", found.total
        )
        self.page_label = tr("Page {page} of {pages}", page=found.page, pages=found.pages)
        self.select_all_label = tr("Select all {count} matching", count=found.total)
        self._label_selection(tr)

    def _label_selection(self, tr) -> None:  # type: ignore[no-untyped-def]
        count = self.total if self.all_matching else len(self.selected)
        self.selected_label = tr("{count} selected", count=count) if count else ""

    async def _tr(self):  # type: ignore[no-untyped-def]
        locale, _ = await self._reader()
        return translator(locale)

    def _watch_if_pending(self):  # type: ignore[no-untyped-def]
        if self._pending and not self.watching:
            self.watching = True
            return AdminState.watch_sync
        return None

    @rx.event(background=True)
    async def watch_sync(self):
        """While a "Sync now" is pending on this page, look for its result every few seconds
        and show it in the row and the live region, without a reload."""
        deadline = utcnow() + WATCH_LIMIT
        try:
            while utcnow() < deadline:
                await asyncio.sleep(WATCH_SECONDS)
                async with self:
                    actor = current_actor(self)
                    pending = dict(self._pending)
                    ids = list(self._row_ids)
                if actor is None or not actor.is_admin or not pending:
                    return
                with session_scope() as session:
                    fresh = sync_list.rows_for(session=session, actor=actor, user_ids=ids)
                done = [row for row in fresh if row.user_id in pending and not row.sync_pending]
                async with self:
                    if ids != self._row_ids:
                        continue  # the admin changed the page meanwhile
                    by_id = {row.user_id: row for row in fresh}
                    self.rows = [
                        _view(i, by_id[user_id], actor.locale, actor.time_zone)
                        if user_id in by_id
                        else self.rows[i]
                        for i, user_id in enumerate(ids)
                    ]
                    for row in done:
                        self._pending.pop(row.user_id, None)
                    if done:
                        self._announce_sync(done, actor.locale)
                    if not self._pending:
                        return
        finally:
            async with self:
                self.watching = False

    def _announce_sync(self, done: list[SyncListRow], locale: str) -> None:
        tr = translator(locale)
        synced = [row.name for row in done if row.sync_status == "synced"]
        failed = [row.name for row in done if row.sync_status != "synced"]
        parts = []
        if synced:
            parts.append(tr("Synced just now: {names}.", names=", ".join(synced)))
        if failed:
            parts.append(
                tr("Sync failed: {names}. See the reason in the list.", names=", ".join(failed))
            )
        self.result = " ".join(parts)
        self.result_kind = "error" if failed else "success"

    # ------------------------------------------------------------------ filter, sort, page

    @rx.event
    async def set_status_filter(self, value: str):
        self.status_filter = value if value in STATUSES or value == ALL else ALL
        return await self._restart()

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:200]
        return await self._restart()

    @rx.event
    async def set_sort(self, value: str):
        self.sort = value if value in SORTS else "name"
        return await self._restart()

    async def _restart(self):  # type: ignore[no-untyped-def]
        self.page = 1
        self.selected, self.all_matching = [], False
        return await self._fill()

    @rx.event
    async def next_page(self):
        self.page = min(self.page + 1, self.pages)
        self.selected, self.all_matching = [], False
        return await self._fill()

    @rx.event
    async def previous_page(self):
        self.page = max(self.page - 1, 1)
        self.selected, self.all_matching = [], False
        return await self._fill()

    # ------------------------------------------------------------------ selection

    @rx.event
    async def toggle(self, key: int):
        key = int(key)
        if not 0 <= key < len(self.rows):
            return
        if self.all_matching:
            self.all_matching = False
            self.selected = list(range(len(self.rows)))
        self.selected = (
            [k for k in self.selected if k != key]
            if key in self.selected
            else [*self.selected, key]
        )
        self._label_selection(await self._tr())

    @rx.event
    async def toggle_all(self):
        everyone = list(range(len(self.rows)))
        if self.all_matching or len(self.selected) == len(everyone):
            self.selected, self.all_matching = [], False
        else:
            self.selected = everyone
        self._label_selection(await self._tr())

    @rx.event
    async def select_all_matching(self):
        self.all_matching = True
        self.selected = list(range(len(self.rows)))
        self._label_selection(await self._tr())

    @rx.event
    async def clear_selection(self):
        self.selected, self.all_matching = [], False
        self._label_selection(await self._tr())

    def _chosen_ids(self, actor: Actor, session) -> list[int]:  # type: ignore[no-untyped-def]
        if self.all_matching:
            return sync_list.matching_user_ids(
                session=session, actor=actor, status=self.status_filter, search=self.search
            )
        return [self._row_ids[k] for k in sorted(self.selected) if 0 <= k < len(self._row_ids)]

    # ------------------------------------------------------------------ actions

    @rx.event
    async def sync_now(self, key: int = -1):
        """Queue a poll of the row's (key >= 0) or the selection's calendars."""
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        try:
            with session_scope() as session:
                ids = self._ids_for(int(key), actor, session)
                if not ids:
                    return None
                outcome = sync_list.request_sync_now(
                    session=session, actor=actor, user_ids=ids, now=utcnow()
                )
        except PlannerError as exc:
            self.result, self.result_kind = error_text(actor, exc), "error"
            return None
        parts = []
        if outcome.requested:
            parts.append(tr("Syncing now: {names}.", names=_names(tr, outcome.requested)))
        if outcome.cannot_sync:
            parts.append(
                tr(
                    "No calendar that can sync now: {names}.",
                    names=_names(tr, outcome.cannot_sync),
                )
            )
        self.result = " ".join(parts)
        self.result_kind = "info" if outcome.requested else "error"
        return await self._fill()

    @rx.event
    async def ask_to_reconnect(self, key: int = -1):
        """Mail the row's (key >= 0) or the selection's users a fresh connect link."""
        return await self._mail("reconnect", int(key))

    @rx.event
    async def invite(self, key: int = -1):
        """Send (again) the sync invitation to one row (key >= 0)."""
        return await self._mail("invite", int(key))

    @rx.event
    async def ask_to_send(self):
        """Tell the admin who cannot be invited (no e-mail) before sending to the others."""
        self.result = ""
        if not self.any_selected:
            return None
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        if self.all_matching:
            with session_scope() as session:
                ids = self._chosen_ids(actor, session)
                users = sync_list.rows_for(session=session, actor=actor, user_ids=ids)
            self.without_email_selected = [u.name for u in users if u.email is None]
        else:
            self.without_email_selected = [
                self.rows[k].name for k in sorted(self.selected) if not self.rows[k].has_email
            ]
        if self.without_email_selected:
            self.confirm_open = True
            return None
        return await self._mail("invite", -1)

    @rx.event
    def close_confirm(self):
        self.confirm_open = False

    @rx.event
    async def send(self):
        self.confirm_open = False
        return await self._mail("invite", -1)

    def _ids_for(self, key: int, actor: Actor, session) -> list[int]:  # type: ignore[no-untyped-def]
        if key >= 0:
            return [self._row_ids[key]] if key < len(self._row_ids) else []
        return self._chosen_ids(actor, session)

    async def _mail(self, purpose: str, key: int):  # type: ignore[no-untyped-def]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        tr = translator(actor.locale)
        try:
            with session_scope() as session:
                ids = self._ids_for(key, actor, session)
                if not ids:
                    return None
                outcome = sync_invitations.send_sync_invitations(
                    session=session,
                    actor=actor,
                    user_ids=ids,
                    now=utcnow(),
                    purpose=purpose,
                    not_again_within=NOT_AGAIN_WITHIN,
                )
        except PlannerError as exc:
            self.result, self.result_kind = error_text(actor, exc), "error"
            return None
        parts = []
        if outcome.sent and purpose == "reconnect":
            parts.append(
                tr(
                    "Asked to reconnect ({count}): {names}.",
                    count=len(outcome.sent),
                    names=_names(tr, outcome.sent),
                )
            )
        elif outcome.sent:
            parts.append(
                tr(
                    "Sync invitation sent to {count}: {names}.",
                    count=len(outcome.sent),
                    names=_names(tr, outcome.sent),
                )
            )
        if outcome.already_sent:
            parts.append(
                tr(
                    "Already sent a moment ago, not sent again: {names}.",
                    names=_names(tr, outcome.already_sent),
                )
            )
        if outcome.not_needed:
            parts.append(
                tr(
                    "Their calendar syncs, so they were not asked to reconnect: {names}.",
                    names=_names(tr, outcome.not_needed),
                )
            )
        if outcome.without_email:
            parts.append(
                tr(
                    "Not sent (no e-mail address): {names}.",
                    names=_names(tr, outcome.without_email),
                )
            )
        self.result = " ".join(parts)
        self.result_kind = "success" if outcome.sent else "error"
        self.selected, self.all_matching = [], False
        await self._fill()
        return None


LISTED_NAMES = 10


def _names(tr, names: list[str]) -> str:  # type: ignore[no-untyped-def]
    """Names for a message; a long list ends with "and N more"."""
    if len(names) <= LISTED_NAMES:
        return ", ".join(names)
    shown = ", ".join(names[:LISTED_NAMES])
    return tr("{names} and {count} more", names=shown, count=len(names) - LISTED_NAMES)
