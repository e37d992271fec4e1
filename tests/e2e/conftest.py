"""End-to-end fixtures: one Planner server (`reflex run --env prod`) on a fresh, migrated and
seeded SQLite database for the whole session, driven by Debian's Chromium through Playwright."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / ".tools" / "node_modules" / ".bin"
STARTUP_TIMEOUT = 180
STOP_TIMEOUT = 15

ADMIN_EMAIL = "astrid.holm@demo.example"
RECRUITER_EMAIL = "mads.jensen@demo.example"
SESSION_COOKIE = "planner_session"
# The static build serves /signin/ (trailing slash); the query carries next= and error=.
SIGN_IN_URL = re.compile(r"^https?://[^/]+/signin/?(\?.*)?$")

# Pages render after their websocket load event; allow a little more than the default 5 s.
expect.set_options(timeout=10_000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _server_env(database_url: str, port: int, secret_key: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PLANNER_REDIS_URL", "PLANNER_PUBLIC_URL"):
        env.pop(name, None)  # no Redis: Reflex keeps state in memory; URLs from the port
    env.update(
        PLANNER_ENV="test",
        PLANNER_SECRET_KEY=secret_key,
        PLANNER_DATABASE_URL=database_url,
        PLANNER_PORT=str(port),
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def demo_password() -> str:
    return "e2e-" + secrets.token_urlsafe(12)


@pytest.fixture(scope="session")
def e2e_secret_key() -> str:
    """The e2e server's PLANNER_SECRET_KEY (credentials stored by tests must use it)."""
    return "e2e-" + secrets.token_urlsafe(40)


@pytest.fixture(scope="session")
def e2e_env(e2e_database_url, e2e_secret_key) -> Callable[[int], dict[str, str]]:
    """The environment of the e2e server's processes (a worker gets the same), for a port."""
    return lambda port: _server_env(e2e_database_url, port, e2e_secret_key)


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> str:
    """The SQLite database the e2e server runs on (tests may add rows through services)."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'planner.db'}"


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, demo_password, e2e_database_url, e2e_env) -> Iterator[str]:
    """The base URL (no trailing slash) of a running Planner with the demo account."""
    tmp = tmp_path_factory.mktemp("e2e-server")
    database_url = e2e_database_url
    port = _free_port()
    env = e2e_env(port)

    migrated = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "planner.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{migrated.stdout}\n{migrated.stderr}")

    from planner.db import make_engine
    from planner.services.demo import seed_demo

    engine = make_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            seed_demo(session=session, password=demo_password)
            # The tests read English labels; a test of another language sets it with
            # `staff_locale` (the demo's Astrid and Mads are Danish).
            _set_locale(session, (ADMIN_EMAIL, RECRUITER_EMAIL), "en")
    finally:
        engine.dispose()

    log_path = tmp / "server.log"
    reflex = Path(sys.executable).parent / "reflex"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own executable
            [
                str(reflex),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"Planner exited with {process.returncode} while starting; log "
                    f"{log_path}:\n{_log_tail(log_path)}"
                )
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Planner did not answer /healthz within {STARTUP_TIMEOUT} s; log "
                    f"{log_path}:\n{_log_tail(log_path)}"
                )
            time.sleep(0.5)
        yield url
    finally:
        _stop(process)


def _set_locale(session: Session, emails: tuple[str, ...], locale: str) -> None:
    from sqlmodel import col, select

    from planner.models import StaffUser

    for user in session.exec(select(StaffUser).where(col(StaffUser.email).in_(emails))):
        user.locale = locale
        session.add(user)
    session.commit()


@pytest.fixture
def staff_locale(e2e_database_url) -> Iterator[Callable[[str, str], None]]:
    """Set a demo staff user's language (en, da, sv, nb, fi) before they sign in; English again
    after the test."""
    from planner.db import make_engine

    engine = make_engine(e2e_database_url)
    changed: list[str] = []

    def _set(email: str, locale: str) -> None:
        with Session(engine) as session:
            _set_locale(session, (email,), locale)
        changed.append(email)

    try:
        yield _set
    finally:
        if changed:
            with Session(engine) as session:
                _set_locale(session, tuple(changed), "en")
        engine.dispose()


@pytest.fixture(scope="session")
def base_url(app_url) -> str:
    """pytest-playwright's base URL, so that `page.goto("/candidates")` reaches the app."""
    return app_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def expect_sign_in_page(page: Page) -> Callable[[], None]:
    """Check that the page shows the sign-in form (at /signin, whatever the query)."""

    def _check() -> None:
        expect(page).to_have_url(SIGN_IN_URL)
        expect(page.get_by_role("heading", name="Sign in to Planner")).to_be_visible()
        expect(page.get_by_label("E-mail")).to_be_visible()
        expect(page.get_by_label("Password")).to_be_visible()

    return _check


@pytest.fixture
def sign_in(page: Page, demo_password: str, expect_sign_in_page) -> Callable[..., None]:
    """Open `start` (signed out, so it shows the sign-in page) and sign in through the form."""

    def _sign_in(
        email: str = ADMIN_EMAIL, *, password: str | None = None, start: str = "/candidates"
    ) -> None:
        page.goto(start)
        expect_sign_in_page()
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(demo_password if password is None else password)
        page.get_by_role("button", name="Sign in").click()

    return _sign_in


@pytest.fixture
def session_cookies(page: Page) -> Callable[[], list[dict]]:
    """The browser context's Planner session cookies (normally none or one)."""
    return lambda: [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


# Interviews made through the services for the calendar tests (db, make_interview).
from interview_data import db, make_interview  # noqa: E402, F401
