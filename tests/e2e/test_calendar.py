"""The interview calendar: the day/week/month grid and the list, booked and offered entries
drawn apart, filters, the interview dialog with every candidate's status and comments, and
the staff actions, each behind a confirmation naming its effect."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from interview_data import COPENHAGEN, Made, notifications_since
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select
from test_booking_page import check_axe

from planner.models import Booking, CandidateInvitation, Interview, OfferedSlot

pytestmark = pytest.mark.e2e
ADMIN = "astrid.holm@demo.example"
RECRUITER = "mads.jensen@demo.example"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "calendar"


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _open_calendar(page: Page, sign_in, url: str, email: str = ADMIN) -> None:
    # Dialogs open without their fade-in, so axe reads their final colours.
    page.emulate_media(reduced_motion="reduce")
    sign_in(email, start=url)
    expect(page.get_by_role("heading", name="Interviews", level=1)).to_be_visible()
    page.goto(url)  # a fresh load of the page asked for (sign-in already came back to it)
    expect(page.locator("#calendar-range")).to_be_visible()


def _grid_entry(page: Page, text: str) -> Locator:
    return page.locator("#calendar-grid .fc-event").filter(has_text=text)


def _open_dialog(page: Page, made: Made) -> Locator:
    page.get_by_role("radio", name="List").click()
    page.get_by_role("button", name=re.compile(re.escape(made.title))).first.click()
    dialog = page.get_by_role("dialog", name=made.title)
    expect(dialog).to_be_visible()
    return dialog


def test_grid_and_list_show_booked_and_offered_apart_in_the_users_zone(
    page: Page, sign_in, make_interview
) -> None:
    made = make_interview(21, book={"Rasmus Møller": 0})
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_calendar(page, sign_in, made.week_url)

    expect(
        page.get_by_text("Times are shown in Central European Time (Copenhagen).")
    ).to_be_visible()
    booked = _grid_entry(page, f"{made.title} · Rasmus Møller")
    offered = _grid_entry(page, f"{made.title} · Awaiting choice")
    expect(booked).to_have_count(1)
    expect(offered).to_have_count(1)
    expect(booked).to_have_class(re.compile("planner-booked"))
    expect(offered).to_have_class(re.compile("planner-offered"))
    # Drawn differently: a filled green entry, and a white one with a dashed border.
    assert booked.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(6, 118, 71)"
    assert offered.evaluate("e => getComputedStyle(e).borderStyle") == "dashed"
    # 09:00 in Copenhagen is drawn at 09:00 whatever the browser's zone, written as English
    # writes it (the dialog and mails say 9:00 AM too).
    expect(booked).to_contain_text(re.compile(r"\b9:00\s?AM"))
    legend = page.get_by_role("list").filter(has_text="Offered, awaiting a choice")
    expect(legend).to_contain_text("Booked")
    _shot(page, "week-1280")
    check_axe(page, "week grid")

    page.get_by_role("radio", name="Month").click()
    expect(_grid_entry(page, made.title)).to_have_count(2)
    check_axe(page, "month grid")
    page.get_by_role("radio", name="Day").click()
    expect(page.locator("#calendar-range")).to_contain_text(str(made.day.day))
    _shot(page, "day-1280")

    page.get_by_role("radio", name="Week").click()
    page.get_by_role("radio", name="List").click()
    expect(
        page.get_by_role("button", name=re.compile(f"{made.title}.*Rasmus Møller.*Booked"))
    ).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(f"{made.title}.*Awaiting choice"))
    ).to_have_count(1)
    _shot(page, "list-1280")
    check_axe(page, "list")


def test_filters_mine_all_and_by_job(page: Page, sign_in, make_interview, db) -> None:
    mine = make_interview(22, hours=(10,), participants=("Mads Jensen",), organiser="Mads Jensen")
    theirs = make_interview(22, hours=(11,))
    with db() as session:
        job_id = session.exec(select(Interview.job_id).where(Interview.job_id.is_not(None))).first()
        if job_id is None:
            from planner.models import Job

            job_id = session.exec(select(Job.id)).first()
        row = session.get(Interview, theirs.interview_id)
        row.job_id = job_id
        session.add(row)
        session.commit()
        from planner.models import Job

        job_title = session.get(Job, job_id).title
    _open_calendar(page, sign_in, mine.week_url, RECRUITER)
    page.get_by_role("radio", name="List").click()
    first = page.get_by_role("button", name=re.compile(mine.title))
    second = page.get_by_role("button", name=re.compile(theirs.title))
    expect(first).to_have_count(1)
    expect(second).to_have_count(1)

    page.get_by_role("combobox", name=re.compile("^Show")).click()
    page.get_by_role("option", name="My interviews").click()
    expect(second).to_have_count(0)
    expect(first).to_have_count(1)

    page.get_by_role("combobox", name=re.compile("^Show")).click()
    page.get_by_role("option", name=job_title).click()
    expect(first).to_have_count(0)
    expect(second).to_have_count(1)

    page.get_by_role("combobox", name=re.compile("^Show")).click()
    page.get_by_role("option", name="All interviews").click()
    expect(first).to_have_count(1)
    expect(second).to_have_count(1)


def test_the_dialog_shows_when_where_who_each_candidates_status_and_comments(
    page: Page, sign_in, make_interview
) -> None:
    made = make_interview(
        23,
        invite=("Rasmus Møller", "Oskar Åberg", "James Carter"),
        book={"Rasmus Møller": 0},
        no_fit={"Oskar Åberg": "Only evenings work for me."},
        participants=("Astrid Holm", "Mads Jensen"),
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_calendar(page, sign_in, made.week_url)
    _grid_entry(page, f"{made.title} · Rasmus Møller").click()
    dialog = page.get_by_role("dialog", name=made.title)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("When:")
    expect(dialog).to_contain_text("Where:")
    participants = dialog.get_by_role("list").filter(has_text="Mads Jensen").first
    expect(participants).to_contain_text("Astrid Holm")
    expect(participants).to_contain_text("Organiser")
    candidates = dialog.get_by_role("listitem").filter(has_text="Oskar Åberg")
    expect(candidates).to_contain_text("No time fits")
    expect(candidates).to_contain_text("Only evenings work for me.")
    expect(dialog.get_by_role("listitem").filter(has_text="James Carter")).to_contain_text(
        "Awaiting choice"
    )
    expect(dialog.get_by_role("listitem").filter(has_text="Rasmus Møller").first).to_contain_text(
        "Booked"
    )
    link = dialog.get_by_role("link", name="Oskar Åberg")
    expect(link).to_have_attribute("href", re.compile(r"/candidates/\d+$"))
    _shot(page, "dialog-1280")
    check_axe(page, "details dialog")

    link.click()
    expect(page.get_by_role("heading", name="Oskar Åberg", level=1)).to_be_visible()
    expect(page.get_by_text("Only evenings work for me.")).to_be_visible()
    # Back on the calendar, the dialog does not open again by itself.
    page.go_back()
    expect(page.get_by_role("heading", name="Interviews", level=1)).to_be_visible()
    expect(page.locator("#calendar-range")).to_be_visible()
    page.wait_for_timeout(1_000)
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_removing_a_booked_time_asks_first_names_the_candidate_and_tells_them(
    page: Page, sign_in, make_interview, db
) -> None:
    made = make_interview(24, book={"Rasmus Møller": 0})
    _open_calendar(page, sign_in, made.week_url)
    dialog = _open_dialog(page, made)
    remove = dialog.get_by_role("button", name=re.compile(r"^Remove .*9:00"))
    remove.click()
    confirm = page.get_by_role("alertdialog", name="Remove this time?")
    expect(confirm).to_contain_text("Rasmus Møller booked it")
    expect(confirm.get_by_role("button", name="Go back")).to_be_focused()
    check_axe(page, "remove confirmation")
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    with db() as session:
        assert session.get(OfferedSlot, made.slot_ids[0]).status == "offered"

    since = datetime.now(UTC) - timedelta(seconds=1)
    remove.click()
    button = confirm.get_by_role("button", name="Remove the time")
    button.dblclick()
    expect(dialog.get_by_role("status")).to_have_text(
        "Time removed. The candidate who had booked it has been told."
    )
    expect(dialog.get_by_role("button", name=re.compile(r"^Remove .*9:00"))).to_have_count(0)
    with db() as session:
        assert session.get(OfferedSlot, made.slot_ids[0]).status == "removed"
        told = [n for n in notifications_since(session, since) if n["name"] == "slot_removed"]
        assert len(told) == 1  # the double click had one effect


def test_removing_an_unbooked_time_and_adding_one(page: Page, sign_in, make_interview, db) -> None:
    made = make_interview(25, no_fit={"Oskar Åberg": "None of these."})
    _open_calendar(page, sign_in, made.week_url)
    dialog = _open_dialog(page, made)
    dialog.get_by_role("button", name=re.compile(r"^Remove .*3:00")).click()
    confirm = page.get_by_role("alertdialog", name="Remove this time?")
    expect(confirm).to_contain_text("Candidates still choosing no longer see it")
    confirm.get_by_role("button", name="Remove the time").click()
    expect(dialog.get_by_role("status")).to_have_text("Time removed.")

    dialog.get_by_label("Date").fill(made.day.isoformat())
    dialog.get_by_label("Start time").fill("13:00")
    dialog.get_by_role("button", name="Add time").click()
    expect(
        dialog.get_by_role("button", name=re.compile(r"^Remove .*1:00 . 1:30 PM"))
    ).to_have_count(1)
    since = datetime.now(UTC) - timedelta(seconds=1)
    dialog.get_by_role("button", name="Offer the times").click()
    confirm = page.get_by_role("alertdialog", name="Offer more times?")
    expect(confirm).to_contain_text("Oskar Åberg")
    expect(confirm).to_contain_text("said no time fits")
    check_axe(page, "add confirmation")
    confirm.get_by_role("button", name="Offer the times").click()
    expect(dialog.get_by_role("status")).to_have_text(re.compile(r"^1 time added\."))
    with db() as session:
        starts = session.exec(
            select(OfferedSlot.start_at).where(
                OfferedSlot.interview_id == made.interview_id, OfferedSlot.status == "offered"
            )
        ).all()
        assert len(starts) == 2
        assert notifications_since(session, since), "Oskar is mailed the new times"


def test_changing_the_title_and_resending_a_link(page: Page, sign_in, make_interview, db) -> None:
    made = make_interview(26)
    _open_calendar(page, sign_in, made.week_url)
    dialog = _open_dialog(page, made)
    new_title = made.title + " (round 2)"
    dialog.get_by_label("Title", exact=True).fill(new_title)
    dialog.get_by_role("button", name="Save the changes").click()
    confirm = page.get_by_role("alertdialog", name="Save the changes?")
    expect(confirm).to_contain_text(new_title)
    expect(confirm).to_contain_text("No one has booked yet")
    check_axe(page, "update confirmation")
    confirm.get_by_role("button", name="Save the changes").click()
    expect(dialog.get_by_role("status")).to_have_text(re.compile("^Changes saved"))
    expect(page.get_by_role("dialog", name=new_title)).to_be_visible()
    with db() as session:
        assert session.get(Interview, made.interview_id).title == new_title

    with db() as session:
        old_hash = session.get(CandidateInvitation, made.invitation_ids["Oskar Åberg"]).token_hash
    dialog.get_by_role("button", name="Send a new link: Oskar Åberg").click()
    confirm = page.get_by_role("alertdialog", name="Send Oskar Åberg a new link?")
    expect(confirm).to_contain_text("The old link stops working.")
    check_axe(page, "resend confirmation")
    confirm.get_by_role("button", name="Send a new link").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "A new link was sent to Oskar Åberg. The old link no longer works."
    )
    with db() as session:
        assert (
            session.get(CandidateInvitation, made.invitation_ids["Oskar Åberg"]).token_hash
            != old_hash
        )


def test_cancelling_the_interview_names_everyone_told(
    page: Page, sign_in, make_interview, db
) -> None:
    made = make_interview(27, book={"Rasmus Møller": 0})
    _open_calendar(page, sign_in, made.week_url)
    dialog = _open_dialog(page, made)
    dialog.get_by_role("button", name="Cancel the interview").click()
    confirm = page.get_by_role("alertdialog", name=f"Cancel “{made.title}”?")
    expect(confirm).to_contain_text("Rasmus Møller (booked)")
    expect(confirm).to_contain_text("Oskar Åberg (still choosing)")
    check_axe(page, "cancel confirmation")
    since = datetime.now(UTC) - timedelta(seconds=1)
    confirm.get_by_role("button", name="Cancel the interview").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Interview cancelled. 2 candidates have been told."
    )
    expect(dialog.get_by_role("button", name="Cancel the interview")).to_have_count(0)
    # Participants no longer read "Nothing booked yet", as if a booking might still come.
    expect(dialog.get_by_text("Nothing booked yet")).to_have_count(0)
    participant = dialog.get_by_role("listitem").filter(has_text="Astrid Holm").first
    expect(participant).to_contain_text("Interview cancelled")
    with db() as session:
        assert session.get(Interview, made.interview_id).status == "cancelled"
        assert len(notifications_since(session, since)) >= 2
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("button", name=re.compile(re.escape(made.title)))).to_have_count(0)


def test_a_stale_dialog_changes_nothing_and_says_so(
    page: Page, sign_in, make_interview, db
) -> None:
    made = make_interview(28, book={"Rasmus Møller": 0})
    _open_calendar(page, sign_in, made.week_url)
    dialog = _open_dialog(page, made)
    dialog.get_by_role("button", name="Cancel the interview").click()
    confirm = page.get_by_role("alertdialog", name=f"Cancel “{made.title}”?")
    expect(confirm).to_be_visible()
    # Meanwhile Oskar books the other time.
    from planner.services import booking

    with db() as session:
        assert booking.book(
            session=session,
            token=made.tokens["Oskar Åberg"],
            slot_id=made.slot_ids[1],
            now=datetime.now(UTC),
        ).ok
    confirm.get_by_role("button", name="Cancel the interview").click()
    expect(dialog.get_by_role("status")).to_have_text(
        re.compile("^This interview changed meanwhile")
    )
    with db() as session:
        assert session.get(Interview, made.interview_id).status != "cancelled"
        active = session.exec(
            select(Booking).where(Booking.slot_id.in_(made.slot_ids), Booking.status == "active")
        ).all()
        assert len(active) == 2
    # The dialog shows the new state: Oskar has booked.
    expect(dialog.get_by_role("listitem").filter(has_text="Oskar Åberg").first).to_contain_text(
        "Booked"
    )


def test_the_calendar_fits_a_390px_phone_and_opens_as_the_list(
    page: Page, sign_in, make_interview
) -> None:
    made = make_interview(29, book={"Rasmus Møller": 0})
    page.set_viewport_size({"width": 390, "height": 844})
    _open_calendar(page, sign_in, made.week_url)
    expect(page.get_by_role("radio", name="List")).to_be_checked()
    expect(page.get_by_role("button", name=re.compile(re.escape(made.title))).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "list-390")
    check_axe(page, "phone list")
    page.get_by_role("radio", name="Calendar").click()
    expect(_grid_entry(page, made.title).first).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "week-390")
    page.get_by_role("radio", name="List").click()
    page.get_by_role("button", name=re.compile(re.escape(made.title))).first.click()
    expect(page.get_by_role("dialog", name=made.title)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "dialog-390")


def test_on_a_phone_the_dialogs_message_comes_into_view_and_the_focus_goes_to_its_title(
    page: Page, sign_in, make_interview
) -> None:
    # The dialog is long on a phone: its message sits at the top, above the fold, while
    # Save and the confirmations' buttons are far below it.
    made = make_interview(38, hours=(9, 11, 15), book={"Rasmus Møller": 0})
    page.set_viewport_size({"width": 390, "height": 844})
    _open_calendar(page, sign_in, made.week_url)
    page.get_by_role("button", name=re.compile(re.escape(made.title))).first.click()
    dialog = page.get_by_role("dialog", name=made.title)
    title = dialog.get_by_role("heading", name=made.title)
    expect(title).to_be_focused()

    dialog.get_by_label("Title").fill("")
    dialog.get_by_role("button", name="Save the changes").click()
    message = dialog.locator(".rt-CalloutRoot")
    expect(message).to_have_text("The title cannot be empty.")
    expect(message).to_be_in_viewport()

    dialog.get_by_label("Title").fill(made.title)
    dialog.get_by_role("button", name=re.compile("^Remove ")).last.click()  # the last time
    page.get_by_role("alertdialog").get_by_role("button", name="Remove the time").click()
    expect(message).to_have_text("Time removed.")
    expect(title).to_be_focused()
    expect(message).to_be_in_viewport()


def test_closing_the_dialog_gives_the_focus_back_to_the_entry_that_opened_it(
    page: Page, sign_in, make_interview
) -> None:
    made = make_interview(39, book={"Rasmus Møller": 0})
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_calendar(page, sign_in, made.week_url)
    entry = _grid_entry(page, f"{made.title} · Rasmus Møller")
    entry.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=made.title)
    expect(dialog.get_by_role("heading", name=made.title)).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(entry).to_be_focused()

    page.get_by_role("radio", name="List").click()
    row = page.get_by_role("button", name=re.compile(re.escape(made.title))).first
    row.focus()
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    expect(row).to_be_focused()


def test_after_choosing_a_place_and_saving_the_focus_still_goes_back_to_the_entry(
    page: Page, sign_in, make_interview
) -> None:
    """The Place select draws its options outside the dialog: choosing one must not become
    the element the focus "goes back" to (it did, and the focus fell to the page's body)."""
    made = make_interview(45, book={"Rasmus Møller": 0})
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_calendar(page, sign_in, made.week_url)
    entry = _grid_entry(page, f"{made.title} · Rasmus Møller")
    entry.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=made.title)
    expect(dialog.get_by_role("heading", name=made.title)).to_be_focused()
    dialog.get_by_role("combobox", name=re.compile("^Place")).focus()
    page.keyboard.press("Enter")
    option = page.get_by_role("option", name=re.compile("^Copenhagen HQ"))
    option.focus()
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Save the changes").focus()
    page.keyboard.press("Enter")
    confirm = page.get_by_role("alertdialog", name="Save the changes?")
    confirm.get_by_role("button", name="Save the changes").focus()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("status")).to_have_text(re.compile("^Changes saved"))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(entry).to_be_focused()


def test_on_a_phone_a_long_place_name_keeps_the_dialog_on_the_screen(
    page: Page, sign_in, make_interview
) -> None:
    """The Place select was as wide as the chosen place's name and address: on a 390 px
    phone the dialog grew past the screen (its Remove and Close buttons out of sight), and
    options whose text wrapped overlapped each other."""
    made = make_interview(46, book={"Rasmus Møller": 0})
    page.set_viewport_size({"width": 390, "height": 844})
    _open_calendar(page, sign_in, made.week_url)
    page.get_by_role("button", name=re.compile(re.escape(made.title))).first.click()
    dialog = page.get_by_role("dialog", name=made.title)
    place = dialog.get_by_role("combobox", name=re.compile("^Place"))
    place.scroll_into_view_if_needed()
    place.click()
    options = page.get_by_role("option")
    expect(options.filter(has_text="Stockholm office")).to_have_count(1)
    for option in options.all():
        # Its text fits in it (a wrapped name and address spilled over the next option).
        assert option.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), option
        box = option.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    options.filter(has_text="Stockholm office").click()
    expect(place).to_contain_text("Stockholm office")
    _shot(page, "phone-long-place")
    for element in (dialog, place, dialog.get_by_role("button", name="Close")):
        box = element.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, element
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_full_day_of_the_month_grid_has_a_more_link_axe_accepts(
    page: Page, sign_in, make_interview
) -> None:
    # More entries than a month cell shows: FullCalendar adds a "+N more" link with
    # aria-expanded, which a plain link may not have (axe: aria-allowed-attr, critical).
    made = make_interview(40, hours=(9, 10, 11, 12, 13, 14, 15))
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_calendar(page, sign_in, f"/calendar?date={made.day.isoformat()}&range=month")
    more = page.locator("#calendar-grid .fc-more-link")
    expect(more.first).to_be_visible()
    expect(more.first).to_have_attribute("role", "button")
    check_axe(page, "month grid with a +N more link")
    more.first.focus()  # it opens from the keyboard, as a button does
    page.keyboard.press("Enter")
    expect(page.locator(".fc-popover")).to_contain_text(made.title)


def test_the_calendar_and_its_dialog_speak_danish(
    page: Page, sign_in, make_interview, staff_locale
) -> None:
    made = make_interview(36, book={"Rasmus Møller": 0})
    staff_locale(ADMIN, "da")
    sign_in(ADMIN, start=made.week_url)
    expect(page.get_by_role("heading", name="Samtaler", level=1)).to_be_visible()
    page.goto(made.week_url)
    expect(
        page.get_by_text(re.compile(r"^Tidspunkterne vises i .*\(København\)\.$"))
    ).to_be_visible()
    expect(page.get_by_role("radio", name="Liste")).to_be_visible()
    expect(page.get_by_text("Tilbudt, venter på valg")).to_be_visible()
    # The grid writes times as Danish does (24-hour), as the dialog and mails do.
    entry = _grid_entry(page, made.title).first
    expect(entry).to_contain_text(re.compile(r"\b0?9[.:]00\b"))
    expect(entry).not_to_contain_text(re.compile("AM|PM"))
    page.get_by_role("radio", name="Liste").click()
    page.get_by_role("button", name=re.compile(re.escape(made.title))).first.click()
    dialog = page.get_by_role("dialog", name=made.title)
    expect(dialog).to_contain_text("Arrangeret af Astrid Holm")
    dialog.get_by_role("button", name="Aflys samtalen").click()
    confirm = page.get_by_role("alertdialog", name=f"Aflys “{made.title}”?")
    expect(confirm).to_contain_text("Rasmus Møller (booket)")
    confirm.get_by_role("button", name="Gå tilbage").click()
    expect(confirm).to_have_count(0)


def test_a_time_the_service_refuses_is_said_in_the_staff_users_language(
    page: Page, sign_in, make_interview, staff_locale, db
) -> None:
    """The dialog lets a time more than a year ahead through; the service refuses it, and
    the dialog says why in Danish, the time as a Dane reads it (no field name, no ISO)."""
    from planner.i18n.dates import format_short

    made = make_interview(45, hours=(9,))
    staff_locale(ADMIN, "da")
    page.emulate_media(reduced_motion="reduce")
    sign_in(ADMIN, start=made.week_url)
    expect(page.get_by_role("heading", name="Samtaler", level=1)).to_be_visible()
    page.goto(made.week_url)
    page.get_by_role("radio", name="Liste").click()
    page.get_by_role("button", name=re.compile(re.escape(made.title))).first.click()
    dialog = page.get_by_role("dialog", name=made.title)
    far = made.day + timedelta(days=400)
    dialog.get_by_label("Dato").fill(far.isoformat())
    dialog.get_by_label("Starttidspunkt").fill("13:00")
    dialog.get_by_role("button", name="Tilføj tidspunkt").click()
    dialog.get_by_role("button", name="Tilbyd tidspunkterne").click()
    page.get_by_role("alertdialog", name="Tilbyd flere tidspunkter?").get_by_role(
        "button", name="Tilbyd tidspunkterne"
    ).click()

    start = datetime(far.year, far.month, far.day, 13, tzinfo=COPENHAGEN)
    when = format_short(start, locale="da", time_zone="Europe/Copenhagen")
    expect(dialog.get_by_role("status")).to_have_text(
        f"{when} ligger mere end et år ude i fremtiden."
    )
    with db() as session:
        offered = session.exec(
            select(OfferedSlot).where(OfferedSlot.interview_id == made.interview_id)
        ).all()
    assert len(offered) == 1, "nothing was added"


def test_times_picked_on_the_grid_are_offered_after_a_confirmation(
    page: Page, sign_in, make_interview, db
) -> None:
    made = make_interview(37, hours=(9,))
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_calendar(page, sign_in, made.day_url)
    _grid_entry(page, made.title).click()
    dialog = page.get_by_role("dialog", name=made.title)
    dialog.get_by_role("button", name="Pick on the calendar").click()
    expect(dialog).to_have_count(0)
    picking = page.locator("#picking")
    expect(picking).to_contain_text(f"Click a time on the calendar to offer it for “{made.title}”.")
    lane = page.locator('.fc-timegrid-slot-lane[data-time="13:00:00"]')
    lane.scroll_into_view_if_needed()
    box = lane.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(picking).to_contain_text(re.compile(r"Added: .*1:00\W+1:30\WPM"))
    check_axe(page, "picking on the grid")
    picking.get_by_role("button", name="Back to the interview").click()
    expect(dialog).to_be_visible()
    expect(
        dialog.get_by_role("button", name=re.compile(r"^Remove .*1:00 . 1:30 PM"))
    ).to_have_count(1)
    dialog.get_by_role("button", name="Offer the times").click()
    page.get_by_role("alertdialog", name="Offer more times?").get_by_role(
        "button", name="Offer the times"
    ).click()
    expect(dialog.get_by_role("status")).to_have_text("1 time added.")
    with db() as session:
        starts = session.exec(
            select(OfferedSlot.start_at).where(
                OfferedSlot.interview_id == made.interview_id, OfferedSlot.status == "offered"
            )
        ).all()
    assert sorted(s.astimezone(COPENHAGEN).hour for s in starts) == [9, 13]


@pytest.mark.parametrize(("email", "hosts"), [(ADMIN, True), (RECRUITER, False)])
def test_the_meeting_link_shows_and_only_the_organiser_is_told_they_host(
    page: Page, sign_in, make_interview, db, email, hosts
) -> None:
    """A booked online interview's dialog shows its meeting link to staff; the organiser
    (Astrid) is told they host through it, once, with no second copy of the same link."""
    from interview_data import actor_named

    from planner.models import ProviderEventLink

    made = make_interview(41 if hosts else 42, book={"Rasmus Møller": 0})
    url = f"https://meet.jit.si/Planner-{made.title.split()[-1]}"
    with db() as session:
        booked = session.exec(select(Booking).where(Booking.slot_id == made.slot_ids[0])).one()
        astrid = actor_named(session, "Astrid Holm").user_id
        session.get(Interview, made.interview_id).meeting_kind = "jitsi"
        session.add(
            ProviderEventLink(
                account_id=booked.account_id, interview_id=made.interview_id,
                booking_id=booked.id, staff_user_id=astrid, provider="google",
                event_key=f"e2e{made.interview_id}", meeting_url=url, status="created",
            )
        )  # fmt: skip
        session.commit()
    _open_calendar(page, sign_in, made.week_url, email=email)
    dialog = _open_dialog(page, made)
    expect(dialog.get_by_role("link", name=url)).to_have_count(1)
    expect(dialog.get_by_text("Host link (only for you):")).to_have_count(0)
    expect(dialog.get_by_text("You host this meeting", exact=False)).to_have_count(
        1 if hosts else 0
    )


def test_a_new_meeting_for_a_booked_interview_names_who_gets_it_and_is_made(
    page: Page, sign_in, make_interview, db
) -> None:
    """A booked Jitsi interview moved to a place: the confirmation names the booked
    candidate whose meeting is replaced; saving makes the change and sends them the updated
    invitation."""
    made = make_interview(44, book={"Rasmus Møller": 0})
    with db() as session:
        session.get(Interview, made.interview_id).meeting_kind = "jitsi"
        session.commit()
    since = datetime.now(UTC)
    _open_calendar(page, sign_in, made.week_url)
    dialog = _open_dialog(page, made)
    dialog.get_by_role("combobox", name=re.compile("^Place")).click()
    page.get_by_role("option", name=re.compile("^Copenhagen HQ")).click()
    dialog.get_by_role("button", name="Save the changes").click()
    confirm = page.get_by_role("alertdialog", name="Save the changes?")
    expect(confirm).to_contain_text("Copenhagen HQ")
    expect(confirm).to_contain_text(
        "The booked candidates (Rasmus Møller) get the interview with its new meeting details"
    )
    check_axe(page, "new meeting confirmation")
    _shot(page, "new-meeting-confirmation")
    confirm.get_by_role("button", name="Save the changes").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Changes saved. 1 booked candidate gets the change by e-mail; the synced calendars follow."
    )
    with db() as session:
        interview = session.get(Interview, made.interview_id)
        assert (interview.meeting_kind, interview.location_id is not None) == ("none", True)
        changed = [
            n for n in notifications_since(session, since) if n["name"] == "interview_changed"
        ]
    assert len(changed) == 1  # one booked candidate, one change
