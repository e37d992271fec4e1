"""Connecting a CalDAV calendar from a sync-invitation link, against Radicale; disconnecting."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from planner.domain.tokens import hash_token
from planner.integrations.crypto import decrypt_credentials
from planner.models import BusyInterval, CalendarConnection, SyncInvitation
from planner.services import connections
from planner.services.errors import InvalidInput
from planner.settings import Settings
from tests.factories import account_with_admin
from tests.fakes import serve
from tests.fakes.radicale import free_port, run_radicale

USERS = {"ann": "app-password-1"}
SETTINGS = Settings(env="test", secret_key="test-secret-key-" + "x" * 32)
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-connect"), users=USERS) as server:
        import caldav

        client = caldav.DAVClient(
            url=server.url, username="ann", password=USERS["ann"], auth_type="basic"
        )
        client.principal().make_calendar(name="Work", cal_id="work")
        yield server


@pytest.fixture
def invitee(session):
    account, admin = account_with_admin(session, "Gamma", email="ann@gamma.example")
    session.add(
        SyncInvitation(
            account_id=account.id,
            staff_user_id=admin.id,
            token_hash=hash_token("sync-link-token-" + "y" * 20),
            expires_at=NOW + timedelta(days=14),
        )
    )
    session.commit()
    found = connections.invitee_for(session=session, token="sync-link-token-" + "y" * 20, now=NOW)
    assert found is not None and found.email == "ann@gamma.example"
    return found


def _connections(session):
    session.rollback()
    session.expire_all()
    return session.exec(select(CalendarConnection)).all()


async def _connect(session, invitee, url, password=USERS["ann"], username="ann"):
    return await connections.connect_caldav(
        session=session,
        invitee=invitee,
        server_url=url,
        username=username,
        password=password,
        settings=SETTINGS,
        now=NOW,
    )


def test_unknown_or_expired_links_show_nobody(session, invitee):
    assert connections.invitee_for(session=session, token="nope", now=NOW) is None
    later = NOW + timedelta(days=15)
    token = "sync-link-token-" + "y" * 20
    assert connections.invitee_for(session=session, token=token, now=later) is None


async def test_connect_stores_encrypted_credentials_and_the_calendar(session, invitee, radicale):
    connection_id = await _connect(session, invitee, radicale.url)

    [stored] = _connections(session)
    assert stored.id == connection_id and stored.status == "synced"
    assert stored.calendar_id.endswith("/ann/work/") and stored.external_account == "ann"
    assert USERS["ann"] not in stored.encrypted_credentials
    assert decrypt_credentials(stored.encrypted_credentials, SETTINGS).password == USERS["ann"]
    invitation = session.exec(select(SyncInvitation)).one()
    assert invitation.used_at == NOW
    views = connections.connections_of(session=session, staff_user_id=invitee.staff_user_id)
    assert [(v.provider, v.status) for v in views] == [("caldav", "synced")]


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("password", "password", "refused this username or password"),
        ("unreachable", "server_url", "no CalDAV calendar answered"),
        ("not_caldav", "server_url", "no CalDAV calendar"),
        ("not_a_url", "server_url", "starting with https://"),
    ],
)
async def test_bad_input_says_what_to_fix_and_stores_nothing(
    session, invitee, radicale, case, field, message
):
    async def homepage(_request):
        return HTMLResponse("<html><body>Welcome to my blog</body></html>")

    with serve(
        Starlette(routes=[Route("/{p:path}", homepage, methods=["GET", "PROPFIND"])])
    ) as web:
        url, password = {
            "password": (radicale.url, "wrong"),
            "unreachable": (f"http://127.0.0.1:{free_port()}/", USERS["ann"]),
            "not_caldav": (web + "/", USERS["ann"]),
            "not_a_url": ("ftp://example.com", USERS["ann"]),
        }[case]
        with pytest.raises(InvalidInput) as caught:
            await _connect(session, invitee, url, password=password)
    assert caught.value.field == field and message in str(caught.value)
    assert _connections(session) == []
    assert session.exec(select(SyncInvitation)).one().used_at is None


async def test_reconnecting_replaces_and_disconnect_drops_credentials_and_busy_times(
    session, invitee, radicale
):
    first = await _connect(session, invitee, radicale.url)
    second = await _connect(session, invitee, radicale.url)
    session.add(
        BusyInterval(
            account_id=invitee.account_id,
            connection_id=second,
            start_at=NOW + timedelta(hours=1),
            end_at=NOW + timedelta(hours=2),
        )
    )
    session.commit()
    statuses = {c.id: c.status for c in _connections(session)}
    assert statuses == {first: "disconnected", second: "synced"}

    other_user = invitee.staff_user_id + 1000
    assert not connections.disconnect(
        session=session, staff_user_id=other_user, connection_id=second, now=NOW
    )
    assert connections.disconnect(
        session=session, staff_user_id=invitee.staff_user_id, connection_id=second, now=NOW
    )

    stored = {c.id: c for c in _connections(session)}
    assert stored[second].status == "disconnected" and stored[second].encrypted_credentials == ""
    assert session.exec(select(BusyInterval)).all() == []
    assert connections.connections_of(session=session, staff_user_id=invitee.staff_user_id) == []
