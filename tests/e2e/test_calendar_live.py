"""Live pages: a candidate's booking, cancellation or comment shows within 5 s, without a
reload, in every open browser of the account (calendar grid and list, the interview dialog,
the candidate's profile) and in no browser of another account."""

import re
import secrets
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import select

from planner.models import Candidate
from planner.services import booking
from tests.factories import account_with_admin

pytestmark = pytest.mark.e2e
ADMIN = "astrid.holm@demo.example"
LIVE = 5_000  # ms: the promise of the spec ("within seconds"; issue 11: 5 s)


def _signed_in(browser: Browser, app_url: str, email: str, password: str, path: str) -> Page:
    context: BrowserContext = browser.new_context(base_url=app_url)
    page = context.new_page()
    page.goto(path)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=re.compile("^User menu"))).to_be_visible()
    page.goto(path)  # sign-in comes back to the path without its query
    return page


@pytest.fixture
def other_account(db, demo_password) -> str:
    """The e-mail of the admin of a second account (same password as the demo's)."""
    email = f"admin-{secrets.token_hex(3)}@other.example"
    with db() as session:
        account_with_admin(session, "Other Co", email=email, password=demo_password)
    return email


def test_a_booking_shows_in_every_browser_of_the_account_and_in_none_of_another(
    browser: Browser, app_url, demo_password, make_interview, db, other_account
) -> None:
    made = make_interview(30)
    grid = _signed_in(browser, app_url, ADMIN, demo_password, made.week_url)
    listing = _signed_in(browser, app_url, ADMIN, demo_password, made.week_url)
    stranger = _signed_in(browser, app_url, other_account, demo_password, made.week_url)
    grid.set_viewport_size({"width": 1280, "height": 900})
    listing.get_by_role("radio", name="List").click()
    booked_in_grid = grid.locator(".fc-event.planner-booked").filter(has_text=made.title)
    booked_in_list = listing.get_by_role(
        "button", name=re.compile(f"{made.title}.*Rasmus Møller.*Booked")
    )
    expect(grid.locator(".fc-event.planner-offered").filter(has_text=made.title)).to_have_count(2)
    expect(booked_in_list).to_have_count(0)
    expect(stranger.locator("#calendar-range")).to_be_visible()

    with db() as session:
        assert booking.book(
            session=session,
            token=made.tokens["Rasmus Møller"],
            slot_id=made.slot_ids[0],
            now=datetime.now(UTC),
        ).ok

    expect(booked_in_grid).to_have_count(1, timeout=LIVE)
    expect(booked_in_list).to_have_count(1, timeout=LIVE)
    # The other account's browser never shows it (its own calendar is empty that week).
    stranger.wait_for_timeout(2_500)
    expect(stranger.get_by_text(made.title)).to_have_count(0)
    expect(stranger.locator(".fc-event")).to_have_count(0)

    # A cancellation by the candidate shows as well.
    with db() as session:
        assert booking.cancel(
            session=session,
            token=made.tokens["Rasmus Møller"],
            comment="Something came up.",
            now=datetime.now(UTC),
        ).ok
    expect(booked_in_grid).to_have_count(0, timeout=LIVE)
    expect(booked_in_list).to_have_count(0, timeout=LIVE)
    for page in (grid, listing, stranger):
        page.context.close()


def test_an_open_dialog_and_profile_show_a_comment_without_a_reload(
    browser: Browser, app_url, demo_password, make_interview, db
) -> None:
    made = make_interview(31)
    with db() as session:
        oskar = session.exec(select(Candidate).where(Candidate.name == "Oskar Åberg")).one()
    calendar = _signed_in(browser, app_url, ADMIN, demo_password, made.week_url)
    profile = _signed_in(browser, app_url, ADMIN, demo_password, f"/candidates/{oskar.id}")
    calendar.get_by_role("radio", name="List").click()
    calendar.get_by_role("button", name=re.compile(re.escape(made.title))).first.click()
    dialog = calendar.get_by_role("dialog", name=made.title)
    oskar_row = dialog.get_by_role("listitem").filter(has_text="Oskar Åberg")
    expect(oskar_row).to_contain_text("Awaiting choice")
    expect(profile.get_by_role("heading", name="Oskar Åberg", level=1)).to_be_visible()
    card = profile.locator(".rt-Card").filter(has_text=made.title)
    expect(card).to_contain_text("Offered:")

    comment = f"Mornings only, please ({secrets.token_hex(2)})."
    with db() as session:
        assert booking.no_fit(
            session=session,
            token=made.tokens["Oskar Åberg"],
            comment=comment,
            now=datetime.now(UTC),
        ).ok

    expect(oskar_row).to_contain_text("No time fits", timeout=LIVE)
    expect(oskar_row).to_contain_text(comment, timeout=LIVE)
    expect(card).to_contain_text(comment, timeout=LIVE)
    expect(card).to_contain_text("No time fits", timeout=LIVE)
    # The dialog stayed open throughout.
    expect(dialog).to_be_visible()
    calendar.context.close()
    profile.context.close()


def test_the_booking_page_booking_reaches_an_open_calendar(
    browser: Browser, app_url, demo_password, make_interview
) -> None:
    made = make_interview(32)
    calendar = _signed_in(browser, app_url, ADMIN, demo_password, made.week_url)
    calendar.set_viewport_size({"width": 1280, "height": 900})
    expect(calendar.locator(".fc-event.planner-offered").filter(has_text=made.title)).to_have_count(
        2
    )

    candidate = browser.new_context(base_url=app_url).new_page()
    candidate.goto(f"/book/{made.tokens['Rasmus Møller']}")
    candidate.get_by_role("radio").first.check()
    candidate.get_by_role("button", name=re.compile("^Book")).click()  # en "Book this time", da …
    expect(candidate.get_by_role("status")).not_to_be_empty()

    expect(calendar.locator(".fc-event.planner-booked").filter(has_text=made.title)).to_have_count(
        1, timeout=LIVE
    )
    candidate.context.close()
    calendar.context.close()
