"""The admin's calendar-sync list with 2,000 staff in one account, in Chromium: first render,
filter and search (from the last keystroke, debounce included) against the running app."""

import os
import re
import secrets
import shutil
import signal
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

USERS = 2000
RENDER_SAMPLES = 5
FILTER_SAMPLES = 24  # four rounds of the six filters, ending on "all"
SEARCH_SAMPLES = 20
# Between keystrokes while searching (a fast typist), shorter than the debounce.
TYPING_DELAY_MS = int(os.environ.get("BENCH_TYPING_DELAY_MS", "30"))
ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "bench.admin@bench.example"
STARTUP_SECONDS = 300
# Statuses in the generated account: every 10 users, this many of each.
MIX = (("synced", 5), ("error", 1), ("disconnected", 1), ("invited", 2), ("not_invited", 1))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status_of(number: int) -> str:
    slot = number % 10
    for status, count in MIX:
        if slot < count:
            return status
        slot -= count
    return "not_invited"


def _name(number: int) -> str:
    return f"Staff Member {number:04d}"


def _seed(database_url: str, password: str) -> dict[str, int]:
    """The account, its 2,000 staff with connections and invitations; per-status counts."""
    from sqlmodel import Session

    from planner.db import make_engine
    from planner.models import Account, CalendarConnection, StaffUser, SyncInvitation
    from planner.services.auth import hash_password

    now = datetime.now(UTC)
    engine = make_engine(database_url)
    counts: dict[str, int] = {}
    try:
        with Session(engine) as session:
            account = Account(name="Bench Co")
            session.add(account)
            session.flush()
            admin = StaffUser(
                account_id=account.id, name="Bench Admin", email=ADMIN_EMAIL, role="admin",
                password_hash=hash_password(password),
            )  # fmt: skip
            users = [admin] + [
                StaffUser(
                    account_id=account.id,
                    name=_name(n),
                    email=f"staff{n:04d}@bench.example",
                    role="recruiter",
                )  # fmt: skip
                for n in range(1, USERS)
            ]
            session.add_all(users)
            session.flush()
            for number, user in enumerate(users):
                status = "not_invited" if number == 0 else _status_of(number)
                counts[status] = counts.get(status, 0) + 1
                if status == "invited":
                    session.add(
                        SyncInvitation(
                            account_id=account.id, staff_user_id=user.id,
                            token_hash=secrets.token_hex(32), sent_at=now,
                            expires_at=now + timedelta(days=14),
                        )
                    )  # fmt: skip
                elif status != "not_invited":
                    session.add(
                        CalendarConnection(
                            account_id=account.id, staff_user_id=user.id,
                            provider="google" if number % 2 else "caldav",
                            status={"error": "reconnect_needed"}.get(status, status),
                            error_kind="revoked" if status == "error" else None,
                            last_synced_at=now - timedelta(minutes=number % 300),
                        )
                    )  # fmt: skip
            session.commit()
    finally:
        engine.dispose()
    return counts


def _env(database_url: str, port: int) -> dict[str, str]:
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
    return env


def _start_app(database_url: str, folder: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = _env(database_url, port)
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "planner.cli", "migrate"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - the venv's reflex
        [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod",
         "--frontend-port", str(port), "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited; see {folder / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return process, url
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start in time")
        time.sleep(0.5)


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _summary(count: int) -> re.Pattern[str]:
    return re.compile(f"^{count} staff users match\\.$")


# Checked on every animation frame in the page: Playwright's `expect` polls at growing
# intervals (100, 250, 500 ms ...), which would add its own wait to every figure.
SHOWS_COUNT = """count => [...document.querySelectorAll('main p')]
    .some(p => p.textContent === count + ' staff users match.')"""


def _wait_for_count(page, count: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(SHOWS_COUNT, arg=count, polling="raf", timeout=30_000)


def _measure(url: str, password: str, counts: dict[str, int]) -> dict[str, float]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto(f"{url}/admin")
        page.get_by_label("E-mail").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        table = page.get_by_role("table", name="Staff users")
        expect(table.get_by_role("rowheader").first).to_be_visible()

        renders = []
        for _ in range(RENDER_SAMPLES):
            page.goto("about:blank")
            start = time.perf_counter()
            page.goto(f"{url}/admin")
            _wait_for_count(page, USERS)
            renders.append((time.perf_counter() - start) * 1000)

        status_box = page.get_by_role("combobox", name="Filter by sync status")
        filters = []
        choices = ["synced", "error", "invited", "disconnected", "not_invited", "all"]
        labels = {
            "synced": "Synced", "error": "Error", "invited": "Invited",
            "disconnected": "Disconnected", "not_invited": "Not invited", "all": "All statuses",
        }  # fmt: skip
        for sample in range(FILTER_SAMPLES):
            choice = choices[sample % len(choices)]
            expected = USERS if choice == "all" else counts.get(choice, 0)
            status_box.click()
            option = page.get_by_role("option", name=re.compile(f"^{labels[choice]} \\("))
            start = time.perf_counter()
            option.click()
            _wait_for_count(page, expected)
            filters.append((time.perf_counter() - start) * 1000)

        search = page.get_by_label("Search staff")
        searches = []
        for sample in range(SEARCH_SAMPLES):
            search.fill("")
            expect(page.get_by_text(_summary(USERS))).to_be_visible()
            term = f"member {sample % 19 + 1:02d}"
            expected = sum(1 for n in range(1, USERS) if term in _name(n).lower())
            search.press_sequentially(term, delay=TYPING_DELAY_MS)
            start = time.perf_counter()  # from the last keystroke, debounce included
            _wait_for_count(page, expected)
            searches.append((time.perf_counter() - start) * 1000)
        browser.close()
    return {
        "first_render_ms": round(statistics.median(renders), 1),
        "filter_p95_ms": round(_p95(filters), 1),
        "search_p95_ms": round(_p95(searches), 1),
        "filter_median_ms": round(statistics.median(filters), 1),
        "search_median_ms": round(statistics.median(searches), 1),
    }


def run() -> Iterable[dict]:
    """One result: the list of 2,000 staff rendered, filtered and searched in Chromium."""
    folder = Path(tempfile.mkdtemp(prefix="planner-bench-admin-"))
    database_url = f"sqlite:///{folder / 'planner.db'}"
    password = "bench-" + secrets.token_urlsafe(12)
    process = None
    try:
        port_env = _env(database_url, _free_port())
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "planner.cli", "migrate"],
            cwd=ROOT, env=port_env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        counts = _seed(database_url, password)
        process, url = _start_app(database_url, folder)
        figures = _measure(url, password, counts)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)
    yield {
        "bench": "admin_list",
        "users": USERS,
        **figures,
        "targets": {"first_render_ms": 1000, "filter_p95_ms": 200, "search_p95_ms": 200},
        # The figures depend on what else the machine runs: its 1-minute load average after.
        "load_average": round(os.getloadavg()[0], 2),
    }
