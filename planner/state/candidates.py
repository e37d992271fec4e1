"""The candidate list: filter by job, search, select candidates to schedule an interview."""

from dataclasses import dataclass

import reflex as rx

from planner import routes
from planner.db import session_scope
from planner.i18n import language_name
from planner.i18n.catalogues import translator
from planner.services import candidates
from planner.state.guard import signed_in_actor
from planner.state.session import sign_in_redirect


@dataclass(frozen=True)
class CandidateView:
    """One row of the candidate list; `key` is its position (ids stay on the server)."""

    key: int
    name: str
    href: str
    email: str
    phone: str
    job: str
    language: str
    time_zone: str


@dataclass(frozen=True)
class JobOption:
    key: str
    title: str


class CandidatesState(rx.State):
    """The account's candidates, filtered by job and a search text; the selection survives
    filtering and goes to the wizard with "Schedule interview"."""

    rows: list[CandidateView] = []
    jobs: list[JobOption] = []
    job: str = "all"
    search: str = ""
    total: int = 0
    loaded: bool = False
    selected: list[int] = []
    selected_count_text: str = ""
    schedule_href: str = routes.SCHEDULE
    _row_ids: list[int] = []
    _job_ids: list[int] = []
    _selected_ids: list[int] = []

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        with session_scope() as session:
            found = candidates.list_jobs(session=session, actor=actor)
        self._job_ids = [job_id for job_id, _title in found]
        self.jobs = [JobOption(key=str(i), title=title) for i, (_id, title) in enumerate(found)]
        self.job, self.search, self._selected_ids = "all", "", []
        self._fill(actor)
        return None

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:200]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._fill(actor)
        return None

    @rx.event
    async def set_job(self, value: str):
        self.job = value if value == "all" or value.isdigit() else "all"
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._fill(actor)
        return None

    @rx.event
    async def toggle(self, key: int):
        key = int(key)
        if not 0 <= key < len(self._row_ids):
            return None
        cid = self._row_ids[key]
        if cid in self._selected_ids:
            self._selected_ids = [i for i in self._selected_ids if i != cid]
        else:
            self._selected_ids = [*self._selected_ids, cid]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._mark(actor.locale)
        return None

    @rx.event
    async def toggle_all(self, checked: bool):
        shown = set(self._row_ids)
        if checked:
            self._selected_ids = [
                *self._selected_ids,
                *(i for i in self._row_ids if i not in self._selected_ids),
            ]
        else:
            self._selected_ids = [i for i in self._selected_ids if i not in shown]
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self._mark(actor.locale)
        return None

    def _job_id(self) -> int | None:
        if self.job.isdigit() and int(self.job) < len(self._job_ids):
            return self._job_ids[int(self.job)]
        return None

    def _fill(self, actor) -> None:  # type: ignore[no-untyped-def]
        job_id = self._job_id()
        with session_scope() as session:
            found = candidates.list_candidates(
                session=session, actor=actor, search=self.search, job_id=job_id
            )
            if not self.search and job_id is None:
                self.total = len(found)
        self._row_ids = [row.id for row in found]
        self.rows = [
            CandidateView(
                key=i,
                name=row.name,
                href=routes.candidate_url(row.id),
                email=row.email,
                phone=row.phone or "—",
                job=row.job_title or "—",
                language=language_name(row.locale, in_locale=actor.locale),
                time_zone=row.time_zone,
            )
            for i, row in enumerate(found)
        ]
        self._mark(actor.locale)
        self.loaded = True

    def _mark(self, locale: str) -> None:
        tr = translator(locale)
        self.selected = [k for k, cid in enumerate(self._row_ids) if cid in self._selected_ids]
        count = len(self._selected_ids)
        self.selected_count_text = (
            tr.plural("{count} candidate selected", "{count} candidates selected", count)
            if count
            else ""
        )
        query = []
        if self._selected_ids:
            query.append("candidates=" + ",".join(str(i) for i in self._selected_ids))
        job_id = self._job_id()
        if job_id is not None:
            query.append(f"job={job_id}")
        self.schedule_href = routes.SCHEDULE + ("?" + "&".join(query) if query else "")
