"""The admin's calendar-sync list: filter, search, sort and paging in the database; "Sync now"
through the worker's poll (real Radicale, fake Google); plain-words reasons; reconnect mails;
disconnect revoking the Google grant; the staff user's own language."""

from datetime import UTC, datetime, timedelta

import caldav
import httpx
import pytest
from sqlmodel import Session, select

from planner.domain.sync_problems import (
    ConnectionFacts,
    describe_error,
    describe_last_sync,
    describe_unreadable,
)
from planner.i18n import translator
from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.crypto import encrypt_credentials
from planner.models import (
    Account,
    BusyInterval,
    CalendarConnection,
    OutboxMessage,
    StaffUser,
    SyncInvitation,
)
from planner.services import calendar_sync, connections, staff, sync_invitations, sync_list
from planner.services.errors import InvalidInput, PermissionDenied
from planner.services.sync_list import SyncListQuery
from planner.settings import Settings
from tests.factories import account_with_admin, actor_for
from tests.fakes.google import run_fake_google
from tests.fakes.radicale import run_radicale

USERS = {"ann": "app-password-1"}
SECRET = "test-secret-key-" + "x" * 32
EN = translator("en")


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-list"), users=USERS) as server:
        yield server


@pytest.fixture
def calendar(radicale, request):
    client = caldav.DAVClient(
        url=radicale.url, username="ann", password=USERS["ann"], auth_type="basic"
    )
    name = "list-" + request.node.name.replace("[", "-").replace("]", "")[-30:].lower()
    return client.principal().make_calendar(name=name, cal_id=name)


@pytest.fixture
def google():
    with run_fake_google() as fake:
        fake.state.add_calendar("ann@example.com", "Ann", primary=True)
        yield fake


def _settings(google=None) -> Settings:
    if google is None:
        return Settings(env="test", secret_key=SECRET)
    return Settings(
        env="test",
        secret_key=SECRET,
        google_api_base=google.url,
        google_auth_url=f"{google.url}/o/oauth2/v2/auth",
        google_token_url=f"{google.url}/token",
        google_revoke_url=f"{google.url}/revoke",
        google_client_id=google.issuer.client_id,
        google_client_secret=google.issuer.client_secret,
    )


def _user(session: Session, account: Account, name: str, email: str | None = None) -> StaffUser:
    user = StaffUser(account_id=account.id, name=name, email=email, role="recruiter")
    session.add(user)
    session.commit()
    return user


def _connect(session: Session, user: StaffUser, settings: Settings, **values) -> CalendarConnection:
    credentials = values.pop("credentials", Credentials(username="ann", password=USERS["ann"]))
    connection = CalendarConnection(
        account_id=user.account_id,
        staff_user_id=user.id,
        encrypted_credentials=encrypt_credentials(credentials, settings),
        **values,
    )
    session.add(connection)
    session.commit()
    return connection


async def _poll(session: Session, settings: Settings, now: datetime, *, requested_only: bool):
    """What the worker's poll does: due targets, provider calls, one recorded batch."""
    targets = calendar_sync.due_targets(
        session=session, settings=settings, now=now, requested_only=requested_only
    )

    async def save_tokens(connection_id: int, credentials: Credentials) -> None:
        calendar_sync.save_refreshed_tokens(
            session=session, connection_id=connection_id, credentials=credentials,
            settings=settings,
        )  # fmt: skip

    async with httpx.AsyncClient() as http:
        outcomes = [
            await calendar_sync.poll_target(
                t, http=http, settings=settings, now=now, save_tokens=save_tokens, clock=lambda: now
            )
            for t in targets
        ]
    calendar_sync.record_outcomes(session=session, outcomes=outcomes, now=now)
    return len(targets)


def _row(session, actor, name) -> sync_list.SyncListRow:
    page = sync_list.list_page(session=session, actor=actor, query=SyncListQuery(search=name))
    [row] = [r for r in page.rows if r.name == name]
    return row


def test_filter_search_sort_and_pages_happen_in_the_database_for_one_account(session):
    settings = _settings()
    account, admin = account_with_admin(session, "Acme", email="admin@acme.example")
    other, _ = account_with_admin(session, "Other", email="admin@other.example")
    _user(session, other, "Zed Stranger", "zed@other.example")
    names = [f"User {n:02d}" for n in range(30)]
    users = [_user(session, account, name, f"u{n}@acme.example") for n, name in enumerate(names)]
    now = datetime.now(UTC)
    _connect(session, users[0], settings, provider="caldav", status="synced", last_synced_at=now)
    _connect(
        session, users[1], settings, provider="google", status="reconnect_needed",
        last_synced_at=now - timedelta(days=2), error_kind="revoked",
    )  # fmt: skip
    _connect(session, users[2], settings, provider="caldav", status="disconnected")
    # Zoom is not a calendar: user 3 stays "not invited".
    _connect(session, users[3], settings, provider="zoom", status="synced")
    session.add(
        SyncInvitation(
            account_id=account.id, staff_user_id=users[4].id, token_hash="a" * 64,
            sent_at=now, expires_at=now + timedelta(days=14),
        )
    )  # fmt: skip
    session.commit()
    actor = actor_for(admin, account)

    first = sync_list.list_page(session=session, actor=actor, query=SyncListQuery(page_size=25))
    assert first.total == 31 and first.pages == 2 and len(first.rows) == 25
    assert first.counts == {
        "synced": 1, "error": 1, "disconnected": 1, "invited": 1, "not_invited": 27,
    }  # fmt: skip
    assert "Zed Stranger" not in [r.name for r in first.rows]
    last = sync_list.list_page(
        session=session, actor=actor, query=SyncListQuery(page=9, page_size=25)
    )
    assert last.page == 2 and len(last.rows) == 6  # past the end: the last page

    errors = sync_list.list_page(session=session, actor=actor, query=SyncListQuery(status="error"))
    [row] = errors.rows
    assert (row.name, row.provider, row.connection_status) == (
        "User 01",
        "google",
        "reconnect_needed",
    )
    assert row.error_kind == "revoked" and errors.total == 1

    by_email = sync_list.list_page(session=session, actor=actor, query=SyncListQuery(search="U4@"))
    assert [r.name for r in by_email.rows] == ["User 04"]
    assert by_email.rows[0].sync_status == "invited"
    literal = sync_list.list_page(session=session, actor=actor, query=SyncListQuery(search="%"))
    assert literal.rows == []

    by_status = sync_list.list_page(
        session=session, actor=actor, query=SyncListQuery(sort="status", page_size=25)
    )
    assert [r.sync_status for r in by_status.rows[:4]] == [
        "error", "disconnected", "invited", "not_invited",
    ]  # fmt: skip
    by_sync = sync_list.list_page(
        session=session, actor=actor, query=SyncListQuery(sort="last_sync")
    )
    assert [r.name for r in by_sync.rows[:2]] == ["User 00", "User 01"]
    descending = sync_list.list_page(
        session=session, actor=actor, query=SyncListQuery(descending=True)
    )
    assert descending.rows[0].name == "User 29"

    everyone = sync_list.matching_user_ids(
        session=session, actor=actor, status="not_invited", search=""
    )
    assert len(everyone) == 27 and users[0].id not in everyone
    with pytest.raises(InvalidInput):
        sync_list.list_page(session=session, actor=actor, query=SyncListQuery(sort="email"))
    with pytest.raises(PermissionDenied):
        sync_list.list_page(
            session=session, actor=actor_for(users[5], account), query=SyncListQuery()
        )


async def test_sync_now_polls_at_once_and_reports_who_cannot_sync(session, radicale, calendar):
    settings = _settings()
    account, admin = account_with_admin(session, "Sync Co", email="admin@sync.example")
    ann = _user(session, account, "Ann Berg", "ann@sync.example")
    bo = _user(session, account, "Bo Lind", "bo@sync.example")
    then = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    connection = _connect(
        session, ann, settings, provider="caldav", status="synced", server_url=radicale.url,
        calendar_id=str(calendar.url), last_synced_at=then,
    )  # fmt: skip
    actor = actor_for(admin, account)
    now = then + timedelta(minutes=1)
    # Polled a minute ago: the regular round would not poll it yet.
    assert calendar_sync.due_targets(session=session, settings=settings, now=now) == []

    result = sync_list.request_sync_now(
        session=session, actor=actor, user_ids=[ann.id, bo.id], now=now
    )
    assert result.requested == ["Ann Berg"] and result.cannot_sync == ["Bo Lind"]
    assert _row(session, actor, "Ann Berg").sync_pending
    again = sync_list.request_sync_now(session=session, actor=actor, user_ids=[ann.id], now=now)
    assert again.requested == ["Ann Berg"]
    assert (
        session.get(CalendarConnection, connection.id, populate_existing=True).sync_requested_at
        == now
    )

    later = now + timedelta(seconds=5)
    assert await _poll(session, settings, later, requested_only=True) == 1
    row = _row(session, actor, "Ann Berg")
    assert not row.sync_pending and row.last_synced_at == later and row.sync_status == "synced"
    assert await _poll(session, settings, later, requested_only=True) == 0

    other, other_admin = account_with_admin(session, "Other", email="admin@other2.example")
    with pytest.raises(InvalidInput):
        sync_list.request_sync_now(
            session=session, actor=actor_for(other_admin, other), user_ids=[ann.id], now=now
        )


async def test_changed_password_turns_the_row_to_error_and_a_reconnect_back_to_synced(
    session, radicale, calendar
):
    settings = _settings()
    account, admin = account_with_admin(session, "Pw Co", email="admin@pw.example")
    ann = _user(session, account, "Ann Berg", "ann@pw.example")
    actor = actor_for(admin, account)
    now = datetime.now(UTC).replace(microsecond=0)
    _connect(
        session, ann, settings, provider="caldav", status="synced", server_url=radicale.url,
        calendar_id=str(calendar.url),
        credentials=Credentials(username="ann", password="changed-at-the-server"),
    )  # fmt: skip
    await _poll(session, settings, now, requested_only=False)

    row = _row(session, actor, "Ann Berg")
    assert (row.sync_status, row.error_kind) == ("error", "password")
    facts = ConnectionFacts(row.provider, row.connection_status, row.error_kind, row.last_error)
    assert describe_error(EN, facts, user_name=row.name) == (
        "The CalDAV server refused the password: ask Ann Berg to reconnect with a new app password."
    )

    # Ann reconnects from her link: the new connection is polled at the next tick.
    invitee = connections.Invitee(ann.id, account.id, ann.name, ann.email, account.name)
    await connections.connect_caldav(
        session=session, invitee=invitee, server_url=radicale.url, username="ann",
        password=USERS["ann"], settings=settings, now=now,
    )  # fmt: skip
    assert await _poll(session, settings, now + timedelta(seconds=5), requested_only=True) == 1
    row = _row(session, actor, "Ann Berg")
    assert row.sync_status == "synced" and row.last_synced_at == now + timedelta(seconds=5)
    assert row.error_kind is None


async def test_unreachable_server_is_an_error_with_its_reason(session, radicale):
    settings = _settings()
    account, admin = account_with_admin(session, "Down Co", email="admin@down.example")
    ann = _user(session, account, "Ann Berg", "ann@down.example")
    _connect(
        session, ann, settings, provider="caldav", status="synced",
        server_url="http://127.0.0.1:9/", calendar_id="http://127.0.0.1:9/ann/work/",
    )  # fmt: skip
    await _poll(session, settings, datetime.now(UTC), requested_only=False)
    row = _row(session, actor_for(admin, account), "Ann Berg")
    assert (row.sync_status, row.connection_status, row.error_kind) == (
        "error", "error", "unreachable",
    )  # fmt: skip
    facts = ConnectionFacts(row.provider, row.connection_status, row.error_kind)
    assert describe_error(translator("da"), facts, user_name="Ann").startswith(
        "Kalenderserveren kan ikke nås"
    )


async def test_revoked_google_grant_is_an_error_and_ask_to_reconnect_mails_a_fresh_link(
    session, google
):
    settings = _settings(google)
    account, admin = account_with_admin(session, "G Co", email="admin@g.example")
    ann = _user(session, account, "Ann Berg", "ann@g.example")
    issued = google.issuer.issue()
    expired = OAuthTokens(issued["access_token"], issued["refresh_token"], datetime.now(UTC))
    _connect(
        session, ann, settings, provider="google", status="synced", calendar_id="ann@example.com",
        credentials=Credentials(tokens=expired),
    )  # fmt: skip
    google.issuer.revoke()  # Ann removed Planner from her Google account
    await _poll(session, settings, datetime.now(UTC), requested_only=False)
    actor = actor_for(admin, account)
    row = _row(session, actor, "Ann Berg")
    assert (row.sync_status, row.error_kind) == ("error", "revoked")
    facts = ConnectionFacts(row.provider, row.connection_status, row.error_kind)
    assert describe_error(EN, facts, user_name=row.name) == (
        "Google Calendar access was revoked or has expired: ask Ann Berg to reconnect."
    )

    now = datetime.now(UTC)
    sent = sync_invitations.send_sync_invitations(
        session=session, actor=actor, user_ids=[ann.id], now=now, purpose="reconnect",
        not_again_within=timedelta(minutes=2),
    )  # fmt: skip
    assert sent.sent == ["Ann Berg"]
    twice = sync_invitations.send_sync_invitations(
        session=session, actor=actor, user_ids=[ann.id], now=now + timedelta(seconds=1),
        purpose="reconnect", not_again_within=timedelta(minutes=2),
    )  # fmt: skip
    assert twice.sent == [] and twice.already_sent == ["Ann Berg"]
    # Someone whose calendar syncs is not asked to reconnect.
    bo = _user(session, account, "Bo Lind", "bo@g.example")
    _connect(session, bo, settings, provider="caldav", status="synced")
    fine = sync_invitations.send_sync_invitations(
        session=session, actor=actor, user_ids=[bo.id], now=now, purpose="reconnect"
    )
    assert fine.sent == [] and fine.not_needed == ["Bo Lind"]
    requests = [
        row.payload
        for row in session.exec(select(OutboxMessage)).all()
        if row.payload.get("name") == "sync_reconnect"
    ]
    assert len(requests) == 1 and "/connect/" in requests[0]["args"]["link"]


async def test_disconnect_revokes_the_google_grant_and_drops_busy_times(session, google):
    settings = _settings(google)
    account, _admin = account_with_admin(session, "D Co", email="admin@d.example")
    ann = _user(session, account, "Ann Berg", "ann@d.example")
    issued = google.issuer.issue()
    tokens = OAuthTokens(
        issued["access_token"], issued["refresh_token"], datetime.now(UTC) + timedelta(hours=1)
    )
    connection = _connect(
        session, ann, settings, provider="google", status="synced",
        credentials=Credentials(tokens=tokens),
    )  # fmt: skip
    start = datetime.now(UTC) + timedelta(days=1)
    session.add(
        BusyInterval(
            account_id=account.id, connection_id=connection.id, start_at=start,
            end_at=start + timedelta(hours=1),
        )
    )  # fmt: skip
    session.commit()

    done = await connections.disconnect_and_revoke(
        session=session, staff_user_id=ann.id, connection_id=connection.id, settings=settings,
        now=datetime.now(UTC),
    )  # fmt: skip

    assert done.done and done.revoked and done.provider == "google"
    assert google.issuer.revoked_tokens == [issued["refresh_token"]]
    assert issued["refresh_token"] not in google.issuer.refresh_tokens
    session.expire_all()
    assert session.exec(select(BusyInterval)).all() == []
    stored = session.get(CalendarConnection, connection.id)
    assert stored.status == "disconnected" and stored.encrypted_credentials == ""
    again = await connections.disconnect_and_revoke(
        session=session, staff_user_id=ann.id, connection_id=connection.id, settings=settings,
        now=datetime.now(UTC),
    )  # fmt: skip
    assert not again.done


def test_unreadable_data_and_last_sync_in_words():
    facts = ConnectionFacts(
        "caldav", "synced", unreadable_count=3, unknown_from=datetime(2026, 12, 12, 8, tzinfo=UTC)
    )
    assert describe_unreadable(EN, facts, locale="en", time_zone="Europe/Copenhagen") == (
        "Some events could not be read: 3 unreadable, availability unknown from Dec 12."
    )
    assert "12. dec." in describe_unreadable(
        translator("da"), facts, locale="da", time_zone="Europe/Copenhagen"
    )
    assert (
        describe_unreadable(EN, ConnectionFacts("caldav", "synced"), locale="en", time_zone="UTC")
        == ""
    )
    now = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)
    assert describe_last_sync(
        EN, now - timedelta(minutes=12), now, locale="en", time_zone="Europe/Copenhagen"
    ) == ("12 minutes ago", "Dec 12, 2026, 10:48\u202fAM")
    assert describe_last_sync(
        translator("da"), now - timedelta(minutes=12), now, locale="da", time_zone="UTC"
    ) == ("for 12 minutter siden", "12. dec. 2026 09.48")
    assert describe_last_sync(EN, None, now, locale="en", time_zone="UTC") == ("Never", "")


def test_staff_user_chooses_their_own_language(session):
    account, admin = account_with_admin(session, "L Co", email="admin@l.example")
    actor = actor_for(admin, account)
    assert staff.set_own_language(session=session, actor=actor, locale="fi") == "fi"
    session.expire_all()
    assert session.get(StaffUser, admin.id).locale == "fi"
    with pytest.raises(InvalidInput):
        staff.set_own_language(session=session, actor=actor, locale="de")
    assert session.get(StaffUser, admin.id).locale == "fi"
