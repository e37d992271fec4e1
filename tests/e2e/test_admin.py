"""The admin page: only admins see the account's staff users."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "astrid.holm@demo.example"
RECRUITER_EMAIL = "mads.jensen@demo.example"


def test_recruiter_sees_no_admin_link_and_is_refused_the_admin_page(page: Page, sign_in) -> None:
    sign_in(RECRUITER_EMAIL, start="/candidates")
    expect(page.get_by_role("main").get_by_role("table").get_by_role("rowheader")).to_have_count(8)
    banner = page.get_by_role("banner")
    expect(banner.get_by_text("Mads Jensen", exact=True)).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Candidates", exact=True)).to_be_visible()
    expect(navigation.get_by_role("link", name="Admin", exact=True)).to_have_count(0)

    page.goto("/admin")

    expect(page).to_have_url(re.compile(r"/admin/?$"))
    expect(page.get_by_role("alert")).to_have_text("Only admins of the account can see this page.")
    expect(page.get_by_role("table")).to_have_count(0)
    expect(page.get_by_text("astrid.holm@demo.example")).to_have_count(0)


def test_admin_sees_the_staff_and_their_sync_status(page: Page, sign_in) -> None:
    sign_in(ADMIN_EMAIL, start="/admin")  # and comes back to /admin after signing in

    expect(page).to_have_url(re.compile(r"/admin/?$"))
    expect(page.get_by_role("heading", name="Account & users", level=1)).to_be_visible()
    table = page.get_by_role("main").get_by_role("table")
    expect(table.get_by_role("rowheader")).to_have_count(6)
    expect(page.get_by_role("alert")).to_have_count(0)

    oliver = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Oliver Bennett", exact=True)
    )
    expect(oliver).to_have_count(1)
    oliver_cells = oliver.get_by_role("cell")
    expect(oliver_cells.nth(1)).to_have_text("No e-mail")  # E-mail column (after the checkbox)
    expect(oliver_cells.last).to_have_text("Not invited")  # Calendar sync column

    mads = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Mads Jensen", exact=True)
    )
    expect(mads.get_by_role("cell").nth(1)).to_have_text("mads.jensen@demo.example")
    expect(mads.get_by_role("cell").nth(2)).to_have_text("Recruiter")
    expect(mads.get_by_role("cell").last).to_have_text("Not invited")
    expect(table.get_by_text("No e-mail", exact=True)).to_have_count(1)


def test_admin_sends_sync_invitations_and_is_told_who_has_no_email(page: Page, sign_in) -> None:
    sign_in(ADMIN_EMAIL, start="/admin")
    table = page.get_by_role("table", name="Staff users")
    expect(table.get_by_role("rowheader")).to_have_count(6)
    send = page.get_by_role("button", name=re.compile("Send sync invitation"))
    expect(send).to_be_disabled()

    page.get_by_label("Search staff").fill("o")  # everyone but Mads Jensen
    expect(table.get_by_role("rowheader")).to_have_count(5)
    page.get_by_role("checkbox", name="Select Sofia Lindqvist").click()
    page.get_by_role("checkbox", name="Select Oliver Bennett").click()
    send.click()

    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Oliver Bennett")
    dialog.get_by_role("button", name="Send to the others").click()
    expect(page.get_by_role("status")).to_contain_text("Sync invitation sent to 1: Sofia Lindqvist")
    expect(page.get_by_role("status")).to_contain_text("Not sent (no e-mail address): Oliver")

    page.get_by_label("Search staff").fill("")
    page.get_by_role("combobox", name="Filter by sync status").click()
    page.get_by_role("option", name="Invited", exact=True).click()
    expect(table.get_by_role("rowheader")).to_have_text(["Sofia Lindqvist"])
