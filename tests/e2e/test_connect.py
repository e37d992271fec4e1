"""A staff user follows their sync-invitation link on a phone: connects a CalDAV calendar
(a real Radicale), sees it listed, disconnects it; a wrong password and a bad link say so."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from planner.db import make_engine
from planner.domain.vocabulary import Role
from planner.models import CalendarConnection, OutboxMessage, StaffUser
from planner.services import sync_invitations
from planner.services.actor import Actor
from tests.fakes.radicale import run_radicale

pytestmark = pytest.mark.e2e

USERS = {"aino": "app-password-e2e"}


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-e2e"), users=USERS) as server:
        import caldav

        client = caldav.DAVClient(
            url=server.url, username="aino", password=USERS["aino"], auth_type="basic"
        )
        client.principal().make_calendar(name="Work", cal_id="work")
        yield server


@pytest.fixture
def engine(e2e_database_url):
    engine = make_engine(e2e_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connect_link(engine, app_url):
    """Send Aino a sync invitation as the admin; return her /connect/<token> address."""
    with Session(engine, expire_on_commit=False) as session:
        astrid = session.exec(select(StaffUser).where(StaffUser.name == "Astrid Holm")).one()
        aino = session.exec(select(StaffUser).where(StaffUser.name == "Aino Virtanen")).one()
        actor = Actor(
            user_id=astrid.id, account_id=astrid.account_id, account_name="Demo",
            name=astrid.name, email=astrid.email, role=Role(astrid.role),
            time_zone=astrid.time_zone, locale=astrid.locale,
        )  # fmt: skip
        result = sync_invitations.send_sync_invitations(
            session=session, actor=actor, user_ids=[aino.id], now=datetime.now(UTC)
        )
        assert result.sent == ["Aino Virtanen"]
        links = [
            row.payload["args"]["link"]
            for row in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            if row.kind == "notification"
            and row.payload.get("name") == "sync_invitation"
            and row.payload.get("args", {}).get("staff_user_id") == aino.id
        ]
    return f"{app_url}/connect/{links[-1].rsplit('/', 1)[1]}"


def _live_caldav(engine) -> list[CalendarConnection]:
    with Session(engine) as session:
        aino = session.exec(select(StaffUser).where(StaffUser.name == "Aino Virtanen")).one()
        return list(
            session.exec(
                select(CalendarConnection).where(
                    CalendarConnection.staff_user_id == aino.id,
                    CalendarConnection.status != "disconnected",
                )
            ).all()
        )


def _fill(page: Page, url: str, password: str) -> None:
    page.get_by_label("Server URL").fill(url)
    page.get_by_label("Username").fill("aino")
    page.get_by_label("App password").fill(password)
    page.get_by_role("button", name="Connect CalDAV calendar").click()


def _aino_speaks(engine, locale: str) -> None:
    with Session(engine) as session:
        aino = session.exec(select(StaffUser).where(StaffUser.name == "Aino Virtanen")).one()
        aino.locale = locale
        session.add(aino)
        session.commit()


def test_the_connect_page_speaks_the_invited_users_language(page: Page, connect_link, engine):
    _aino_speaks(engine, "fi")  # as in the demo
    page.goto(connect_link)
    expect(page.get_by_role("heading", name="Yhdistä kalenterisi", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Yhdistä Google-kalenteri")).to_be_disabled()
    expect(
        page.get_by_text("Pyydä ylläpitäjää ottamaan Google-kirjautuminen käyttöön.")
    ).to_be_visible()
    expect(page.get_by_label("Sovellussalasana")).to_be_visible()


def test_a_staff_user_connects_caldav_and_disconnects_on_a_phone(
    page: Page, connect_link, radicale, engine
):
    _aino_speaks(engine, "en")  # the test reads English labels
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(connect_link)
    expect(page.get_by_role("heading", name="Connect your calendar")).to_be_visible()
    expect(page.get_by_text(re.compile("This invitation is for Aino Virtanen"))).to_be_visible()
    expect(page.get_by_text("No calendar is connected yet.")).to_be_visible()
    # No OAuth client is configured for the e2e server: every provider is shown, those two
    # disabled with the reason, and no link that leads nowhere.
    expect(page.get_by_role("link", name="Connect Google Calendar")).to_have_count(0)
    expect(page.get_by_role("button", name="Connect Google Calendar")).to_be_disabled()
    expect(page.get_by_role("button", name="Connect Microsoft 365")).to_be_disabled()
    expect(page.get_by_text("Ask your administrator to set up Google sign-in.")).to_be_visible()
    expect(page.get_by_text("Ask your administrator to set up Microsoft sign-in.")).to_be_visible()

    _fill(page, radicale.url, "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("refused this username or password")
    expect(page.get_by_label("App password")).to_have_value("")
    expect(page.get_by_label("Server URL")).to_have_value(radicale.url)
    assert _live_caldav(engine) == []

    _fill(page, radicale.url, USERS["aino"])
    expect(page.get_by_text("Your CalDAV calendar is connected.")).to_be_visible()
    expect(page.get_by_text("aino", exact=True)).to_be_visible()
    # Her own connection says how it syncs: the first poll is queued at once.
    expect(page.get_by_text(re.compile("^Last synced: "))).to_be_visible()
    expect(page.get_by_label("App password")).to_have_value("")
    [connection] = _live_caldav(engine)
    assert connection.provider == "caldav" and connection.calendar_id
    assert USERS["aino"] not in connection.encrypted_credentials
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Disconnect CalDAV").click()
    dialog = page.get_by_role("alertdialog", name="Disconnect CalDAV?")
    expect(dialog).to_contain_text("forgets the ones it has cached")
    dialog.get_by_role("button", name="Keep it connected").click()
    expect(dialog).to_have_count(0)
    assert len(_live_caldav(engine)) == 1

    page.get_by_role("button", name="Disconnect CalDAV").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("The calendar is disconnected.")).to_be_visible()
    expect(page.get_by_text("No calendar is connected yet.")).to_be_visible()
    assert _live_caldav(engine) == []


def test_an_unknown_link_says_it_is_not_valid(page: Page, app_url):
    page.goto(f"{app_url}/connect/not-a-real-token")
    expect(page.get_by_role("alert")).to_contain_text("This link is not valid or has expired")
    expect(page.get_by_label("Server URL")).to_have_count(0)
