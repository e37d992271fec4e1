"""The candidate page's load (over the websocket) stops looking links up for an address that
keeps presenting unknown ones, and counts only unknown links."""

from types import SimpleNamespace

import pytest

from planner.services.token_limits import UnknownTokenLimiter
from planner.state import booking_page
from planner.state.booking_page import BookingPageState


class FakePage(SimpleNamespace):
    """The handler's view of its state: the router, and the lookups it would make."""

    def _notice(self, text, kind):
        self.notice, self.notice_kind = text, kind


def _page(address: str, *, known: bool) -> FakePage:
    page = FakePage(
        router=SimpleNamespace(session=SimpleNamespace(client_ip=address)),
        lang="en", texts={}, loaded=False, view="", notice="", notice_kind="",
        comment="", comment_error="", selected=-1, lookups=0,
    )  # fmt: skip

    def refresh(**_kwargs):
        page.lookups += 1
        return known

    page._refresh = refresh
    return page


@pytest.fixture
def limiter(monkeypatch):
    limiter = UnknownTokenLimiter(per_minute=5)
    monkeypatch.setattr(booking_page, "unknown_tokens", limiter)
    return limiter


def test_unknown_links_from_one_address_are_no_longer_looked_up(limiter):
    load = BookingPageState.load.fn
    for _ in range(5):
        page = _page("198.51.100.66", known=False)
        load(page)
        assert page.lookups == 1
    blocked = _page("198.51.100.66", known=True)
    load(blocked)
    assert blocked.lookups == 0 and blocked.view == "invalid"
    assert blocked.notice.startswith("Too many links that do not work")
    other = _page("198.51.100.67", known=True)
    load(other)
    assert other.lookups == 1


def test_known_links_do_not_count(limiter):
    for _ in range(20):
        page = _page("198.51.100.68", known=True)
        BookingPageState.load.fn(page)
        assert page.lookups == 1
