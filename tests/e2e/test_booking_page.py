"""A candidate follows their link on a phone: every view of the booking page in two languages
with axe-core finding nothing, keyboard-only booking with focus on each new view's heading,
the .ics as a real download, the browser's zone offered, the language remembered."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.models import Candidate, CandidateInvitation, Interview, OfferedSlot, StaffUser
from planner.services import scheduling
from planner.services.actor import Actor

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def invite(e2e_database_url, app_url):
    """Create an interview with `slots` offered times (from 9 days ahead) and invite the
    named candidates; returns their links. `hour` sets the first time's UTC hour: tests use
    different hours, as a time the organiser has booked elsewhere is not offered again."""
    engine = make_engine(e2e_database_url)

    def _invite(*names: str, slots: int = 2, hour: int = 9, **changes) -> dict[str, str]:
        with Session(engine, expire_on_commit=False) as session:
            mads = session.exec(select(StaffUser).where(StaffUser.name == "Mads Jensen")).one()
            actor = Actor(
                user_id=mads.id, account_id=mads.account_id, account_name="Demo",
                name=mads.name, email=mads.email, role=Role(mads.role),
                time_zone=mads.time_zone, locale=mads.locale,
            )  # fmt: skip
            now = datetime.now(UTC)
            start = (now + timedelta(days=9)).replace(hour=hour, minute=0, second=0, microsecond=0)
            interview = scheduling.create_interview(
                session=session, actor=actor, now=now,
                data={"title": "Pairing session", "duration_minutes": 90, "job_id": 1,
                      "participant_ids": [mads.id],
                      "slots": [start + timedelta(hours=2 * n) for n in range(slots)]},
            )  # fmt: skip
            people = session.exec(select(Candidate).where(Candidate.name.in_(names))).all()
            tokens = scheduling.invite_candidates(
                session=session, actor=actor, interview_id=interview.id,
                candidate_ids=[c.id for c in people], now=now,
            )  # fmt: skip
            if changes.get("no_times"):
                for slot in session.exec(
                    select(OfferedSlot).where(OfferedSlot.interview_id == interview.id)
                ):
                    slot.status, slot.removed_at = "removed", now
            if changes.get("withdrawn"):
                session.get(Interview, interview.id).status = "cancelled"
            if changes.get("expired"):
                for invitation in session.exec(
                    select(CandidateInvitation).where(
                        CandidateInvitation.interview_id == interview.id
                    )
                ):
                    invitation.status = "expired"
            session.commit()
            return {c.name: f"{app_url}/book/{tokens[c.id]}" for c in people}

    yield _invite
    engine.dispose()


def check_axe(page: Page, state: str) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA and best practices) finds nothing on the page."""
    assert AXE.exists(), "axe-core is missing: run `make test-tools`"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ') + ' '
                + n.html.slice(0, 300)).join(', '))"""
    )
    assert violations == [], f"{state}: {violations}"


def check_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def expect_focus_on_heading(page: Page, name: str | re.Pattern) -> None:
    heading = page.locator("#view-heading")
    expect(heading).to_have_text(name)
    expect(heading).to_be_focused()


TEXTS = {
    "en": {
        "name": "James Carter",
        "choose": "Choose a time for your interview",
        "book": "Book this time",
        "booked": "Your interview is booked",
        "cancel_link": "Cancel this interview",
        "cancel_title": "Cancel the interview",
        "comment": "Your comment",
        "none_fit": "None of these times work for me",
        "no_fit_title": "Suggest another time",
        "send": "Send",
        "thanks": "Thank you for your comment",
        "cancelled": "Your interview is cancelled",
        "required": "Please write a few words.",
        "no_times": "No times are left",
        "invalid": "This link is not valid",
        "expired": "This invitation has expired",
        "withdrawn": "This interview has been cancelled",
        "zone_change": "Change time zone",
        "zone_title": "Choose your time zone",
    },
    "da": {
        "name": "Freja Nielsen",
        "choose": "Vælg et tidspunkt til din samtale",
        "book": "Book dette tidspunkt",
        "booked": "Din samtale er booket",
        "cancel_link": "Aflys denne samtale",
        "cancel_title": "Aflys samtalen",
        "comment": "Din kommentar",
        "none_fit": "Ingen af tidspunkterne passer mig",
        "no_fit_title": "Foreslå et andet tidspunkt",
        "send": "Send",
        "thanks": "Tak for din kommentar",
        "cancelled": "Din samtale er aflyst",
        "required": "Skriv venligst et par ord.",
        "no_times": "Der er ingen tidspunkter tilbage",
        "invalid": "Linket er ikke gyldigt",
        "expired": "Invitationen er udløbet",
        "withdrawn": "Samtalen er aflyst",
        "zone_change": "Skift tidszone",
        "zone_title": "Vælg din tidszone",
    },
}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_view_has_no_axe_violations_and_fits_a_phone(browser: Browser, invite, app_url, lang):
    t = TEXTS[lang]
    context = browser.new_context(
        viewport=PHONE, locale="da-DK" if lang == "da" else "en-US", timezone_id="UTC"
    )
    page = context.new_page()
    link = invite(t["name"], hour=3)[t["name"]]

    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect_focus_on_heading(page, t["choose"])
    assert page.title() == f"{t['choose']} – Pairing session"
    check_axe(page, "slot list")
    check_phone(page)

    page.get_by_role("radio").first.check()
    check_axe(page, "selected")

    page.get_by_role("link", name=t["zone_change"]).click()
    expect_focus_on_heading(page, t["zone_title"])
    check_axe(page, "zone picker")
    page.goto(link)

    page.get_by_role("link", name=t["none_fit"]).click()
    expect_focus_on_heading(page, t["no_fit_title"])
    check_axe(page, "no-fit form")
    page.get_by_role("button", name=t["send"]).click()  # empty: the browser asks for text
    expect(page.get_by_label(t["comment"])).to_be_focused()
    page.get_by_label(t["comment"]).fill("Next week works better")
    page.get_by_role("button", name=t["send"]).click()
    expect_focus_on_heading(page, t["thanks"])
    expect(page.get_by_role("status")).to_contain_text(t["thanks"].split()[0])
    check_axe(page, "no-fit sent")

    page.goto(link)
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name=t["book"]).click()
    expect_focus_on_heading(page, t["booked"])
    expect(page.get_by_role("status")).to_contain_text(t["booked"])
    check_axe(page, "confirmation")
    check_phone(page)

    page.get_by_role("link", name=t["cancel_link"]).click()
    expect_focus_on_heading(page, t["cancel_title"])
    check_axe(page, "cancel form")
    page.get_by_label(t["comment"]).fill(" ")
    page.get_by_role("button", name=t["cancel_title"]).click()
    expect(page.get_by_role("alert")).to_have_text(t["required"])
    check_axe(page, "cancel form with an error")
    page.get_by_label(t["comment"]).fill("I accepted another offer")
    page.get_by_role("button", name=t["cancel_title"]).click()
    expect_focus_on_heading(page, t["choose"])
    expect(page.get_by_role("status")).to_contain_text(t["cancelled"])
    check_axe(page, "cancel done")

    for state, heading, link_ in (
        ("no times left", t["no_times"], invite(t["name"], no_times=True)[t["name"]]),
        ("expired", t["expired"], invite(t["name"], expired=True)[t["name"]]),
        ("withdrawn", t["withdrawn"], invite(t["name"], withdrawn=True)[t["name"]]),
        ("invalid", t["invalid"], f"{app_url}/book/not-a-real-token"),
    ):
        page.goto(link_)
        expect(page.locator("h1, h2").filter(has_text=heading).first).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", lang)
        check_axe(page, state)
        check_phone(page)
    context.close()


def test_keyboard_only_booking_moves_focus_to_each_new_views_heading(browser: Browser, invite):
    context = browser.new_context(viewport=PHONE, timezone_id="America/New_York")
    page = context.new_page()
    page.goto(invite("James Carter")["James Carter"])
    expect_focus_on_heading(page, "Choose a time for your interview")

    def tab_to(predicate: str, limit: int = 25) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(el => {predicate})(document.activeElement)"):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to("el.type === 'radio'")
    page.keyboard.press("ArrowDown")  # the second time, on the same or the next day
    second = page.get_by_role("radio").nth(1)
    expect(second).to_be_checked()
    name = second.get_attribute("aria-label")
    assert re.match(r"^\w+day, \w+ \d+, \d{4}, \d{1,2}:\d\d", name or ""), name
    tab_to("el.tagName === 'BUTTON' && el.type === 'submit'")
    page.keyboard.press("Enter")
    expect_focus_on_heading(page, "Your interview is booked")
    expect(page.get_by_role("status")).to_contain_text("Your interview is booked")

    tab_to("el.textContent === 'Cancel this interview'")
    page.keyboard.press("Enter")
    expect_focus_on_heading(page, "Cancel the interview")
    tab_to("el.tagName === 'TEXTAREA'")
    page.keyboard.type("Something came up")
    tab_to("el.tagName === 'BUTTON'")
    page.keyboard.press("Enter")
    expect_focus_on_heading(page, "Choose a time for your interview")
    context.close()


def test_calendar_file_downloads_and_the_meeting_facts_show(page: Page, invite, app_url):
    page.set_viewport_size(PHONE)
    page.goto(invite("Emily Clarke", hour=13)["Emily Clarke"])
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Book this time").click()
    expect(page.locator("#view-heading")).to_have_text("Your interview is booked")
    # A real download, not a client-side route (which showed "Page not found").
    with page.expect_download() as download:
        page.get_by_role("link", name="Download calendar file (.ics)").click()
    assert download.value.suggested_filename == "interview.ics"
    assert "BEGIN:VEVENT" in Path(download.value.path()).read_text()
    google = page.get_by_role("link", name=re.compile("^Add to Google Calendar"))
    expect(google).to_have_attribute("target", "_blank")
    assert page.locator("a button, button a").count() == 0  # one tab stop per action
    expect(page.get_by_text("Backend Engineer")).to_be_visible()
    favicon = page.request.get(f"{app_url}/favicon.ico")
    assert favicon.status == 200 and len(favicon.body()) > 0


def test_the_browsers_zone_is_offered_and_the_language_remembered(browser: Browser, invite):
    context = browser.new_context(viewport=PHONE, timezone_id="America/New_York")
    page = context.new_page()
    link = invite("Freja Nielsen", hour=22)["Freja Nielsen"]
    page.goto(link)
    expect(page.get_by_text(re.compile(r"Centraleuropæisk .*\(København\)"))).to_be_visible()
    # 22:00 UTC + 90 minutes crosses midnight in Copenhagen: a short label naming the day.
    expect(page.get_by_role("radio").first).to_have_attribute(
        "aria-label", re.compile(r"23\.00 – \d+\. \w+\. 00\.30$")
    )
    offer = page.get_by_role("button", name=re.compile("^Vis tidspunkterne i "))
    expect(offer).to_be_visible()
    offer.click()
    expect(page.get_by_text(re.compile(r"\(New York\)"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Vis tidspunkterne i "))).to_have_count(0)

    page.get_by_role("button", name="Suomi").click()
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("#view-heading")).to_have_text("Valitse aika haastattelullesi")
    page.goto(link)  # remembered for this link
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_role("button", name="Suomi")).to_have_attribute("aria-pressed", "true")
    assert page.title().startswith("Valitse aika haastattelullesi")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_the_second_candidate_is_told_the_time_was_taken(browser: Browser, invite):
    links = invite("Rasmus Møller", "Elin Johansson", slots=1, hour=17)
    first = browser.new_page()
    second = browser.new_page()
    first.goto(links["Rasmus Møller"])
    second.goto(links["Elin Johansson"])
    first.get_by_role("radio").first.check()
    first.get_by_role("button", name="Book dette tidspunkt").click()
    expect(first.locator("#view-heading")).to_have_text("Din samtale er booket")
    second.get_by_role("radio").first.check()
    second.get_by_role("button", name="Boka den här tiden").click()
    expect(second.get_by_role("alert")).to_have_text("Den tiden togs precis. Välj en annan.")
    first.close()
    second.close()


def test_the_not_found_page_speaks_the_browsers_language(browser: Browser, app_url):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    response = page.goto(f"{app_url}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Sidan hittades inte")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page).to_have_title("Sidan hittades inte · Planner")
    expect(page.get_by_role("link", name="Gå till Planner")).to_have_attribute("href", "/calendar")
    check_axe(page, "not found (sv)")
    context.close()


def test_a_comment_that_is_too_long_is_refused_with_a_word_and_kept(page: Page, invite):
    link = invite("Emily Clarke", hour=15)["Emily Clarke"]
    page.goto(link)
    page.get_by_role("link", name="None of these times work for me").click()
    comment = page.get_by_label("Your comment")
    comment.fill("x" * 100_000)
    expect(comment).to_have_value("x" * 100_000)  # nothing cut off in the box
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your comment is too long (100,000 characters). Please shorten it to at most "
        "4,000 characters."
    )
    expect(page.get_by_label("Your comment")).to_have_value("x" * 100_000)  # not lost
    page.get_by_label("Your comment").fill("Any evening next week works for me.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("comment")


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
