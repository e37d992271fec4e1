"""The interview calendar with 500 interviews in the visible week, in Chromium against the
running app: how long the week takes to draw, and how long a candidate's booking takes to
show in an open calendar without a reload (issue #11).

Seeded straight into a fresh SQLite database: one recruiter (English, Europe/Copenhagen),
480 interviews on Monday to Friday of next week (one offered time each, 6 in 10 booked) and
20 more alone on the weekend ("Live interview NN", offered, each with a candidate's link).
week_render_ms: from navigation to `/calendar?date=<Monday>` until every one of the 500 entries
is drawn in the week grid (an event, or counted in a "+N" link). live_update_ms: from the
candidate's booking POST on the booking page to the entry drawn as booked in the open
calendar; p95 over the 20 weekend interviews."""

import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

from bench._servers import ROOT, reflex_server, server_env

INTERVIEWS = 500
LIVE = 20
WEEKDAY_INTERVIEWS = INTERVIEWS - LIVE
RENDER_SAMPLES = 5
ZONE = "Europe/Copenhagen"
EMAIL = "bench.recruiter@bench.example"
DURATION = 45

# Every entry of the week drawn: events in the grid plus those folded into "+N" links.
ALL_DRAWN = """expected => {
  const events = document.querySelectorAll('.fc-timegrid-event, .fc-daygrid-event').length;
  const folded = [...document.querySelectorAll('.fc-more-link, .fc-timegrid-more-link')]
    .reduce((sum, link) => sum + (parseInt((link.textContent.match(/\\d+/) || ['0'])[0]) || 0), 0);
  return events + folded >= expected;
}"""
# The weekend entry `title` drawn as booked.
SHOWN_BOOKED = """title => [...document.querySelectorAll('.fc-event.planner-booked')]
    .some(event => event.textContent.includes(title))"""


def next_monday(today: date) -> date:
    """The Monday after `today` (a week whose times are all still to come)."""
    return today + timedelta(days=7 - today.weekday())


def _seed(database_url: str, password: str, monday: date) -> list[tuple[str, int, str]]:
    """The account, its recruiter and the 500 interviews; (link token, slot id, title) of
    each weekend interview."""
    from sqlmodel import Session

    from planner.db import make_engine
    from planner.domain.tokens import hash_token, new_token
    from planner.models import (
        Account,
        Booking,
        Candidate,
        CandidateInvitation,
        Interview,
        OfferedSlot,
        SlotSeat,
        StaffUser,
    )
    from planner.services.auth import hash_password

    zone = ZoneInfo(ZONE)
    now = datetime.now(UTC)
    engine = make_engine(database_url)
    live: list[tuple[str, int, str]] = []
    try:
        with Session(engine) as session:
            account = Account(name="Bench Co")
            session.add(account)
            session.flush()
            recruiter = StaffUser(
                account_id=account.id, name="Bench Recruiter", email=EMAIL, role="admin",
                time_zone=ZONE, locale="en", password_hash=hash_password(password),
            )  # fmt: skip
            session.add(recruiter)
            session.flush()
            for number in range(INTERVIEWS):
                if number < WEEKDAY_INTERVIEWS:
                    day = monday + timedelta(days=number % 5)
                    quarter = (number // 5) % 36  # 08:00 to 16:45
                    start_local = datetime.combine(day, clock(8), tzinfo=zone) + timedelta(
                        minutes=15 * quarter
                    )
                    title = f"Interview {number:03d}"
                else:
                    k = number - WEEKDAY_INTERVIEWS
                    day = monday + timedelta(days=5 + k // 10)
                    start_local = datetime.combine(day, clock(8), tzinfo=zone) + timedelta(
                        minutes=60 * (k % 10)
                    )
                    title = f"Live interview {k:02d}"
                start = start_local.astimezone(UTC)
                interview = Interview(
                    account_id=account.id, title=title, duration_minutes=DURATION,
                    organiser_id=recruiter.id, capacity=1, status="open",
                    ics_uid=f"{new_token()}@bench",
                )  # fmt: skip
                session.add(interview)
                session.flush()
                slot = OfferedSlot(
                    account_id=account.id, interview_id=interview.id, start_at=start,
                    end_at=start + timedelta(minutes=DURATION),
                )  # fmt: skip
                session.add(slot)
                session.flush()
                seat = SlotSeat(account_id=account.id, slot_id=slot.id, seat_number=1)
                candidate = Candidate(
                    account_id=account.id, name=f"Candidate {number:03d}",
                    email=f"candidate{number:03d}@bench.example",
                )  # fmt: skip
                session.add_all([seat, candidate])
                session.flush()
                token = new_token()
                booked = number < WEEKDAY_INTERVIEWS and number % 10 < 6
                invitation = CandidateInvitation(
                    account_id=account.id, interview_id=interview.id,
                    candidate_id=candidate.id, token_hash=hash_token(token),
                    status="booked" if booked else "invited",
                    expires_at=now + timedelta(days=30), sent_at=now,
                )  # fmt: skip
                session.add(invitation)
                session.flush()
                if booked:
                    session.add(
                        Booking(
                            account_id=account.id, invitation_id=invitation.id,
                            slot_id=slot.id, seat_id=seat.id,
                        )
                    )  # fmt: skip
                elif number >= WEEKDAY_INTERVIEWS:
                    live.append((token, int(slot.id or 0), title))
            session.commit()
    finally:
        engine.dispose()
    return live


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _measure(url: str, password: str, monday: date, live: list[tuple[str, int, str]]) -> dict:
    import httpx
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    week_url = f"{url}/calendar?date={monday.isoformat()}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/calendar")
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/calendar**", timeout=60_000)

        renders = []
        for _ in range(RENDER_SAMPLES):
            page.goto("about:blank")
            start = time.perf_counter()
            page.goto(week_url)
            page.wait_for_function(ALL_DRAWN, arg=INTERVIEWS, polling="raf", timeout=60_000)
            renders.append((time.perf_counter() - start) * 1000)

        updates = []
        headers = {"Origin": url, "Accept-Language": "en"}
        with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
            for token, slot_id, title in live:
                start = time.perf_counter()
                answer = client.post(f"/book/{token}/book", data={"slot": str(slot_id)})
                if answer.status_code != 303 or "done=booked" not in answer.headers.get(
                    "location", ""
                ):
                    raise RuntimeError(f"booking {title} failed: {answer.status_code}")
                page.wait_for_function(SHOWN_BOOKED, arg=title, polling="raf", timeout=30_000)
                updates.append((time.perf_counter() - start) * 1000)
        browser.close()
    return {
        "week_render_ms": round(statistics.median(renders), 1),
        "week_render_max_ms": round(max(renders), 1),
        "live_update_ms": round(_p95(updates), 1),
        "live_update_median_ms": round(statistics.median(updates), 1),
    }


def run() -> Iterable[dict]:
    """One result: the week of 500 interviews drawn, and 20 bookings shown live."""
    folder = Path(tempfile.mkdtemp(prefix="planner-bench-overview-"))
    database_url = f"sqlite:///{folder / 'planner.db'}"
    password = "bench-" + secrets.token_urlsafe(12)
    env = server_env(database_url)
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "planner.cli", "migrate"],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        monday = next_monday(datetime.now(ZoneInfo(ZONE)).date())
        live = _seed(database_url, password, monday)
        with reflex_server(ROOT, env, folder / "server.log") as url:
            figures = _measure(url, password, monday, live)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    yield {
        "bench": "overview",
        "interviews": INTERVIEWS,
        **figures,
        "targets": {"week_render_ms": 1000, "live_update_ms": 5000},
        # The figures depend on what else the machine runs: its 1-minute load average after.
        "load_average": round(os.getloadavg()[0], 2),
    }
