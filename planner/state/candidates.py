"""The candidate list page."""

from dataclasses import dataclass

import reflex as rx

from planner import routes
from planner.db import session_scope
from planner.i18n import language_name
from planner.services import candidates
from planner.state.guard import signed_in_actor
from planner.state.session import sign_in_redirect


@dataclass(frozen=True)
class CandidateView:
    """One row of the candidate list."""

    name: str
    href: str
    email: str
    phone: str
    job: str
    language: str
    time_zone: str


class CandidatesState(rx.State):
    """The account's candidates, filtered by a search text."""

    rows: list[CandidateView] = []
    search: str = ""
    total: int = 0
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
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

    def _fill(self, actor) -> None:  # type: ignore[no-untyped-def]
        with session_scope() as session:
            found = candidates.list_candidates(session=session, actor=actor, search=self.search)
            if not self.search:
                self.total = len(found)
        self.rows = [
            CandidateView(
                name=row.name,
                href=routes.candidate_url(row.id),
                email=row.email,
                phone=row.phone or "—",
                job=row.job_title or "—",
                language=language_name(row.locale),
                time_zone=row.time_zone,
            )
            for row in found
        ]
        self.loaded = True
