"""The invite wizard: a recruiter picks a candidate, a participant and suggested times,
a location, and sends; the candidate's invitation exists and the calendar shows the times."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from planner.db import make_engine
from planner.models import Candidate, CandidateInvitation, Interview

pytestmark = pytest.mark.e2e


def test_a_recruiter_schedules_an_interview_from_suggestions(page: Page, sign_in, e2e_database_url):
    sign_in("mads.jensen@demo.example", start="/candidates")
    page.get_by_role("link", name="Schedule interview").click()
    expect(page.get_by_role("heading", name="Schedule interview", level=1)).to_be_visible()

    page.get_by_role("checkbox", name=re.compile("Emily Clarke")).click()
    page.get_by_label("Title").fill("Wizard interview")
    page.get_by_role("checkbox", name=re.compile("Aino Virtanen")).click()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("alert")).to_have_text("Offer at least one time.")

    page.get_by_role("button", name="Find times").click()
    # Nobody is synced on the e2e server: every suggestion says whose availability is unknown.
    suggestions = page.get_by_role("button", name=re.compile("Availability unknown: Mads Jensen"))
    expect(suggestions.first).to_be_visible()
    suggestions.nth(0).click()
    suggestions.nth(1).click()
    expect(page.get_by_text("2 time(s) will be offered.")).to_be_visible()

    page.get_by_role("combobox", name="Location").click()
    page.get_by_role("option", name="Helsinki office").click()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("status")).to_contain_text("Invitations sent to 1 candidate")

    engine = make_engine(e2e_database_url)
    with Session(engine) as session:
        interview = session.exec(
            select(Interview).where(Interview.title == "Wizard interview")
        ).one()
        emily = session.exec(select(Candidate).where(Candidate.name == "Emily Clarke")).one()
        invitation = session.exec(
            select(CandidateInvitation).where(CandidateInvitation.interview_id == interview.id)
        ).one()
        assert invitation.candidate_id == emily.id and interview.status == "open"
    engine.dispose()
