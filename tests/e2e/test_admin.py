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
        has=page.get_by_role("rowheader", name=re.compile("^Oliver Bennett"))
    )
    expect(oliver).to_have_count(1)
    expect(oliver.get_by_role("rowheader")).to_contain_text("No e-mail")
    expect(oliver.get_by_role("rowheader")).to_contain_text("cannot be invited to sync")
    expect(oliver.locator("td[data-label='Status']")).to_have_text("Not invited")
    expect(oliver.get_by_role("button", name="Send invitation: Oliver Bennett")).to_have_count(0)

    mads = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("^Mads Jensen"))
    )
    expect(mads.get_by_role("rowheader")).to_contain_text("mads.jensen@demo.example")
    expect(mads.get_by_role("rowheader")).to_contain_text("Recruiter")
    expect(mads.locator("td[data-label='Status']")).to_have_text("Not invited")
    expect(mads.get_by_role("button", name="Send invitation: Mads Jensen")).to_be_visible()
    expect(table.get_by_text("No e-mail", exact=True)).to_have_count(1)


def test_admin_sends_sync_invitations_and_is_told_who_has_no_email(page: Page, sign_in) -> None:
    sign_in(ADMIN_EMAIL, start="/admin")
    table = page.get_by_role("table", name="Staff users")
    expect(table.get_by_role("rowheader")).to_have_count(6)
    send = page.get_by_role("button", name="Send sync invitation")
    expect(send).to_be_disabled()

    page.get_by_label("Search staff").fill("li")  # Sofia Lindqvist and Oliver Bennett
    expect(table.get_by_role("rowheader")).to_have_count(2)
    page.get_by_role("checkbox", name="Select Sofia Lindqvist").click()
    page.get_by_role("checkbox", name="Select Oliver Bennett").click()
    expect(page.get_by_text("2 selected")).to_be_visible()
    send.click()

    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Oliver Bennett")
    dialog.get_by_role("button", name="Send to the others").click()
    expect(page.get_by_role("status")).to_contain_text("Sync invitation sent to 1: Sofia Lindqvist")
    expect(page.get_by_role("status")).to_contain_text("Not sent (no e-mail address): Oliver")

    page.get_by_label("Search staff").fill("")
    page.get_by_role("combobox", name="Filter by sync status").click()
    page.get_by_role("option", name=re.compile(r"^Invited \(\d+\)$")).click()
    expect(table.get_by_role("rowheader")).to_have_count(1)
    expect(table.get_by_role("rowheader")).to_contain_text("Sofia Lindqvist")
    sofia = _row(page, "Sofia Lindqvist")
    expect(sofia.get_by_role("button", name="Send again: Sofia Lindqvist")).to_be_visible()


def test_select_all_means_all_matching_the_filter(page: Page, sign_in) -> None:
    sign_in(ADMIN_EMAIL, start="/admin")
    table = page.get_by_role("table", name="Staff users")
    expect(table.get_by_role("rowheader").first).to_be_visible()
    page.get_by_role("checkbox", name="Select all on this page").click()
    expect(page.get_by_text(re.compile(r"^\d+ selected$"))).to_be_visible()
    # One page holds every demo user: there is nothing more to select.
    expect(page.get_by_role("button", name=re.compile("^Select all .* matching$"))).to_have_count(0)
    page.get_by_role("checkbox", name="Select all on this page").click()
    expect(page.get_by_role("button", name="Sync now", exact=True)).to_be_disabled()


def _row(page: Page, name: str):
    table = page.get_by_role("table", name="Staff users")
    return table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("^" + re.escape(name)))
    )
