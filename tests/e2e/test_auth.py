"""Signing in and out, the session cookie, and what signed-out browsers see."""

import re
import secrets
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "astrid.holm@demo.example"
SESSION_COOKIE = "planner_session"
ERROR_TEXT = re.compile(r"traceback|exception|error|internal server", re.IGNORECASE)


def test_sign_in_from_candidates_lands_on_the_candidate_list(page: Page, sign_in) -> None:
    sign_in(ADMIN_EMAIL, start="/candidates")

    expect(page).to_have_url(re.compile(r"/candidates/?$"))
    expect(page.get_by_role("heading", name="Candidates", level=1)).to_be_visible()
    table = page.get_by_role("main").get_by_role("table")
    expect(table.get_by_role("rowheader")).to_have_count(8)
    for name in ("Freja Nielsen", "James Carter", "Oskar Åberg", "Rasmus Møller"):
        expect(table.get_by_role("rowheader", name=name, exact=True)).to_be_visible()

    banner = page.get_by_role("banner")
    expect(banner.get_by_text("Astrid Holm", exact=True)).to_be_visible()
    expect(banner.get_by_text("Administrator · Demo", exact=True)).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Admin", exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Admin", exact=True)).to_have_attribute(
        "href", "/admin"
    )


def test_sign_in_keeps_the_query_of_the_page_asked_for(page: Page, sign_in) -> None:
    """A link to a week of the calendar, opened signed out, lands on that week after sign-in."""
    sign_in(ADMIN_EMAIL, start="/calendar?date=2026-12-09")

    expect(page).to_have_url(re.compile(r"/calendar/?\?date=2026-12-09$"))
    expect(page.get_by_text(re.compile(r"^7 Dec.+13 Dec 2026$"))).to_be_visible()


def test_session_cookie_is_http_only_and_same_site_lax(
    page: Page, sign_in, session_cookies
) -> None:
    sign_in(ADMIN_EMAIL, start="/calendar")
    expect(page.get_by_role("heading", name="Interviews", level=1)).to_be_visible()

    cookies = session_cookies()
    assert len(cookies) == 1, cookies
    cookie = cookies[0]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert len(cookie["value"]) >= 32
    assert cookie["expires"] > 0  # persistent (Max-Age), not a browser-session cookie
    visible_to_scripts = page.evaluate("document.cookie")
    assert SESSION_COOKIE not in visible_to_scripts
    assert cookie["value"] not in visible_to_scripts


def test_wrong_password_is_refused_and_sets_no_cookie(page: Page, sign_in, session_cookies) -> None:
    # An e-mail no other test signs in with wrongly, far below the throttling limit.
    sign_in(
        "sofia.lindqvist@demo.example",
        password="not-the-password-" + secrets.token_hex(4),
        start="/candidates",
    )

    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    expect(page).to_have_url(re.compile(r"/signin/?\?.*error=invalid"))
    expect(page.get_by_role("heading", name="Sign in to Planner")).to_be_visible()
    assert session_cookies() == []


def test_admin_page_sends_signed_out_visitors_to_sign_in(page: Page, expect_sign_in_page) -> None:
    page.goto("/admin")

    expect_sign_in_page()
    expect(page).to_have_url(re.compile(r"[?&]next=%2Fadmin"))
    expect(page.get_by_role("table")).to_have_count(0)
    expect(page.get_by_text("Astrid Holm")).to_have_count(0)


@pytest.mark.parametrize(
    "value", ["garbage", secrets.token_urlsafe(32)], ids=["garbage", "unknown-token"]
)
def test_tampered_session_cookie_counts_as_signed_out(
    page: Page, app_url: str, expect_sign_in_page, value: str
) -> None:
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": value,
                "domain": urlsplit(app_url).hostname,
                "path": "/",
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )

    page.goto("/candidates")

    expect_sign_in_page()
    expect(page).to_have_url(re.compile(r"[?&]next=%2Fcandidates"))
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("body")).not_to_have_text(ERROR_TEXT)
    expect(page.get_by_role("table")).to_have_count(0)
    assert page_errors == []


def test_sign_out_ends_the_session(
    page: Page, app_url: str, sign_in, session_cookies, expect_sign_in_page
) -> None:
    sign_in(ADMIN_EMAIL, start="/candidates")
    expect(page.get_by_role("main").get_by_role("table").get_by_role("rowheader")).to_have_count(8)
    [old_cookie] = session_cookies()

    page.get_by_role("button", name="Sign out").click()

    expect_sign_in_page()
    expect(page).to_have_url(re.compile(r"[?&]error=signed_out"))
    expect(page.get_by_role("alert")).to_have_text("You have signed out.")
    assert session_cookies() == []

    page.goto("/candidates")
    expect_sign_in_page()
    expect(page.get_by_role("table")).to_have_count(0)

    # The old token was ended on the server too: bringing the cookie back does not help.
    page.context.add_cookies([old_cookie])
    page.goto("/candidates")
    expect_sign_in_page()
    expect(page.get_by_role("table")).to_have_count(0)


def test_a_danish_admin_reads_the_navigation_in_danish(page: Page, sign_in, staff_locale) -> None:
    staff_locale(ADMIN_EMAIL, "da")
    sign_in(ADMIN_EMAIL, start="/candidates")

    navigation = page.get_by_role("navigation", name="Hovedmenu")
    expect(navigation.get_by_role("link", name="Kandidater", exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Kalender", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    # The tab title and the page's language follow the reader too.
    expect(page).to_have_title("Kandidater · Planner")
    expect(page.locator("main").locator("xpath=ancestor::*[@lang][1]")).to_have_attribute(
        "lang", "da"
    )
