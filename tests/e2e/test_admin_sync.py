"""The admin's calendar-sync list in Chromium with a real worker: a revoked Google grant (fake
Google) turns the row to "error" with its reason and "Ask to reconnect" mails a fresh link;
"Sync now" on a Radicale connection updates the time without a reload; a Danish admin reads
Danish pages and switches language in the user menu; the pages work at 390 px; axe-core."""

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import caldav
import pytest
import redis
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from planner.db import begin_write, make_engine
from planner.domain.tokens import hash_token, new_token
from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.crypto import encrypt_credentials
from planner.models import CalendarConnection, OutboxMessage, StaffUser, SyncInvitation
from planner.settings import Settings
from tests.fakes.google import run_fake_google
from tests.fakes.radicale import run_radicale

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "astrid.holm@demo.example"
ROOT = Path(__file__).resolve().parents[2]
# The worker's job queue: a Redis DB number of its own, flushed before and after.
WORKER_REDIS = "redis://127.0.0.1:6379/9"
WORKER_START_SECONDS = 120
# The worker looks for "Sync now" requests every 5 s and polls; allow for a loaded machine.
SYNC_RESULT_MS = 45_000
SCREENSHOTS = ROOT / "test-results" / "phone"
RADICALE_USERS = {"rita": "rita-app-password"}
ADDED_EMAILS = ("ann.google@demo.example", "rita.radicale@demo.example")


@pytest.fixture(scope="module")
def google():
    with run_fake_google() as fake:
        fake.state.add_calendar("ann.google@demo.example", "Ann", primary=True)
        yield fake


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-admin"), users=RADICALE_USERS) as server:
        client = caldav.DAVClient(
            url=server.url, username="rita", password=RADICALE_USERS["rita"], auth_type="basic"
        )
        client.principal().make_calendar(name="Work", cal_id="work")
        yield server


@pytest.fixture(scope="module")
def worker(app_url, e2e_env, google, tmp_path_factory):
    """`python -m planner.jobs` on the e2e database, pointed at the fake Google."""
    queue = redis.Redis.from_url(WORKER_REDIS)
    queue.flushdb()
    port = int(app_url.rsplit(":", 1)[1])
    env = {**e2e_env(port), "PLANNER_REDIS_URL": WORKER_REDIS, **google.settings_env()}
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "planner.jobs"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while b"Planner worker started" not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        queue.flushdb()
        queue.close()


@pytest.fixture
def engine(e2e_database_url):
    """The e2e database; staff users a test adds are deleted afterwards (with their
    connections and invitations), so that other tests see the demo account as seeded."""
    engine = make_engine(e2e_database_url)
    yield engine
    with Session(engine) as session:
        begin_write(session)
        for user in session.exec(
            select(StaffUser).where(col(StaffUser.email).in_(ADDED_EMAILS))
        ).all():
            session.delete(user)
        session.commit()
    engine.dispose()


def _staff_user(session: Session, name: str, email: str) -> StaffUser:
    begin_write(session)  # the worker writes too: take SQLite's write lock before reading
    astrid = session.exec(select(StaffUser).where(StaffUser.email == ADMIN_EMAIL)).one()
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    if user is None:
        user = StaffUser(
            account_id=astrid.account_id, name=name, email=email, role="recruiter",
            time_zone="Europe/Copenhagen",
        )  # fmt: skip
        session.add(user)
        session.commit()
    return user


def _connection(session: Session, user: StaffUser, secret_key: str, **values) -> int:
    settings = Settings(env="test", secret_key=secret_key)
    credentials = values.pop("credentials")
    begin_write(session)
    connection = CalendarConnection(
        account_id=user.account_id,
        staff_user_id=user.id,
        encrypted_credentials=encrypt_credentials(credentials, settings),
        # Synced a minute ago: the regular poll leaves it alone, only "Sync now" polls it.
        last_synced_at=datetime.now(UTC) - timedelta(minutes=1),
        **values,
    )
    session.add(connection)
    session.commit()
    assert connection.id is not None
    return connection.id


def _row(page: Page, name: str):
    table = page.get_by_role("table", name="Staff users")
    return table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("^" + re.escape(name)))
    )


def _open_admin(page: Page, sign_in, search: str) -> None:
    sign_in(ADMIN_EMAIL, start="/admin")
    expect(page.get_by_role("heading", name="Calendar sync")).to_be_visible()
    page.get_by_label("Search staff").fill(search)
    expect(page.get_by_role("table", name="Staff users").get_by_role("rowheader")).to_have_count(1)


def test_revoked_google_grant_turns_the_row_to_error_and_ask_to_reconnect_mails_a_link(
    page: Page, sign_in, worker, google, engine, e2e_secret_key
) -> None:
    issued = google.issuer.issue()
    with Session(engine, expire_on_commit=False) as session:
        ann = _staff_user(session, "Ann Google", "ann.google@demo.example")
        ann_id = ann.id
        _connection(
            session, ann, e2e_secret_key, provider="google", status="synced",
            calendar_id="ann.google@demo.example", external_account="ann.google@demo.example",
            credentials=Credentials(
                tokens=OAuthTokens(
                    issued["access_token"], issued["refresh_token"], datetime.now(UTC)
                )
            ),
        )  # fmt: skip
    google.issuer.revoke()  # Ann removed Planner's access in her Google account

    _open_admin(page, sign_in, "Ann Google")
    row = _row(page, "Ann Google")
    expect(row).to_contain_text("Google Calendar")
    expect(row).to_contain_text("Synced")
    expect(row).to_contain_text(re.compile(r"\d+ minutes? ago"))

    row.get_by_role("button", name="Sync now: Ann Google").click()
    expect(row.get_by_text("Error", exact=True)).to_be_visible(timeout=SYNC_RESULT_MS)
    expect(row).to_contain_text(
        "Google Calendar access was revoked or has expired: ask Ann Google to reconnect."
    )
    expect(page.get_by_role("status")).to_contain_text("Sync failed: Ann Google")

    row.get_by_role("button", name="Ask to reconnect: Ann Google").click()
    expect(page.get_by_role("status")).to_have_text("Asked to reconnect (1): Ann Google.")
    with Session(engine) as session:
        requests = [
            row
            for row in session.exec(
                select(OutboxMessage).where(col(OutboxMessage.kind) == "notification")
            ).all()
            if row.payload.get("name") == "sync_reconnect"
        ]
        fresh = session.exec(
            select(SyncInvitation).where(
                SyncInvitation.staff_user_id == ann_id, col(SyncInvitation.used_at).is_(None)
            )
        ).all()
    assert len(requests) == 1  # rendered into Ann's mail by the worker (the link is not kept)
    assert len(fresh) == 1 and fresh[0].expires_at > datetime.now(UTC)

    # A second click a moment later sends nothing more.
    row.get_by_role("button", name="Ask to reconnect: Ann Google").click()
    expect(page.get_by_role("status")).to_contain_text("Already sent a moment ago")


def test_sync_now_on_a_radicale_connection_updates_the_time_without_a_reload(
    page: Page, sign_in, worker, radicale, engine, e2e_secret_key
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        rita = _staff_user(session, "Rita Radicale", "rita.radicale@demo.example")
        connection_id = _connection(
            session, rita, e2e_secret_key, provider="caldav", status="synced",
            server_url=radicale.url, calendar_id=f"{radicale.url}/rita/work/",
            external_account="rita",
            credentials=Credentials(username="rita", password=RADICALE_USERS["rita"]),
        )  # fmt: skip
        before = session.get(CalendarConnection, connection_id).last_synced_at

    _open_admin(page, sign_in, "Rita")
    row = _row(page, "Rita Radicale")
    expect(row).to_contain_text(re.compile(r"\d+ minutes? ago"))
    page.evaluate("window.__same_page = true")

    row.get_by_role("button", name="Sync now: Rita Radicale").click()
    expect(page.get_by_role("status")).to_contain_text("Syncing now: Rita Radicale.")
    expect(row).to_contain_text("just now", timeout=SYNC_RESULT_MS)
    expect(page.get_by_role("status")).to_contain_text("Synced just now: Rita Radicale.")
    assert page.evaluate("window.__same_page") is True  # no reload
    with Session(engine) as session:
        stored = session.get(CalendarConnection, connection_id)
        assert stored.status == "synced" and stored.last_synced_at > before
        assert stored.sync_requested_at is None


def test_a_user_who_connects_sees_the_first_sync_on_their_connect_page(
    page: Page, worker, radicale, engine, app_url
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        rita = _staff_user(session, "Rita Radicale", "rita.radicale@demo.example")
        token = new_token()  # the link a sync invitation mails (the worker may render it first)
        session.add(
            SyncInvitation(
                account_id=rita.account_id, staff_user_id=rita.id, token_hash=hash_token(token),
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        )  # fmt: skip
        session.commit()
    page.goto(f"{app_url}/connect/{token}")
    page.get_by_label("Server URL").fill(radicale.url)
    page.get_by_label("Username").fill("rita")
    page.get_by_label("App password").fill(RADICALE_USERS["rita"])
    page.get_by_role("button", name="Connect CalDAV calendar").click()
    expect(page.get_by_text("Your CalDAV calendar is connected.")).to_be_visible()
    expect(page.get_by_text("Last synced: just now")).to_be_visible(timeout=SYNC_RESULT_MS)
    expect(page.get_by_text("Connected", exact=True)).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_danish_admin_reads_danish_pages_and_switches_language(
    page: Page, sign_in, staff_locale, engine
) -> None:
    staff_locale(ADMIN_EMAIL, "da")
    sign_in(ADMIN_EMAIL, start="/admin")
    expect(page.get_by_role("heading", name="Konto og brugere", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Kalendersynkronisering")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Hovedmenu")
    expect(navigation.get_by_role("link", name="Kandidater")).to_be_visible()
    table = page.get_by_role("table", name="Medarbejdere")
    last_sync = table.get_by_role("columnheader", name="Seneste vellykkede synkronisering")
    expect(last_sync).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+ medarbejdere matcher\.$"))).to_be_visible()
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()

    page.get_by_role("button", name=re.compile("^Brugermenu")).click()
    page.get_by_role("menuitem", name="English").click()
    expect(page.get_by_role("heading", name="Account & users", level=1)).to_be_visible()
    expect(page.get_by_role("table", name="Staff users")).to_be_visible()
    with Session(engine) as session:
        astrid = session.exec(select(StaffUser).where(StaffUser.email == ADMIN_EMAIL)).one()
        assert astrid.locale == "en"


@pytest.mark.parametrize("path", ["/admin", "/admin/integrations", "/calendar"])
def test_staff_pages_work_on_a_390px_phone(page: Page, sign_in, path: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(ADMIN_EMAIL, start="/admin")
    expect(page.get_by_role("heading", name="Account & users", level=1)).to_be_visible()
    if path != "/admin":
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The navigation is a menu; its links are not laid out in the header.
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    page.get_by_role("button", name="Menu", exact=True).click()
    expect(page.get_by_role("menuitem", name="Candidates")).to_be_visible()
    page.keyboard.press("Escape")
    if path == "/admin":
        table = page.get_by_role("table", name="Staff users")
        expect(table.get_by_role("rowheader").first).to_be_visible()
        # Stacked rows: the column headers are hidden, each cell names its column.
        expect(table.get_by_role("columnheader", name="Status")).to_be_hidden()
        status_cell = table.locator("td[data-label='Status']").first
        assert status_cell.evaluate("e => getComputedStyle(e).display") == "block"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").replace("/", "-") or "home"
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)


def test_admin_page_and_user_menu_have_no_axe_violations(page: Page, sign_in) -> None:
    sign_in(ADMIN_EMAIL, start="/admin")
    table = page.get_by_role("table", name="Staff users")
    expect(table.get_by_role("rowheader").first).to_be_visible()
    page.get_by_role("combobox", name="Sort").click()
    page.get_by_role("option", name="Problems first").click()
    expect(page.get_by_role("combobox", name="Sort")).to_have_text("Problems first")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    # The user menu works from the keyboard and gives the focus back when closed.
    trigger = page.get_by_role("button", name=re.compile("^User menu"))
    trigger.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Suomi")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menuitem", name="Suomi")).to_have_count(0)
    expect(trigger).to_be_focused()
