"""The candidate page's event handlers do their database work off the event loop, so that one
candidate's queries never hold up the websockets of the others (issue 15, finding 10)."""

import asyncio
import inspect
import threading
from datetime import timedelta

import pytest
from reflex.state import State
from sqlmodel import Session

from planner import db
from planner.domain.vocabulary import Role
from planner.models import StaffUser
from planner.models.base import utcnow
from planner.services import booking, scheduling
from planner.settings import get_settings
from planner.state.booking_page import BookingPageState
from tests.factories import account_with_admin, actor_for, add_candidate


@pytest.fixture
def token(migrated_url, monkeypatch):
    """A candidate's link to an interview with two offered times; the page's own sessions
    (session_scope) open the test database."""
    monkeypatch.setenv("PLANNER_DATABASE_URL", migrated_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    now = utcnow()
    with Session(db.get_engine(), expire_on_commit=False) as session:
        account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
        manager = StaffUser(
            account_id=account.id, name="Hanna", email="h@alpha.example",
            role=Role.HIRING_MANAGER.value,
        )  # fmt: skip
        session.add(manager)
        session.commit()
        actor = actor_for(admin, account)
        interview = scheduling.create_interview(
            session=session, actor=actor, now=now,
            data={"title": "Tech talk", "duration_minutes": 30, "participant_ids": [manager.id],
                  "slots": [now + timedelta(days=2), now + timedelta(days=3)]},
        )  # fmt: skip
        candidate = add_candidate(session, account)
        tokens = scheduling.invite_candidates(
            session=session, actor=actor, interview_id=interview.id,
            candidate_ids=[candidate.id], now=now,
        )  # fmt: skip
    yield tokens[candidate.id]
    db.get_engine().dispose()
    db.get_engine.cache_clear()


def _page(token: str, monkeypatch) -> BookingPageState:
    monkeypatch.setattr(BookingPageState, "_token", lambda _self: token)
    root = State(_reflex_internal_init=True)
    return root.get_substate(BookingPageState.get_full_name().split(".")[1:])


def _record_threads(monkeypatch, name: str) -> list[int]:
    threads: list[int] = []
    real = getattr(booking, name)

    def recording(**kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real(**kwargs)

    monkeypatch.setattr(booking, name, recording)
    return threads


async def _run(page: BookingPageState, handler: str, *args: object) -> int:
    """Run an event handler as Reflex would; returns the event loop's thread."""
    outcome = BookingPageState.event_handlers[handler].fn(page, *args)
    if inspect.iscoroutine(outcome):
        await outcome
    return threading.get_ident()


def test_loading_and_booking_query_the_database_off_the_event_loop(token, monkeypatch):
    page = _page(token, monkeypatch)
    viewed = _record_threads(monkeypatch, "candidate_view")
    booked = _record_threads(monkeypatch, "book")

    loop_thread = asyncio.run(_run(page, "load"))
    assert page.view == "choose" and len(page.days) == 2
    assert viewed and loop_thread not in viewed

    page.selected = page.days[0].times[0].slot_id
    loop_thread = asyncio.run(_run(page, "book_selected"))
    assert page.view == "booked"
    assert booked and loop_thread not in booked


def _statements_for_view(session, token: str) -> int:
    from sqlalchemy import event

    count = 0

    def counted(*_args):  # type: ignore[no-untyped-def]
        nonlocal count
        count += 1

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", counted)
    try:
        session.rollback()
        assert booking.candidate_view(session=session, token=token, now=utcnow()) is not None
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def test_the_candidate_view_costs_the_same_queries_for_2_or_12_offered_times(session):
    now = utcnow()
    account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    actor = actor_for(admin, account)
    candidate = add_candidate(session, account)
    tokens = []
    for count in (2, 12):
        interview = scheduling.create_interview(
            session=session, actor=actor, now=now,
            data={"title": "Tech talk", "duration_minutes": 30, "participant_ids": [admin.id],
                  "slots": [now + timedelta(days=2, hours=n) for n in range(count)]},
        )  # fmt: skip
        tokens.append(
            scheduling.invite_candidates(
                session=session, actor=actor, interview_id=interview.id,
                candidate_ids=[candidate.id], now=now,
            )[candidate.id]
        )  # fmt: skip
    view = booking.candidate_view(session=session, token=tokens[1], now=now)
    assert view is not None and len(view.open_slots) == 12
    assert _statements_for_view(session, tokens[0]) == _statements_for_view(session, tokens[1])
