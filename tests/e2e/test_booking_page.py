"""A candidate follows their link on a phone: books, sees the confirmation, cancels with a
comment; a second candidate is told the time was just taken."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.models import Candidate, StaffUser
from planner.services import scheduling
from planner.services.actor import Actor

pytestmark = pytest.mark.e2e


@pytest.fixture
def invite(e2e_database_url, app_url):
    """Create a one-slot interview and invite the named candidates; returns their links."""
    engine = make_engine(e2e_database_url)

    def _invite(*names: str, slots: int = 1) -> dict[str, str]:
        with Session(engine, expire_on_commit=False) as session:
            mads = session.exec(select(StaffUser).where(StaffUser.name == "Mads Jensen")).one()
            actor = Actor(
                user_id=mads.id, account_id=mads.account_id, account_name="Demo",
                name=mads.name, email=mads.email, role=Role(mads.role),
                time_zone=mads.time_zone, locale=mads.locale,
            )  # fmt: skip
            now = datetime.now(UTC)
            start = (now + timedelta(days=9)).replace(hour=9, minute=0, second=0, microsecond=0)
            interview = scheduling.create_interview(
                session=session, actor=actor, now=now,
                data={"title": "Pairing session", "duration_minutes": 60,
                      "participant_ids": [mads.id],
                      "slots": [start + timedelta(hours=2 * n) for n in range(slots)]},
            )  # fmt: skip
            people = session.exec(select(Candidate).where(Candidate.name.in_(names))).all()
            tokens = scheduling.invite_candidates(
                session=session, actor=actor, interview_id=interview.id,
                candidate_ids=[c.id for c in people], now=now,
            )  # fmt: skip
            return {c.name: f"{app_url}/book/{tokens[c.id]}" for c in people}

    yield _invite
    engine.dispose()


def test_a_candidate_books_and_cancels_on_a_phone(page: Page, invite):
    link = invite("James Carter")["James Carter"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    expect(page.get_by_role("heading", name="Pairing session")).to_be_visible()
    # James lives in New York: the page says so and shows New York times.
    expect(page.get_by_text(re.compile("Eastern"))).to_be_visible()
    book = page.get_by_role("button", name="Book this time")
    expect(book).to_be_disabled()
    page.get_by_role("button", name=re.compile(r"\d{1,2}:\d\d")).first.click()
    book.click()
    expect(page.get_by_role("heading", name="Your interview is booked")).to_be_visible()
    expect(page.get_by_role("link", name="Download calendar file (.ics)")).to_have_attribute(
        "href", re.compile(r"/interview\.ics$")
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Cancel this interview").click()
    page.get_by_role("button", name="Cancel the interview").click()
    expect(page.get_by_text("Please write a few words.")).to_be_visible()
    page.get_by_label("Your comment").fill("I accepted another offer")
    page.get_by_role("button", name="Cancel the interview").click()
    expect(page.get_by_text(re.compile("Your interview is cancelled"))).to_be_visible()
    expect(page.get_by_role("button", name="Book this time")).to_be_visible()


def test_the_second_candidate_is_told_the_time_was_taken(page: Page, browser, invite):
    links = invite("Freja Nielsen", "Elin Johansson")
    page.goto(links["Elin Johansson"])
    other = browser.new_page()
    other.goto(links["Freja Nielsen"])
    # Both see the one time; Freja (Danish page) books first.
    other.get_by_role("button", name=re.compile(r"\d{1,2}\.\d\d")).first.click()
    other.get_by_role("button", name="Book dette tidspunkt").click()
    expect(other.get_by_role("heading", name="Din samtale er booket")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"\d{1,2}[.:]\d\d")).first.click()
    page.get_by_role("button", name="Boka den här tiden").click()
    expect(page.get_by_role("alert")).to_have_text("Den tiden togs precis. Välj en annan.")
    other.close()


def test_a_forged_link_says_so_and_shows_nothing(page: Page, app_url):
    page.goto(f"{app_url}/book/not-a-real-token")
    expect(page.get_by_role("alert")).to_have_text(re.compile("This link is not valid"))
    expect(page.get_by_role("button")).to_have_count(0)


def test_a_comment_that_is_too_long_is_refused_with_a_word_not_cut(page: Page, invite):
    link = invite("Emily Clarke")["Emily Clarke"]
    page.goto(link)
    page.get_by_role("button", name="None of these times work for me").click()
    comment = page.get_by_label("Your comment")
    comment.fill("x" * 100_000)
    expect(comment).to_have_value("x" * 100_000)  # nothing cut off in the box
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your comment is too long (100,000 characters). Please shorten it to at most "
        "4,000 characters."
    )
    comment.fill("Any evening next week works for me.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text(re.compile("The team has your comment"))).to_be_visible()


def _websocket_handshake(app_url: str, origin: str) -> int:
    """The HTTP status a websocket upgrade of Reflex's event endpoint gets from `origin`."""
    import base64
    import os
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(app_url)
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode("ascii"))
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode("ascii", "replace")
    return int(status_line.split()[1])


def test_the_websocket_accepts_only_the_apps_own_origin(app_url):
    assert _websocket_handshake(app_url, app_url) == 101
    assert _websocket_handshake(app_url, "https://evil.example") != 101
