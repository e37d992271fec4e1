"""The candidate list: search and accessible names."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "astrid.holm@demo.example"


@pytest.fixture
def candidate_list(page: Page, sign_in):
    sign_in(ADMIN_EMAIL, start="/candidates")
    expect(page).to_have_url(re.compile(r"/candidates/?$"))
    table = page.get_by_role("table", name="Candidates")
    expect(table.get_by_role("rowheader")).to_have_count(8)
    return table


@pytest.mark.parametrize(
    ("search", "found"),
    [("åberg", "Oskar Åberg"), ("Carter", "James Carter"), ("FREJA.NIELSEN@", "Freja Nielsen")],
)
def test_search_filters_the_candidates(page: Page, candidate_list, search: str, found: str) -> None:
    page.get_by_label("Search candidates").fill(search)

    expect(candidate_list.get_by_role("rowheader")).to_have_count(1)
    expect(candidate_list.get_by_role("rowheader")).to_have_text(found)

    page.get_by_label("Search candidates").fill("")
    expect(candidate_list.get_by_role("rowheader")).to_have_count(8)


def test_search_wildcards_match_literally(page: Page, candidate_list) -> None:
    page.get_by_label("Search candidates").fill("_")

    expect(page.get_by_text("No candidates match your search")).to_be_visible()


def test_search_matching_nothing_says_so(page: Page, candidate_list) -> None:
    page.get_by_label("Search candidates").fill("no-such-candidate-xyz")

    expect(page.get_by_text("No candidates match your search")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("table")).to_have_count(0)
    expect(page.get_by_label("Search candidates")).to_have_value("no-such-candidate-xyz")


@pytest.mark.parametrize(
    ("path", "name"), [("/candidates", "Candidates"), ("/admin", "Staff users")]
)
def test_tables_have_accessible_names(page: Page, sign_in, path: str, name: str) -> None:
    sign_in(ADMIN_EMAIL, start=path)
    table = page.get_by_role("main").get_by_role("table")
    expect(table.get_by_role("rowheader").first).to_be_visible()

    expect(table).to_have_accessible_name(name, timeout=2_000)
