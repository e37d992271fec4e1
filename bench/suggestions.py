"""The wizard in Chromium: from changing the participant set to the new suggestions and grid
on screen, with 10 synced participants and 4 weeks of busy time each in the cache."""

import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTICIPANTS = 10  # the organiser and 9 colleagues
SAMPLES = 40
WARMUP = 5
RECRUITER = "mads.jensen@demo.example"

# In the page: click a participant's checkbox, then wait until the suggestions container
# says it was computed for the new participant set and the browser has painted it.
_MEASURE = """
async ([label, expected]) => {
  const box = document.querySelector('#times-participants');
  const target = [...box.querySelectorAll('button[role=checkbox]')]
    .find((b) => b.getAttribute('aria-label') === label);
  const list = document.querySelector('#suggestions');
  const t0 = performance.now();
  const done = new Promise((resolve) => {
    const check = () => list.getAttribute('data-for') === expected
      && document.querySelectorAll('#participant-rows > li').length === expected.split(',').length;
    const observer = new MutationObserver(() => {
      if (check()) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true});
  });
  target.click();
  await done;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(database_url: str, password: str) -> tuple[list[tuple[int, str]], int, int]:
    """The demo account, plus colleagues so that 10 participants are synced with 4 weeks of
    busy weekdays each. Returns the colleagues (id, name), Mads's id and a candidate id."""
    from sqlmodel import Session, select

    from planner.db import make_engine
    from planner.models import BusyInterval, CalendarConnection, Candidate, StaffUser
    from planner.services.demo import seed_demo

    engine = make_engine(database_url)
    rng = random.Random(10)  # noqa: S311 - benchmark data
    now = datetime.now(UTC)
    try:
        with Session(engine, expire_on_commit=False) as session:
            account_id = seed_demo(session=session, password=password).account_id
            mads = session.exec(select(StaffUser).where(StaffUser.email == RECRUITER)).one()
            mads.locale = "en"
            for n in range(PARTICIPANTS - 1):
                session.add(
                    StaffUser(
                        account_id=account_id,
                        name=f"Bench Colleague {n + 1:02d}",
                        email=f"bench{n + 1}@demo.example",
                        role="hiring_manager",
                        time_zone="Europe/Copenhagen",
                        locale="en",
                    )
                )
            session.commit()
            people = session.exec(
                select(StaffUser).where(StaffUser.name.startswith("Bench Colleague"))  # type: ignore[attr-defined]
            ).all()
            for user in [mads, *people]:
                connection = CalendarConnection(
                    account_id=account_id,
                    staff_user_id=user.id,
                    provider="caldav",
                    status="synced",
                    last_synced_at=now + timedelta(hours=6),  # fresh for the whole run
                )
                session.add(connection)
                session.flush()
                day = now.replace(hour=0, minute=0, second=0, microsecond=0)
                for offset in range(28):
                    start_of_day = day + timedelta(days=offset)
                    if start_of_day.weekday() >= 5:
                        continue
                    for _ in range(rng.randint(3, 5)):
                        start = start_of_day + timedelta(minutes=rng.randrange(7 * 60, 16 * 60, 15))
                        session.add(
                            BusyInterval(
                                account_id=account_id,
                                connection_id=connection.id,
                                start_at=start,
                                end_at=start + timedelta(minutes=rng.choice((30, 45, 60))),
                                tentative=rng.random() < 0.1,
                            )
                        )
            session.commit()
            candidate = session.exec(
                select(Candidate).where(Candidate.name == "Emily Clarke")
            ).one()
            return [(p.id, p.name) for p in people], mads.id, candidate.id
    finally:
        engine.dispose()


def _start_app(tmp: Path, database_url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ)
    for name in ("PLANNER_REDIS_URL", "PLANNER_PUBLIC_URL"):
        env.pop(name, None)
    env.update(
        PLANNER_ENV="test",
        PLANNER_SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        PLANNER_DATABASE_URL=database_url,
        PLANNER_PORT=str(port),
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    log = (tmp / "server.log").open("wb")
    return subprocess.Popen(  # noqa: S603 - our own executable
        [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod",
         "--frontend-port", str(port), "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError("the app did not answer /healthz in time")


def _stop(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def run() -> Iterable[dict]:
    """Median and 95th percentile, in milliseconds, of one participant toggled on the Times
    step until the recomputed suggestions and availability rows are painted."""
    from playwright.sync_api import expect, sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="planner-bench-suggestions-"))
    database_url = f"sqlite:///{tmp / 'planner.db'}"
    password = "bench-" + secrets.token_urlsafe(8)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = None
    try:
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "planner.cli", "migrate"], cwd=ROOT, check=True,
            capture_output=True, timeout=120,
            env={**os.environ, "PLANNER_ENV": "test", "PLANNER_DATABASE_URL": database_url,
                 "PLANNER_SECRET_KEY": "bench-" + "x" * 40},
        )  # fmt: skip
        colleagues, mads_id, candidate_id = _seed(database_url, password)
        process = _start_app(tmp, database_url, port)
        _wait_healthy(url, process)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url}/signin")
            page.get_by_label("E-mail").fill(RECRUITER)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=60_000)
            page.goto(f"{url}/schedule?candidates={candidate_id}")
            expect(page.get_by_role("heading", name="Schedule interview")).to_be_visible(
                timeout=60_000
            )
            page.get_by_role("button", name="Next", exact=True).click()
            for _id, name in colleagues:
                page.get_by_role("checkbox", name=name).click()
            page.get_by_role("button", name="Next", exact=True).click()
            everyone = ",".join(str(i) for i in sorted([mads_id, *(i for i, _ in colleagues)]))
            expect(page.locator(f'#suggestions[data-for="{everyone}"]')).to_be_attached(
                timeout=60_000
            )
            page.locator("#times-participants summary").click()
            toggled_id, toggled = colleagues[-1]
            fewer = ",".join(
                str(i) for i in sorted([mads_id, *(i for i, _ in colleagues if i != toggled_id)])
            )
            timings = []
            for n in range(WARMUP + SAMPLES):
                expected = fewer if n % 2 == 0 else everyone
                elapsed = page.evaluate(_MEASURE, [toggled, expected])
                if n >= WARMUP:
                    timings.append(elapsed)
            browser.close()
        timings.sort()
        yield {
            "bench": "suggestions",
            "participants": PARTICIPANTS,
            "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
            "p50_ms": round(statistics.median(timings), 1),
        }
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(tmp, ignore_errors=True)
