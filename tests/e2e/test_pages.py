"""Pages anyone can reach: unknown addresses and the sign-in page on a phone."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", ["/no-such-page", "/candidates/42/nothing"])
def test_unknown_route_shows_page_not_found_with_status_404(page: Page, path: str) -> None:
    response = page.goto(path)

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to Planner")).to_have_attribute("href", "/calendar")


@pytest.mark.browser_context_args(
    viewport={"width": 390, "height": 844},
    is_mobile=True,
    has_touch=True,
    device_scale_factor=3,
)
def test_sign_in_page_fits_a_phone_screen(page: Page, expect_sign_in_page) -> None:
    page.goto("/signin")
    expect_sign_in_page()
    expect(page.get_by_role("button", name="Sign in")).to_be_in_viewport()

    assert page.evaluate("window.innerWidth") == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.get_by_label("E-mail").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
