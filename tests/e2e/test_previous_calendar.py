"""The previous calendar in Chromium: importing an .ics export (preview, the worker's job with
progress, a second import adding nothing, a hostile file refused), the account switch both
ways with an appointment typed in by hand, and a candidate's page with export and erasure."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import axe_playwright_python
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.models import Candidate, StaffUser
from planner.services import booking, previous_calendar, scheduling
from planner.services.actor import Actor

pytestmark = pytest.mark.e2e
ADMIN_EMAIL = "astrid.holm@demo.example"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()


def assert_accessible(page: Page, what: str) -> None:
    """axe-core (WCAG 2.1 A/AA) finds nothing, and nothing scrolls sideways at 390 px."""
    # Dialogs fade in: colours are measured once no animation is running.
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
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
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 5).map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 40))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{what}: {wide}"


def _ics() -> bytes:
    day = (datetime.now(COPENHAGEN) + timedelta(days=2)).strftime("%Y%m%d")
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        "UID:e2e-interview-1",
        "SUMMARY:Old interview with Freja",
        f"DTSTART;TZID=Romance Standard Time:{day}T100000",
        f"DTEND;TZID=Romance Standard Time:{day}T110000",
        "ORGANIZER;CN=Astrid Holm:mailto:astrid.holm@demo.example",
        "ATTENDEE;CN=Freja Nielsen:mailto:freja.nielsen@mail.example",
        "ATTENDEE;CN=Bo Outsider:mailto:bo@elsewhere.example",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:e2e-weekly-1",
        "SUMMARY:Old weekly sync",
        f"DTSTART;TZID=Europe/Copenhagen:{day}T140000",
        f"DTEND;TZID=Europe/Copenhagen:{day}T143000",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def _choose(page: Page, name: str, data: bytes) -> None:
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/calendar", "buffer": data}
    )
    expect(page.get_by_text(name)).to_be_visible()
    page.get_by_role("button", name="Preview import").click()


@pytest.fixture
def worker(e2e_database_url):
    """Runs the worker's import job against the e2e database, as the ARQ worker would."""
    engine = make_engine(e2e_database_url)

    def _run() -> int:
        with Session(engine, expire_on_commit=False) as session:
            return previous_calendar.run_due_imports(session=session, now=datetime.now(UTC))

    yield _run
    engine.dispose()


def test_import_preview_progress_and_a_second_import_adds_nothing(page: Page, sign_in, worker):
    sign_in(ADMIN_EMAIL, start="/import")
    expect(page.get_by_role("heading", name="Import the previous calendar")).to_be_visible()

    _choose(page, "outlook.ics", _ics())
    table = page.get_by_role("table", name="Appointments to import")
    expect(table.get_by_role("rowheader")).to_have_count(4)
    interview = table.get_by_role("row", name=re.compile("Old interview with Freja"))
    expect(interview).to_contain_text("Freja Nielsen")
    expect(interview).to_contain_text("Astrid Holm")
    expect(interview).to_contain_text("Bo Outsider <bo@elsewhere.example>")
    expect(interview).to_contain_text("10:00")  # Romance Standard Time = Copenhagen's zone
    expect(page.get_by_role("status")).to_contain_text("Preview ready: 4 appointments: 4 new")

    page.get_by_role("button", name="Import these appointments").click()
    expect(page.get_by_role("progressbar", name="Import progress")).to_be_visible()
    assert worker() == 1
    expect(page.get_by_role("status")).to_have_text(
        "Import finished: 4 added, 0 updated, 0 unchanged."
    )

    page.get_by_role("button", name="Import another file").click()
    _choose(page, "outlook.ics", _ics())
    expect(page.get_by_role("status")).to_contain_text("0 new, 0 changed, 4 already imported")
    page.get_by_role("button", name="Import these appointments").click()
    expect(page.get_by_role("progressbar", name="Import progress")).to_be_visible()
    assert worker() == 1
    expect(page.get_by_role("status")).to_have_text(
        "Import finished: 0 added, 0 updated, 4 unchanged."
    )

    # The imported appointment shows on the matched candidate's page.
    page.goto("/candidates")
    page.get_by_role("link", name="Freja Nielsen").click()
    expect(page.get_by_role("heading", level=1, name="Freja Nielsen")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Old interview with Freja")


def test_a_hostile_file_is_refused_naming_the_event_and_line(page: Page, sign_in):
    sign_in(ADMIN_EMAIL, start="/import")
    hostile = _ics().replace(b"DTSTART;TZID=Romance Standard Time:", b"X-NO-START:")
    _choose(page, "broken.ics", hostile)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported.")
    expect(alert).to_contain_text(
        "The event “Old interview with Freja” (line 4) has no start time (DTSTART)."
    )
    expect(page.get_by_role("table", name="Appointments to import")).to_have_count(0)

    flood = _ics().replace(b"RRULE:FREQ=WEEKLY;COUNT=3", b"RRULE:FREQ=SECONDLY;COUNT=1000000")
    _choose(page, "flood.ics", flood)
    expect(page.get_by_role("alert")).to_contain_text(
        "The event “Old weekly sync” (line 13) repeats more than 1500 times"
    )


def test_switch_to_the_previous_calendar_and_back_loses_nothing(page: Page, sign_in):
    sign_in(ADMIN_EMAIL, start="/import")
    switch = page.get_by_role("switch", name="Use the previous calendar")
    expect(switch).not_to_be_checked()
    # It asks first, naming the effect; keeping it changes nothing.
    switch.click()
    question = page.get_by_role("alertdialog", name="Switch everyone to the previous calendar?")
    expect(question).to_contain_text("Everyone in the account will see the previous")
    question.get_by_role("button", name="Keep as it is").click()
    expect(question).to_have_count(0)
    expect(switch).not_to_be_checked()
    switch.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Switch").click()
    expect(page.get_by_role("status")).to_have_text(
        "Everyone in the account now uses the previous calendar."
    )

    page.goto("/calendar")
    expect(page).to_have_url(re.compile("/previous-calendar/?$"))
    expect(page.get_by_role("heading", level=1, name="Previous calendar")).to_be_visible()
    page.get_by_role("button", name="New appointment").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title").fill("Typed-in screening call")
    dialog.get_by_label("Starts").fill("08:15")
    dialog.get_by_label("Ends").fill("08:45")
    dialog.get_by_role("button", name="Save appointment").click()
    expect(page.get_by_role("status")).to_have_text("Appointment saved: Typed-in screening call")
    expect(page.get_by_role("button", name="Edit Typed-in screening call")).to_be_visible()

    page.goto("/import")
    page.get_by_role("switch", name="Use the previous calendar").click()
    page.get_by_role("alertdialog", name="Switch everyone back to Planner's calendar?").get_by_role(
        "button", name="Switch"
    ).click()
    expect(page.get_by_role("status")).to_have_text(
        "Everyone in the account now uses Planner's calendar again."
    )
    page.goto("/calendar")
    expect(page).to_have_url(re.compile("/calendar/?$"))
    page.get_by_role("radio", name="List").click()
    entry = page.get_by_role(
        "button", name=re.compile("Typed-in screening call.*Previous calendar")
    )
    expect(entry).to_be_visible()
    entry.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Previous calendar")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("for good")
    dialog.get_by_role("button", name="Delete for good").click()
    expect(entry).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Appointment deleted.")


@pytest.fixture
def applicant(e2e_database_url):
    """A candidate of the demo account made for this test (the seed's stay as they are), with
    an interview booked five days ahead and another where no offered time fitted."""
    engine = make_engine(e2e_database_url)
    with Session(engine, expire_on_commit=False) as session:
        admin = session.exec(select(StaffUser).where(StaffUser.email == ADMIN_EMAIL)).one()
        candidate = Candidate(
            account_id=admin.account_id,
            name="Wilhelmina Exporter",
            email="wilhelmina.exporter@mail.example",
            phone="+45 11 22 33 44",
        )
        session.add(candidate)
        session.commit()
        actor = Actor(
            user_id=admin.id, account_id=admin.account_id, account_name="Demo", name=admin.name,
            email=admin.email, role=Role(admin.role), time_zone=admin.time_zone,
            locale=admin.locale,
        )  # fmt: skip
        now = datetime.now(UTC)
        tokens = []
        for title, days in (("Profile interview", 5), ("Profile follow-up", 6)):
            start = (now + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
            detail = scheduling.create_interview(
                session=session, actor=actor, now=now,
                data={"title": title, "duration_minutes": 30, "participant_ids": [admin.id],
                      "slots": [start]},
            )  # fmt: skip
            token = scheduling.invite_candidates(
                session=session, actor=actor, interview_id=detail.id,
                candidate_ids=[candidate.id], now=now,
            )[candidate.id]  # fmt: skip
            tokens.append((token, detail.slots[0].id))
        assert booking.book(session=session, token=tokens[0][0], slot_id=tokens[0][1], now=now).ok
        booking.no_fit(
            session=session, token=tokens[1][0], comment="Mornings are better for me", now=now
        )
    yield candidate
    with Session(engine) as session:  # the other tests count the seed's candidates
        session.delete(session.get(Candidate, candidate.id))
        session.commit()
    engine.dispose()


def test_candidate_page_export_and_erase(page: Page, sign_in, applicant):
    sign_in(ADMIN_EMAIL, start="/candidates")
    page.get_by_role("link", name="Wilhelmina Exporter").click()
    expect(page.get_by_role("heading", level=1, name="Wilhelmina Exporter")).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("wilhelmina.exporter@mail.example")
    interview = main.get_by_role("heading", level=3, name="Profile interview")
    expect(interview).to_be_visible()
    expect(main).to_contain_text(re.compile(r"Booked: \w+day, "))
    follow_up = page.locator(".rt-Card", has=page.get_by_role("heading", name="Profile follow-up"))
    expect(follow_up).to_contain_text("No time fits")
    expect(follow_up).to_contain_text("Mornings are better for me")

    with page.expect_download() as download:
        page.get_by_role("button", name="Export data").click()
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert exported["candidate"]["email"] == "wilhelmina.exporter@mail.example"
    assert exported["comments"][0]["text"] == "Mornings are better for me"

    page.get_by_role("button", name="Erase candidate").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Erase Wilhelmina Exporter?")
    expect(dialog).to_contain_text("upcoming interviews (1) are cancelled")
    expect(dialog).to_contain_text("This cannot be undone.")
    dialog.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_role("heading", level=1, name="Erased candidate")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "The candidate was erased: 1 interviews cancelled with notice, 0 appointments deleted."
    )
    expect(main).not_to_contain_text("wilhelmina")
    expect(main).not_to_contain_text("Mornings are better for me")
    expect(main.get_by_role("heading", level=3, name="Profile interview")).to_be_visible()
    expect(main).to_contain_text(re.compile(r"Cancelled: \w+day, "))
    page.goto("/candidates")
    expect(page.get_by_role("table", name="Candidates").get_by_role("rowheader")).to_have_count(8)
    expect(page.get_by_text("Wilhelmina Exporter")).to_have_count(0)


def test_pages_are_accessible_on_a_phone(page: Page, sign_in, applicant):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(ADMIN_EMAIL, start="/import")
    expect(page.get_by_role("heading", name="Import the previous calendar")).to_be_visible()
    assert_accessible(page, "import page")
    _choose(page, "outlook.ics", _ics())
    expect(page.get_by_role("table", name="Appointments to import")).to_be_visible()
    assert_accessible(page, "import preview")

    page.goto("/previous-calendar")
    expect(page.get_by_role("heading", level=1, name="Previous calendar")).to_be_visible()
    expect(page.get_by_role("button", name="New appointment")).to_be_visible()
    assert_accessible(page, "previous calendar")
    page.get_by_role("button", name="New appointment").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, "appointment form")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    page.goto("/candidates")
    page.get_by_role("link", name="Wilhelmina Exporter").click()
    expect(page.get_by_role("heading", level=1, name="Wilhelmina Exporter")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert_accessible(page, "candidate page")
    page.get_by_role("button", name="Erase candidate").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page, "erase confirmation")
    page.keyboard.press("Escape")  # closes, erasing nothing
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    page.get_by_role("button", name="Erase candidate").click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    page.get_by_role("button", name="Keep the candidate").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.get_by_role("heading", level=1, name="Wilhelmina Exporter")).to_be_visible()


def test_the_import_page_speaks_danish(page: Page, sign_in, staff_locale):
    staff_locale(ADMIN_EMAIL, "da")
    sign_in(ADMIN_EMAIL, start="/import")
    expect(page.get_by_role("heading", name="Importér den tidligere kalender")).to_be_visible()
    hostile = _ics().replace(b"DTSTART;TZID=Romance Standard Time:", b"X-NO-START:")
    page.locator("input[type=file]").set_input_files(
        {"name": "x.ics", "mimeType": "text/calendar", "buffer": hostile}
    )
    page.get_by_role("button", name="Vis import").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Intet blev importeret. Begivenheden “Old interview with Freja” (linje 4) har intet "
        "starttidspunkt (DTSTART)."
    )
