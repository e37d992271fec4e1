"""Interviews for the calendar's e2e tests, made through the services on the e2e server's
database: a unique title per test, times some days ahead in Copenhagen."""

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.models import Candidate, OutboxMessage, StaffUser
from planner.services import booking, scheduling
from planner.services.actor import Actor

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Copenhagen wall-clock time on `day`, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=COPENHAGEN).astimezone(UTC)


def actor_named(session: Session, name: str) -> Actor:
    user = session.exec(select(StaffUser).where(StaffUser.name == name)).one()
    assert user.id is not None
    return Actor(
        user_id=user.id,
        account_id=user.account_id,
        account_name="Demo",
        name=user.name,
        email=user.email,
        role=Role(user.role),
        time_zone=user.time_zone,
        locale=user.locale,
    )


@dataclass
class Made:
    """An interview a test made: its title, day, ids and the candidates' link tokens."""

    title: str
    day: date
    interview_id: int
    slot_ids: list[int]
    tokens: dict[str, str] = field(default_factory=dict)
    invitation_ids: dict[str, int] = field(default_factory=dict)

    @property
    def week_url(self) -> str:
        return f"/calendar?date={self.day.isoformat()}&range=week"

    @property
    def day_url(self) -> str:
        return f"/calendar?date={self.day.isoformat()}&range=day"


@pytest.fixture
def db(e2e_database_url) -> Iterator[Callable[[], Session]]:
    """Sessions on the e2e server's database."""
    engine = make_engine(e2e_database_url)
    yield lambda: Session(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def make_interview(db) -> Callable[..., Made]:
    """make_interview(days_ahead, hours=(9, 15), invite=("Rasmus Møller", "Oskar Åberg"),
    book={"Rasmus Møller": 0}, no_fit={"Oskar Åberg": "comment"}, participants=("Astrid Holm",),
    organiser="Astrid Holm") -> Made."""

    def _make(
        days_ahead: int,
        *,
        hours: tuple[int, ...] = (9, 15),
        invite: tuple[str, ...] = ("Rasmus Møller", "Oskar Åberg"),
        book: dict[str, int] | None = None,
        no_fit: dict[str, str] | None = None,
        participants: tuple[str, ...] = ("Astrid Holm",),
        organiser: str = "Astrid Holm",
        title: str = "Culture chat",
    ) -> Made:
        day = datetime.now(COPENHAGEN).date() + timedelta(days=days_ahead)
        title = f"{title} {secrets.token_hex(2)}"
        now = datetime.now(UTC)
        with db() as session:
            actor = actor_named(session, organiser)
            staff_ids = [actor_named(session, name).user_id for name in participants]
            interview = scheduling.create_interview(
                session=session,
                actor=actor,
                now=now,
                data={
                    "title": title,
                    "duration_minutes": 30,
                    "participant_ids": staff_ids,
                    "slots": [at(day, hour) for hour in hours],
                },
            )
            people = {
                name: session.exec(select(Candidate).where(Candidate.name == name)).one()
                for name in invite
            }
            tokens = scheduling.invite_candidates(
                session=session,
                actor=actor,
                interview_id=interview.id,
                candidate_ids=[c.id for c in people.values()],
                now=now,
            )
            made = Made(
                title=title,
                day=day,
                interview_id=interview.id,
                slot_ids=[s.id for s in interview.slots],
                tokens={name: tokens[c.id] for name, c in people.items()},
                invitation_ids={
                    inv.candidate_name: inv.id
                    for inv in scheduling.get_interview_detail(
                        session=session, actor=actor, interview_id=interview.id
                    ).invitations
                },
            )
            for name, index in (book or {}).items():
                assert booking.book(
                    session=session,
                    token=made.tokens[name],
                    slot_id=made.slot_ids[index],
                    now=now,
                ).ok
            for name, comment in (no_fit or {}).items():
                assert booking.no_fit(
                    session=session, token=made.tokens[name], comment=comment, now=now
                ).ok
        return made

    return _make


def notifications_since(session: Session, since: datetime) -> list[dict]:
    """The notifications recorded in the outbox since `since` (name and args)."""
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.created_at >= since)).all()
    return [row.payload for row in rows if "name" in row.payload]
