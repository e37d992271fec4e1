"""The interview calendar: booked and awaiting entries look different, details open on
click, and an offered time can be removed right there."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.models import Candidate, StaffUser
from planner.services import booking, scheduling
from planner.services.actor import Actor

pytestmark = pytest.mark.e2e
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def _in_twenty_days_at(hour: int) -> datetime:
    day = datetime.now(COPENHAGEN).date() + timedelta(days=20)
    return datetime.combine(day, time(hour), tzinfo=COPENHAGEN).astimezone(UTC)


@pytest.fixture
def scheduled(e2e_database_url):
    """An interview twenty days ahead: 09:00 booked by Rasmus, 15:00 still offered."""
    engine = make_engine(e2e_database_url)
    with Session(engine, expire_on_commit=False) as session:
        admin = session.exec(select(StaffUser).where(StaffUser.name == "Astrid Holm")).one()
        actor = Actor(
            user_id=admin.id, account_id=admin.account_id, account_name="Demo", name=admin.name,
            email=admin.email, role=Role(admin.role), time_zone=admin.time_zone,
            locale=admin.locale,
        )  # fmt: skip
        now = datetime.now(UTC)
        interview = scheduling.create_interview(
            session=session, actor=actor, now=now,
            data={"title": "Culture chat", "duration_minutes": 30,
                  "participant_ids": [admin.id],
                  "slots": [_in_twenty_days_at(9), _in_twenty_days_at(15)]},
        )  # fmt: skip
        rasmus, oskar = (
            session.exec(select(Candidate).where(Candidate.name == name)).one()
            for name in ("Rasmus Møller", "Oskar Åberg")
        )
        tokens = scheduling.invite_candidates(
            session=session, actor=actor, interview_id=interview.id,
            candidate_ids=[rasmus.id, oskar.id], now=now,
        )  # fmt: skip
        assert booking.book(
            session=session, token=tokens[rasmus.id], slot_id=interview.slots[0].id, now=now
        ).ok
    engine.dispose()
    return datetime.now(COPENHAGEN).date() + timedelta(days=20)


def test_booked_and_awaiting_entries_and_removing_an_offered_time(
    page: Page, sign_in, scheduled: date
):
    sign_in("astrid.holm@demo.example", start="/calendar")
    page.get_by_role("radio", name="Day").click()
    for _ in range(20):
        page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text(str(scheduled.day))

    booked = page.get_by_role("button", name=re.compile("Culture chat.*Rasmus Møller.*Booked"))
    waiting = page.get_by_role("button", name=re.compile("Culture chat.*Awaiting choice"))
    expect(booked).to_be_visible()
    expect(waiting).to_have_count(1)

    booked.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Candidate: Rasmus Møller")
    expect(dialog).to_contain_text("Who attends: Astrid Holm")
    dialog.get_by_role("button", name="Close").click()

    waiting.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name=re.compile("^Remove"))).to_have_count(2)
    dialog.get_by_role("button", name=re.compile(r"^Remove .*3:00 . 3:30 PM")).click()
    expect(dialog.get_by_role("status")).to_have_text("Time removed.")
    dialog.get_by_role("button", name="Close").click()
    expect(waiting).to_have_count(0)
    expect(booked).to_be_visible()
