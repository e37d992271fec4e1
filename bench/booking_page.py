"""The candidate's booking page on a phone: Lighthouse (mobile emulation, Debian Chromium) on a
real booking page and on a blank Reflex page built the same way in the same run, and the time
from navigation to the offered times being on screen (unthrottled Chromium, 390 px wide).

Prints `{"bench": "booking_page", "performance", "accessibility", "lcp_ms",
"bytes_ratio_to_blank", "slots_visible_ms"}` (medians of the runs) and one line with the blank
page's own figures. Needs `make bench-tools` (Lighthouse into .tools/) and Debian's chromium."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._servers import NODE_BIN, ROOT, reflex_server, server_env

LIGHTHOUSE_RUNS = 3
VISIBLE_RUNS = 7
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"

BLANK_RXCONFIG = """import reflex as rx

config = rx.Config(
    app_name="blank",
    telemetry_enabled=False,
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")
        ),
    ],
    show_built_with_reflex=False,
)
"""
BLANK_APP = """import reflex as rx


def index() -> rx.Component:
    return rx.box(rx.el.main(rx.heading("Blank", as_="h1")), lang="en")


app = rx.App()
app.add_page(index, route="/", title="Blank")
"""


def _booking_link(database_url: str, base_url: str) -> tuple[str, str]:
    """Seed the demo and invite James Carter (en, New York) to an interview with eight
    offered times; returns his link and the first time as the page shows it."""
    from sqlmodel import Session, select

    from planner.db import make_engine
    from planner.domain.vocabulary import Role
    from planner.i18n.dates import format_time_range
    from planner.models import Candidate, StaffUser
    from planner.services import scheduling
    from planner.services.actor import Actor
    from planner.services.demo import seed_demo

    engine = make_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            seed_demo(session=session, password="bench-" + os.urandom(8).hex())
            mads = session.exec(select(StaffUser).where(StaffUser.name == "Mads Jensen")).one()
            actor = Actor(
                user_id=mads.id, account_id=mads.account_id, account_name="Demo",
                name=mads.name, email=mads.email, role=Role(mads.role),
                time_zone=mads.time_zone, locale=mads.locale,
            )  # fmt: skip
            now = datetime.now(UTC)
            first = (now + timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
            slots = [first + timedelta(days=n // 4, hours=n % 4) for n in range(8)]
            interview = scheduling.create_interview(
                session=session, actor=actor, now=now,
                data={"title": "Backend interview", "duration_minutes": 45,
                      "participant_ids": [mads.id], "slots": slots},
            )  # fmt: skip
            james = session.exec(select(Candidate).where(Candidate.name == "James Carter")).one()
            tokens = scheduling.invite_candidates(
                session=session, actor=actor, interview_id=interview.id,
                candidate_ids=[james.id], now=now,
            )  # fmt: skip
            label = format_time_range(
                slots[0], slots[0] + timedelta(minutes=45), locale="en",
                time_zone=james.time_zone,
            )  # fmt: skip
            return f"{base_url}/book/{tokens[james.id]}", label
    finally:
        engine.dispose()


def _lighthouse(url: str, work: Path) -> dict:
    """One Lighthouse run (its default mobile emulation and simulated throttling)."""
    output = work / "lighthouse.json"
    env = dict(os.environ, CHROME_PATH=CHROMIUM, PATH=f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(  # noqa: S603 - the pinned tool from .tools
        [
            str(NODE_BIN / "lighthouse"), url,
            "--only-categories=performance,accessibility",
            "--output=json", f"--output-path={output}", "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env=env, check=True, timeout=300, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    report = json.loads(output.read_text())
    audits = report["audits"]
    return {
        "performance": report["categories"]["performance"]["score"],
        "accessibility": report["categories"]["accessibility"]["score"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
    }


def _medians(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


_VISIBLE_SCRIPT = """
(() => {
  window.__slotsVisibleAt = null;
  const label = %s;
  const check = () => {
    if (window.__slotsVisibleAt === null && document.body
        && document.body.innerText.includes(label)) {
      window.__slotsVisibleAt = performance.now();
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true,
                                                 characterData: true});
  document.addEventListener("DOMContentLoaded", check);
})();
"""


def _slots_visible_ms(url: str, label: str) -> float:
    """Median ms from navigation start until the first offered time is on the page."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            for _ in range(VISIBLE_RUNS):
                context = browser.new_context(viewport={"width": 390, "height": 844})
                context.add_init_script(_VISIBLE_SCRIPT % json.dumps(label))
                page = context.new_page()
                page.goto(url, wait_until="commit")
                page.wait_for_function("window.__slotsVisibleAt !== null", timeout=60_000)
                times.append(page.evaluate("window.__slotsVisibleAt"))
                context.close()
        finally:
            browser.close()
    return statistics.median(times)


def run() -> Iterable[dict]:
    """Build and start Planner and a blank Reflex app, measure both, report the figures."""
    if not (NODE_BIN / "lighthouse").exists() or not Path(CHROMIUM).exists():
        raise SystemExit("booking_page needs Lighthouse and chromium: `make bench-tools chromium`")
    work = Path(tempfile.mkdtemp(prefix="bench-booking-page-"))
    try:
        database_url = f"sqlite:///{work / 'planner.db'}"
        env = server_env(database_url)
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "planner.cli", "migrate"],
            cwd=ROOT, env=env, check=True, timeout=300, capture_output=True,
        )  # fmt: skip
        blank_dir = work / "blank"
        (blank_dir / "blank").mkdir(parents=True)
        (blank_dir / "rxconfig.py").write_text(BLANK_RXCONFIG)
        (blank_dir / "blank" / "__init__.py").write_text("")
        (blank_dir / "blank" / "blank.py").write_text(BLANK_APP)
        with reflex_server(ROOT, env, work / "planner.log") as planner_url:
            link, label = _booking_link(database_url, planner_url)
            slots_visible = _slots_visible_ms(link, label)
            booking = _medians([_lighthouse(link, work) for _ in range(LIGHTHOUSE_RUNS)])
        with reflex_server(blank_dir, server_env(database_url), work / "blank.log") as blank_url:
            blank = _medians([_lighthouse(blank_url + "/", work) for _ in range(LIGHTHOUSE_RUNS)])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    yield {
        "bench": "booking_page",
        "performance": booking["performance"],
        "accessibility": booking["accessibility"],
        "lcp_ms": round(booking["lcp_ms"]),
        "bytes_ratio_to_blank": round(booking["bytes"] / blank["bytes"], 3),
        "slots_visible_ms": round(slots_visible, 1),
    }
    yield {
        "bench": "booking_page_blank_reflex",
        "performance": blank["performance"],
        "accessibility": blank["accessibility"],
        "lcp_ms": round(blank["lcp_ms"]),
        "bytes": round(blank["bytes"]),
        "booking_page_bytes": round(booking["bytes"]),
    }
