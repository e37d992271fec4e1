"""The invite wizard in Chromium: from the candidate list to sent invitations, the grid and
suggestions against a real Radicale calendar, a custom time with the collision warning, a
group session booked by two candidates, the double click, and archiving a location."""

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import axe_playwright_python
import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from planner.db import make_engine
from planner.integrations.calendar.base import Credentials
from planner.models import (
    Booking,
    BusyInterval,
    CalendarConnection,
    Candidate,
    CandidateInvitation,
    Interview,
    Job,
    Location,
    OfferedSlot,
    OutboxMessage,
    StaffUser,
)
from planner.services import calendar_sync, demo_calendars
from planner.settings import Settings
from tests.fakes.radicale import run_radicale

pytestmark = pytest.mark.e2e

AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
SETTINGS = Settings(env="test", secret_key="e2e-radicale-" + "x" * 32)


def assert_no_axe_violations(page: Page, what: str) -> None:
    """axe-core (WCAG 2 A/AA rules) finds nothing on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    problems = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]
    assert problems == [], f"{what}: {json.dumps(problems, indent=1)}"


@pytest.fixture
def db(e2e_database_url):
    engine = make_engine(e2e_database_url)
    yield engine
    engine.dispose()


def _next(page: Page, heading: str) -> None:
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=2)).to_be_focused()


def _open_wizard_from_list(page: Page, sign_in, *names: str) -> None:
    sign_in("mads.jensen@demo.example", start="/candidates")
    # Signed in (whichever page the sign-in landed on), then the candidate list.
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    if not re.search(r"/candidates/?$", page.url):
        page.goto("/candidates")
    expect(page.get_by_role("heading", name="Candidates", level=1)).to_be_visible()
    for name in names:
        page.get_by_role("checkbox", name=name, exact=True).click()
    selected = "1 candidate selected" if len(names) == 1 else f"{len(names)} candidates selected"
    expect(page.get_by_text(selected)).to_be_visible()
    page.get_by_role("link", name="Schedule interview").click()
    expect(page.get_by_role("heading", name="Schedule interview", level=1)).to_be_visible()
    expect(page.get_by_text("Chosen candidates: " + ", ".join(sorted(names)))).to_be_visible()


def _choose_location(page: Page, name: str) -> None:
    page.get_by_role("combobox", name="Location").click()
    page.get_by_role("option", name=name).click()


def test_from_the_candidate_list_to_sent_invitations(page: Page, sign_in, db):
    sign_in("mads.jensen@demo.example", start="/candidates")
    page.get_by_role("combobox", name="Job").click()
    page.get_by_role("option", name="Customer Success Manager").click()
    expect(page.get_by_role("row", name=re.compile("Freja Nielsen"))).to_have_count(0)
    page.get_by_role("checkbox", name="Emily Clarke", exact=True).click()
    page.get_by_role("combobox", name="Job").click()
    page.get_by_role("option", name="All jobs").click()
    page.get_by_role("checkbox", name="James Carter", exact=True).click()
    expect(page.get_by_text("2 candidates selected")).to_be_visible()
    assert_no_axe_violations(page, "candidate list")
    page.get_by_role("link", name="Schedule interview").click()

    # Step 1: both arrive selected; the job chosen here becomes the interview's job.
    expect(page.get_by_text("Chosen candidates: Emily Clarke, James Carter")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("Emily Clarke"))).to_be_checked()
    page.get_by_role("combobox", name="Job").click()
    page.get_by_role("option", name="Customer Success Manager").click()
    expect(page.get_by_text("Chosen candidates: Emily Clarke, James Carter")).to_be_visible()
    assert_no_axe_violations(page, "step 1")
    _next(page, "Interview")

    # Step 2: an empty title is refused next to the field; the counter counts.
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_text("Enter a title.")).to_be_visible()
    page.get_by_label("Title").fill("Wizard interview")
    expect(page.get_by_text("16 / 200")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile("Oliver Bennett")).click()
    expect(page.get_by_text(re.compile("gets no mail"))).to_be_visible()
    assert_no_axe_violations(page, "step 2")
    _next(page, "Times")

    # Step 3: suggestions without a click, by day in time order, with New York's local time.
    days = page.locator("#suggestions h4")
    expect(days.first).to_be_visible()
    expect(page.get_by_text(re.compile(r"James Carter: \d{1,2}:\d\d")).first).to_be_visible()
    expect(
        page.get_by_text(re.compile("Outside 07:00-21:00 for James Carter")).first
    ).to_be_visible()
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_text("Offer at least one time.")).to_be_visible()
    first = page.locator("#suggestions button").first
    first.click()
    expect(first).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#offered-times li")).to_have_count(1)
    expect(page.locator("#participant-rows li").first).to_be_visible()
    assert_no_axe_violations(page, "step 3")
    _next(page, "Place")

    # Step 4: kinds Mads cannot use are shown disabled with the reason.
    expect(page.get_by_text("Teams needs a Microsoft 365 calendar connection")).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Microsoft Teams"))).to_be_disabled()
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_text("Choose a location, or an online meeting.")).to_be_visible()
    _choose_location(page, "Helsinki office")
    assert_no_axe_violations(page, "step 4")
    _next(page, "Invitation")

    # Step 5: the preview in the candidates' language (both English) follows the typing.
    page.get_by_label(re.compile("^Subject")).fill("Your interview with Demo")
    expect(page.get_by_text("Subject: Your interview with Demo")).to_be_visible()
    page.get_by_label(re.compile("Personal message")).fill("Looking forward to it.")
    expect(page.get_by_text("22 / 4000")).to_be_visible()
    expect(page.locator("pre").first).to_contain_text("Looking forward to it.")
    # Where, as the mail will say it.
    expect(page.locator("pre").first).to_contain_text("Helsinki office, Mannerheimintie 5")
    assert_no_axe_violations(page, "step 5")
    # Back keeps every value.
    page.get_by_role("button", name="Back", exact=True).click()
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.locator("#offered-times li")).to_have_count(1)
    _next(page, "Place")
    _next(page, "Invitation")
    expect(page.get_by_label(re.compile("^Subject"))).to_have_value("Your interview with Demo")
    _next(page, "Review and send")
    expect(page.get_by_text("Helsinki office, Mannerheimintie 5, 00100 Helsinki")).to_be_visible()
    assert_no_axe_violations(page, "step 6")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("heading", name="Invitations sent")).to_be_focused()
    expect(page.get_by_role("status")).to_contain_text("Invitations sent to 2 candidates")

    with Session(db) as session:
        interview = session.exec(
            select(Interview).where(Interview.title == "Wizard interview")
        ).one()
        invited = session.exec(
            select(Candidate.name)
            .join(CandidateInvitation, col(CandidateInvitation.candidate_id) == Candidate.id)
            .where(CandidateInvitation.interview_id == interview.id)
        ).all()
        assert sorted(invited) == ["Emily Clarke", "James Carter"]
        assert interview.invitation_subject == "Your interview with Demo"
        job = session.exec(select(Job).where(Job.title == "Customer Success Manager")).one()
        assert interview.job_id == job.id
        assert interview.status == "open" and interview.capacity == 1


def test_the_wizard_speaks_the_recruiters_language(page: Page, sign_in, staff_locale):
    staff_locale("mads.jensen@demo.example", "da")
    sign_in("mads.jensen@demo.example", start="/candidates")
    expect(page.get_by_role("heading", name="Kandidater", level=1)).to_be_visible()
    page.get_by_role("checkbox", name="Freja Nielsen", exact=True).click()
    expect(page.get_by_text("1 kandidat valgt")).to_be_visible()
    page.get_by_role("link", name="Planlæg samtale").click()
    expect(page.get_by_role("heading", name="Planlæg samtale", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Kandidater og stilling", level=2)).to_be_visible()
    page.get_by_role("button", name="Næste", exact=True).click()
    expect(page.get_by_role("heading", name="Samtale", level=2)).to_be_focused()
    expect(page.get_by_label("Titel")).to_have_value("Samtale")
    page.get_by_role("button", name="Næste", exact=True).click()
    expect(page.get_by_role("heading", name="Foreslåede tidspunkter")).to_be_visible()
    expect(page.get_by_text("Tilgængelighed ukendt: Mads Jensen").first).to_be_visible()


def test_a_double_click_on_send_makes_one_interview_and_one_mail_each(page: Page, sign_in, db):
    _open_wizard_from_list(page, sign_in, "Freja Nielsen", "Nora Hansen")
    _next(page, "Interview")
    page.get_by_label("Title").fill("Double click interview")
    _next(page, "Times")
    page.locator("#suggestions button").first.click()
    _next(page, "Place")
    _choose_location(page, "Copenhagen HQ")
    _next(page, "Invitation")
    _next(page, "Review and send")
    page.get_by_role("button", name="Send invitations").dblclick()
    expect(page.get_by_role("heading", name="Invitations sent")).to_be_visible()
    with Session(db) as session:
        interviews = session.exec(
            select(Interview).where(Interview.title == "Double click interview")
        ).all()
        assert len(interviews) == 1
        invitations = session.exec(
            select(CandidateInvitation.id).where(
                CandidateInvitation.interview_id == interviews[0].id
            )
        ).all()
        assert len(invitations) == 2
        mails = [
            m
            for m in session.exec(select(OutboxMessage)).all()
            if m.payload.get("args", {}).get("invitation_id") in invitations
        ]
        assert len(mails) == 2, [m.kind for m in mails]


def test_each_step_fits_a_phone_screen(page: Page, sign_in):
    page.set_viewport_size({"width": 390, "height": 844})
    _open_wizard_from_list(page, sign_in, "Freja Nielsen", "James Carter")

    def fits(step: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{step}: {width}px wide"

    fits("candidates")
    _next(page, "Interview")
    fits("interview")
    _next(page, "Times")
    expect(page.locator(".fc-timegrid-body").first).to_be_visible()
    page.locator("#suggestions button").first.click()
    fits("times")
    _next(page, "Place")
    _choose_location(page, "Copenhagen HQ")
    fits("place")
    _next(page, "Invitation")
    fits("invitation")
    _next(page, "Review and send")
    fits("review")


def test_locations_are_archived_after_confirmation_with_clear_messages(page: Page, sign_in, db):
    _open_wizard_from_list(page, sign_in, "Elin Johansson")
    _next(page, "Interview")
    _next(page, "Times")
    page.locator("#suggestions button").first.click()
    _next(page, "Place")
    page.get_by_role("button", name="Add location").click()
    expect(page.get_by_text("Enter a name for the location.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Stockholm office")
    page.get_by_role("button", name="Add location").click()
    expect(page.get_by_text("A location named Stockholm office exists already.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Oslo office")
    page.get_by_label("Address", exact=True).fill("Karl Johans gate 1, Oslo")
    page.get_by_role("button", name="Add location").click()
    expect(page.get_by_role("combobox", name="Location")).to_have_text("Oslo office")
    # An interview uses it, then it is archived: asked first, naming the effect.
    _next(page, "Invitation")
    _next(page, "Review and send")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("heading", name="Invitations sent")).to_be_visible()

    _open_wizard_from_list_again(page)
    _next(page, "Interview")
    _next(page, "Times")
    page.locator("#suggestions button").first.click()
    _next(page, "Place")
    _choose_location(page, "Oslo office")
    page.get_by_role("button", name="Archive location").click()
    question = page.get_by_role("alertdialog", name="Archive location")
    expect(question).to_contain_text("1 interview that uses it keeps its address")
    question.get_by_role("button", name="Keep it").click()
    expect(question).to_have_count(0)
    page.get_by_role("button", name="Archive location").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Archive", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Location Oslo office archived.")
    page.get_by_role("combobox", name="Location").click()
    expect(page.get_by_role("option", name="Oslo office")).to_have_count(0)
    page.keyboard.press("Escape")
    with Session(db) as session:
        oslo = session.exec(select(Location).where(Location.name == "Oslo office")).one()
        assert oslo.archived_at is not None
        assert session.exec(select(Interview).where(Interview.location_id == oslo.id)).first()


def _open_wizard_from_list_again(page: Page) -> None:
    page.goto("/candidates")
    page.get_by_role("checkbox", name="Oskar Åberg", exact=True).click()
    page.get_by_role("link", name="Schedule interview").click()
    expect(page.get_by_text("Chosen candidates: Oskar Åberg")).to_be_visible()


# --- with Mads's real calendar on Radicale ---------------------------------------------------


@pytest.fixture
def mads_calendar(tmp_path, db):
    """Mads's demo calendar on a real Radicale, connected and polled into the e2e database;
    removed again afterwards so other tests see him unsynced."""
    users = {p.username: p.password for p in demo_calendars.demo_people(SETTINGS)}
    now = datetime.now(UTC).replace(microsecond=0)
    with run_radicale(tmp_path / "radicale", users=users) as server:
        with Session(db, expire_on_commit=False) as session:
            mads = session.exec(select(StaffUser).where(StaffUser.name == "Mads Jensen")).one()
            others = session.exec(
                select(StaffUser.name).where(StaffUser.name != "Mads Jensen")
            ).all()
            demo_calendars.seed_demo_calendars(
                session=session,
                settings=SETTINGS,
                server_url=server.url,
                today=now.date(),
                now=now,
            )
            # Only Mads: the others' connections (if any) are removed.
            for connection in session.exec(select(CalendarConnection)).all():
                if connection.staff_user_id != mads.id:
                    session.delete(connection)
            session.commit()
            # Playwright's sync API runs an event loop in this thread: poll in another one.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(_poll_with_own_session, db, now).result()
            busy = [
                (b.start_at, b.end_at)
                for b in session.exec(select(BusyInterval)).all()
                if not b.tentative
            ]
        assert busy and others
        try:
            yield busy
        finally:
            with Session(db) as session:
                for connection in session.exec(select(CalendarConnection)).all():
                    session.delete(connection)
                session.commit()


def _poll_with_own_session(engine, now):
    with Session(engine) as session:
        return asyncio.run(_poll(session, now))


async def _poll(session, now):
    targets = calendar_sync.due_targets(
        session=session, settings=SETTINGS, now=now, random=lambda: 0.0
    )

    async def save_tokens(_id, _credentials: Credentials) -> None:
        raise AssertionError("CalDAV has no tokens to refresh")

    async with httpx.AsyncClient() as http:
        outcomes = [
            await calendar_sync.poll_target(
                t, http=http, settings=SETTINGS, now=now, save_tokens=save_tokens, clock=lambda: now
            )
            for t in targets
        ]
    return calendar_sync.record_outcomes(session=session, outcomes=outcomes, now=now)


def test_radicale_busy_times_show_in_the_grid_and_no_suggestion_overlaps_them(
    page: Page, sign_in, db, mads_calendar
):
    _open_wizard_from_list(page, sign_in, "Freja Nielsen")
    _next(page, "Interview")
    _next(page, "Times")
    expect(page.locator("#suggestions button").first).to_be_visible()
    # Busy time from Radicale is drawn (as busy, never with the event's title).
    expect(page.locator(".fc-bg-event.planner-busy").first).to_be_attached()
    expect(page.locator("#participant-rows")).not_to_contain_text("Weekly team meeting")
    expect(page.locator(".planner-calendar")).not_to_contain_text("Weekly team meeting")
    # Every suggested time misses every busy period, and the calendar draws them too.
    expect(page.locator(".fc-event.planner-suggestion").first).to_be_attached()
    starts = _suggestion_times(page)
    assert len(starts) >= 5
    for start, end in starts:
        for busy_start, busy_end in mads_calendar:
            assert end <= busy_start or start >= busy_end, (start, busy_start)


def _suggestion_times(page: Page) -> list[tuple[datetime, datetime]]:
    """The suggested times the wizard lists (each button carries its UTC start and end)."""
    buttons = page.locator("#suggestions button[data-start]")
    expect(buttons.first).to_be_visible()
    return [
        (datetime.fromisoformat(b.get_attribute("data-start")),
         datetime.fromisoformat(b.get_attribute("data-end")))
        for b in buttons.all()
    ]  # fmt: skip


def test_a_custom_time_on_busy_time_needs_the_warning_naming_who(
    page: Page, sign_in, db, mads_calendar
):
    _open_wizard_from_list(page, sign_in, "Rasmus Møller")
    _next(page, "Interview")
    page.get_by_label("Title").fill("Custom time interview")
    page.get_by_role("checkbox", name=re.compile("Sofia Lindqvist")).click()
    _next(page, "Times")
    with Session(db) as session:
        mads = session.exec(select(StaffUser).where(StaffUser.name == "Mads Jensen")).one()
        zone = mads.time_zone
    from zoneinfo import ZoneInfo

    future = [b for b in mads_calendar if b[0] > datetime.now(UTC) + timedelta(days=1)]
    busy_start = min(future)[0].astimezone(ZoneInfo(zone))
    page.get_by_label("Date", exact=True).fill(busy_start.date().isoformat())
    page.get_by_label("Start time").fill(busy_start.strftime("%H:%M"))
    page.get_by_role("button", name="Add time").click()
    warning = page.locator("#collision-warning")
    expect(warning).to_contain_text("Busy: Mads Jensen")
    expect(warning).to_contain_text("Availability unknown: Sofia Lindqvist")
    expect(warning).to_be_focused()
    expect(page.locator("#offered-times li")).to_have_count(0)
    assert_no_axe_violations(page, "collision warning")
    page.get_by_role("button", name="Offer this time anyway").click()
    expect(page.locator("#offered-times li")).to_have_count(1)
    expect(page.locator("#offered-times")).to_contain_text("Busy: Mads Jensen")
    _next(page, "Place")
    _choose_location(page, "Copenhagen HQ")
    _next(page, "Invitation")
    _next(page, "Review and send")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("heading", name="Invitations sent")).to_be_visible()
    with Session(db) as session:
        interview = session.exec(
            select(Interview).where(Interview.title == "Custom time interview")
        ).one()
        slot = session.exec(
            select(OfferedSlot).where(OfferedSlot.interview_id == interview.id)
        ).one()
        assert slot.start_at == busy_start.astimezone(UTC)


def test_a_click_on_the_calendar_offers_a_time_after_the_warning(page: Page, sign_in):
    _open_wizard_from_list(page, sign_in, "Oskar Åberg")
    _next(page, "Interview")
    _next(page, "Times")
    # Two weeks ahead: clear of the times other e2e tests book for Mads (9 days ahead).
    page.get_by_role("button", name="Next week").click()
    page.get_by_role("button", name="Next week").click()
    column = page.locator(".fc-timegrid-col[data-date]").nth(2)  # Wednesday in two weeks
    lane = page.locator('.fc-timegrid-slot-lane[data-time="14:00:00"]')
    expect(lane).to_be_visible()
    lane.scroll_into_view_if_needed()
    x_box, y_box = column.bounding_box(), lane.bounding_box()
    page.mouse.click(x_box["x"] + x_box["width"] / 2, y_box["y"] + y_box["height"] / 2)
    warning = page.locator("#collision-warning")
    # Nobody's calendar is connected here: Mads's availability is unknown, never free.
    expect(warning).to_contain_text("Availability unknown: Mads Jensen")
    expect(warning).to_contain_text(re.compile(r"Wednesday.*2:00"))
    page.get_by_role("button", name="Offer this time anyway").click()
    expect(page.locator("#offered-times li")).to_have_count(1)
    expect(page.locator(".fc-event.planner-chosen")).to_have_count(1)
    # Clicking the chosen time on the calendar takes it back out.
    page.locator(".fc-event.planner-chosen").click()
    expect(page.locator("#offered-times li")).to_have_count(0)


def test_a_group_session_is_booked_by_two_candidates(page: Page, browser, sign_in, db, app_url):
    _open_wizard_from_list(page, sign_in, "Emily Clarke", "James Carter")
    _next(page, "Interview")
    page.get_by_label("Title").fill("Group session")
    page.get_by_text("Group session: several candidates at the same time").click()
    page.get_by_label("Candidates per time").fill("1")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_text("A group session takes 2 to 50 candidates per time.")).to_be_visible()
    page.get_by_label("Candidates per time").fill("2")
    _next(page, "Times")
    page.locator("#suggestions button").first.click()
    _next(page, "Place")
    _choose_location(page, "Helsinki office")
    _next(page, "Invitation")
    _next(page, "Review and send")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("heading", name="Invitations sent")).to_be_visible()

    with Session(db) as session:
        interview = session.exec(select(Interview).where(Interview.title == "Group session")).one()
        assert interview.capacity == 2
        interview_id = interview.id
        invitations = session.exec(
            select(CandidateInvitation.id).where(CandidateInvitation.interview_id == interview_id)
        ).all()
        # The links as mailed (the notification requests carry them to the mail renderer).
        links = [
            app_url + "/book/" + m.payload["args"]["link"].split("/book/", 1)[1]
            for m in session.exec(select(OutboxMessage)).all()
            if m.payload.get("args", {}).get("invitation_id") in invitations
        ]  # fmt: skip
        assert len(links) == 2

    for link in links:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        candidate = context.new_page()
        candidate.goto(link)
        expect(candidate.get_by_role("heading", name="Group session")).to_be_visible()
        candidate.get_by_role("radio").first.check()
        candidate.get_by_role("button", name="Book this time").click()
        expect(candidate.get_by_role("heading", name="Your interview is booked")).to_be_visible()
        context.close()
    with Session(db) as session:
        booked = session.exec(
            select(Booking)
            .join(OfferedSlot, col(OfferedSlot.id) == Booking.slot_id)
            .where(OfferedSlot.interview_id == interview_id, Booking.status == "active")
        ).all()
        assert len(booked) == 2 and len({b.slot_id for b in booked}) == 1
