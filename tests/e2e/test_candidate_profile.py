"""A candidate's page: contact, language, zone, job and every interview with its times and
comments; reached from the candidate list, the calendar's dialog and the wizard."""

import re

import pytest
from playwright.sync_api import Page, expect
from test_booking_page import check_axe

pytestmark = pytest.mark.e2e
ADMIN = "astrid.holm@demo.example"


def test_the_profile_from_the_list_shows_contact_and_every_interview(
    page: Page, sign_in, make_interview
) -> None:
    booked = make_interview(33, invite=("Rasmus Møller",), book={"Rasmus Møller": 1})
    waiting = make_interview(34, invite=("Rasmus Møller",), title="Second talk")
    said_no = make_interview(
        35, invite=("Rasmus Møller",), no_fit={"Rasmus Møller": "I am away that week."}
    )
    sign_in(ADMIN, start="/candidates")
    page.get_by_role("table", name="Candidates").get_by_role("link", name="Rasmus Møller").click()
    expect(page.get_by_role("heading", name="Rasmus Møller", level=1)).to_be_visible()
    for label in ("E-mail", "Phone", "Language", "Time zone", "Job"):
        expect(page.get_by_role("term").filter(has_text=re.compile(f"^{label}$"))).to_have_count(1)

    def card(title: str):  # noqa: ANN202
        return page.locator(".rt-Card").filter(has=page.get_by_role("heading", name=title))

    expect(card(booked.title)).to_contain_text("Booked")
    expect(card(booked.title)).to_contain_text(re.compile(r"Booked: .*3:00"))
    expect(card(waiting.title)).to_contain_text("Awaiting choice")
    expect(card(waiting.title)).to_contain_text("Offered:")
    expect(card(said_no.title)).to_contain_text("No time fits")
    expect(card(said_no.title)).to_contain_text("I am away that week.")
    check_axe(page, "candidate profile")

    card(booked.title).get_by_role("link", name="Show in the calendar").click()
    expect(page).to_have_url(re.compile(rf"/calendar/?\?date={booked.day.isoformat()}"))
    expect(page.locator(".fc-event.planner-booked").filter(has_text=booked.title)).to_have_count(1)


def test_the_wizard_links_each_candidates_profile(page: Page, sign_in) -> None:
    sign_in(ADMIN, start="/schedule")
    expect(page.get_by_role("checkbox", name="Rasmus Møller", exact=True)).to_be_visible()
    link = page.get_by_role("link", name="Profile: Rasmus Møller")
    expect(link).to_have_attribute("href", re.compile(r"/candidates/\d+$"))
    expect(link).to_have_attribute("target", "_blank")
