"""Outbound requests to tenant-chosen URLs (webhooks, CalDAV) reach public addresses only:
checked when a URL is saved, again when connecting (DNS rebinding), no redirects followed,
one error text for closed and live ports, and a slow receiver holds up no other delivery."""

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from planner.domain.tokens import hash_token
from planner.integrations import outbound
from planner.models import CalendarConnection, SyncInvitation, WebhookEndpoint
from planner.models.base import utcnow
from planner.services import booking, connections, notifications, webhooks
from planner.services.errors import InvalidInput
from planner.settings import Settings, get_settings, load_settings
from tests.factories import account_with_admin, actor_for
from tests.fakes.radicale import free_port, run_radicale
from tests.integration.test_webhooks import world

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "test-secret-key-" + "x" * 32


@dataclass
class Peer:
    """A local HTTP server that records every request and answers as told."""

    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    hang: threading.Event | None = None  # answer only once this is set (or after 30 s)
    drip: bool = False  # send the answer one byte at a time, forever
    answer_if: threading.Event | None = None  # 204 if set within 20 s, else 500
    received: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def peer(**options) -> Iterator[Peer]:
    state = Peer(**options)

    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            state.requests.append((self.command, self.path, dict(self.headers.items())))
            state.received.set()
            if state.hang is not None:
                state.hang.wait(30)
            if state.drip:
                deadline = time.monotonic() + 30
                try:
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                        if time.monotonic() > deadline:
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    return
            status = state.status
            if state.answer_if is not None:
                status = 204 if state.answer_if.wait(20) else 500
            self.send_response(status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        do_GET = do_POST = do_PROPFIND = do_OPTIONS = do_REPORT = _any  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        if state.hang is not None:
            state.hang.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def env(monkeypatch):
    """Set PLANNER_* variables for one test (settings are re-read)."""

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"PLANNER_{name.upper()}", value)
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()


# --- the address rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.1.2.3", "10.0.0.5", "172.16.0.1", "192.168.1.1", "100.64.0.1",
        "169.254.169.254", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::",
        "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::",
        "64:ff9b::a00:1", "fd00:ec2::254", "192.0.2.1",
    ],
)  # fmt: skip
def test_local_private_and_reserved_addresses_are_refused(address):
    assert not outbound.is_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert outbound.is_allowed(ipaddress.ip_address(address))


def test_allowing_private_networks_never_allows_metadata_link_local_or_multicast():
    allowed = {"127.0.0.1", "10.1.2.3", "192.168.0.10", "::1", "fd12:3456::1"}
    refused = {"169.254.169.254", "fd00:ec2::254", "fe80::1", "0.0.0.0", "224.0.0.1", "::"}
    for address in allowed:
        assert outbound.is_allowed(ipaddress.ip_address(address), allow_private=True), address
    for address in refused:
        assert not outbound.is_allowed(ipaddress.ip_address(address), allow_private=True)


def test_caldav_private_servers_are_allowed_in_development_and_test_only(monkeypatch):
    for env, expected in [("development", True), ("test", True)]:
        settings = Settings(env=env, secret_key=SECRET)
        assert settings.caldav_private_allowed is expected
    monkeypatch.setenv("PLANNER_CREDENTIAL_KEYS", "0" * 43 + "=")
    monkeypatch.setenv("PLANNER_PUBLIC_URL", "https://planner.example.com")
    monkeypatch.setenv("PLANNER_ENV", "production")
    monkeypatch.setenv("PLANNER_SECRET_KEY", SECRET)
    assert load_settings().caldav_private_allowed is False
    monkeypatch.setenv("PLANNER_CALDAV_ALLOW_PRIVATE", "true")
    assert load_settings().caldav_private_allowed is True
    assert load_settings().webhook_allow_private is False


# --- webhooks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/", "http://localhost:3000/api", "http://[::1]/",
        "http://2130706433/", "http://0x7f.1/", "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/", "http://0.0.0.0:8000/", "https://[::ffff:127.0.0.1]/",
    ],
)  # fmt: skip
def test_a_webhook_url_on_the_local_network_is_refused(session, url):
    account, admin = account_with_admin(session, "Acme", email="admin@acme.example")
    with pytest.raises(InvalidInput, match="public internet address"):
        webhooks.add_endpoint(
            session=session, actor=actor_for(admin, account), url=url,
            events=["interview.booked"], now=utcnow(),
        )  # fmt: skip
    assert webhooks.list_endpoints(session=session, actor=actor_for(admin, account)) == []


def _book(session, url):
    actor, endpoint, interview, token, _, now = world(session, url)
    assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=now).ok
    return actor, now


def _deliver(session, now=None):
    # As the worker's job: a booking's one outbox row is expanded into its webhooks first.
    notifications.render_requested(session=session)
    with webhooks.delivery_client() as client:
        return webhooks.deliver_due(
            session=session, client=client, now=now or utcnow() + timedelta(seconds=1),
            random=lambda: 0.0,
        )  # fmt: skip


def test_the_address_is_checked_again_when_delivering(session, env):
    """A URL that passed when it was saved (here: while private addresses were allowed; in
    the wild: a name re-pointed to 127.0.0.1) is refused at connect time."""
    with peer() as receiver:
        env(webhook_allow_private="true")
        actor, _ = _book(session, receiver.url)
        env(webhook_allow_private="false")
        assert _deliver(session).retrying == 1
        assert receiver.requests == []
    [logged] = webhooks.recent_deliveries(session=session, actor=actor)
    assert logged.status_code is None and logged.error.startswith("blocked")


def test_dns_rebinding_is_refused_at_connect_time(session, env, monkeypatch):
    """The name resolves to a public address when the URL is saved and to 127.0.0.1 when the
    event is delivered: the connection is refused, nothing reaches the local receiver."""
    with peer() as receiver:
        real = socket.getaddrinfo
        answers = {"rebind.planner-test.example": "93.184.216.34"}

        def fake_getaddrinfo(host, port, *args, **kwargs):
            if host in answers:
                return real(answers[host], port, *args, **kwargs)
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
        actor, _ = _book(session, f"http://rebind.planner-test.example:{receiver.port}/hook")
        answers["rebind.planner-test.example"] = "127.0.0.1"
        assert _deliver(session).retrying == 1
        assert receiver.requests == []
    [logged] = webhooks.recent_deliveries(session=session, actor=actor)
    assert logged.error.startswith("blocked")


def test_redirects_are_not_followed(session, env):
    env(webhook_allow_private="true")
    with peer() as target, peer(status=307) as redirector:
        redirector.headers = {"Location": target.url}
        actor, _ = _book(session, redirector.url)
        assert _deliver(session).retrying == 1
        assert len(redirector.requests) == 1 and target.requests == []
    [logged] = webhooks.recent_deliveries(session=session, actor=actor)
    assert (logged.status_code, logged.error) == (307, "HTTP 307")


def test_the_log_does_not_tell_a_closed_port_from_a_silent_service(session, env):
    env(webhook_allow_private="true", webhook_timeout_seconds="1")
    with peer(hang=threading.Event()) as silent:
        actor, _ = _book(session, f"http://127.0.0.1:{free_port()}/hook")
        assert _deliver(session).retrying == 1
        endpoint = session.exec(select(WebhookEndpoint)).one()
        endpoint.url = silent.url
        session.commit()
        assert _deliver(session, utcnow() + timedelta(days=1)).retrying == 1
        assert len(silent.requests) == 1
    later, earlier = webhooks.recent_deliveries(session=session, actor=actor)
    assert later.error == earlier.error and later.error.startswith("no answer")


def test_a_trickling_receiver_is_cut_off_at_the_time_limit(session, env):
    env(webhook_allow_private="true", webhook_timeout_seconds="1")
    with peer(drip=True) as trickle:
        actor, _ = _book(session, trickle.url)
        assert _deliver(session).retrying == 1
    [logged] = webhooks.recent_deliveries(session=session, actor=actor)
    assert logged.error.startswith("no answer")


def test_a_hanging_receiver_does_not_hold_up_another_endpoint(session, env):
    """The first endpoint answers only once the second has received its event: delivered
    one after the other, the first would wait for nothing and answer 500."""
    env(webhook_allow_private="true")
    with peer() as fast, peer(answer_if=fast.received) as slow:
        actor, _, interview, token, _, now = world(session, slow.url)
        webhooks.add_endpoint(
            session=session, actor=actor, url=fast.url, events=["interview.booked"], now=now
        )
        assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=now).ok
        report = _deliver(session)
    assert report.delivered == 2 and report.retrying == 0
    assert len(slow.requests) == 1 and len(fast.requests) == 1


# --- CalDAV ------------------------------------------------------------------------------

USERS = {"ann": "app-password-1"}


@pytest.fixture
def invitee(session):
    account, admin = account_with_admin(session, "Gamma", email="ann@gamma.example")
    token = "sync-link-token-" + "z" * 20
    session.add(
        SyncInvitation(
            account_id=account.id,
            staff_user_id=admin.id,
            token_hash=hash_token(token),
            expires_at=NOW + timedelta(days=14),
        )
    )
    session.commit()
    return connections.invitee_for(session=session, token=token, now=NOW)


async def _connect(session, invitee, url, settings, password=USERS["ann"]):
    return await connections.connect_caldav(
        session=session, invitee=invitee, server_url=url, username="ann",
        password=password, settings=settings, now=NOW,
    )  # fmt: skip


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::1]", "2130706433", "169.254.169.254", "10.0.0.1"]
)
async def test_a_caldav_server_on_the_local_network_is_refused_unless_allowed(
    session, invitee, host
):
    settings = Settings(env="test", secret_key=SECRET, caldav_allow_private=False)
    with peer() as server:
        with pytest.raises(InvalidInput, match="local or private network") as caught:
            await _connect(session, invitee, f"http://{host}:{server.port}/dav/", settings)
        assert server.requests == []
    assert caught.value.field == "server_url"
    assert session.exec(select(CalendarConnection)).all() == []


async def test_an_allowed_private_caldav_server_connects(session, invitee, tmp_path):
    settings = Settings(env="test", secret_key=SECRET, caldav_allow_private=True)
    with run_radicale(tmp_path, users=USERS) as radicale:
        import caldav

        client = caldav.DAVClient(
            url=radicale.url, username="ann", password=USERS["ann"], auth_type="basic"
        )
        client.principal().make_calendar(name="Work", cal_id="work")
        await _connect(session, invitee, radicale.url, settings)
    [connection] = session.exec(select(CalendarConnection)).all()
    assert connection.provider == "caldav"


async def test_caldav_redirects_are_not_followed_and_the_login_goes_nowhere_else(session, invitee):
    settings = Settings(env="test", secret_key=SECRET, caldav_allow_private=True)
    with peer() as elsewhere, peer(status=301) as redirector:
        redirector.headers = {"Location": elsewhere.url}
        with pytest.raises(InvalidInput):
            await _connect(session, invitee, redirector.url, settings)
        assert elsewhere.requests == []
        assert 1 <= len(redirector.requests) <= 3


async def test_caldav_errors_do_not_tell_a_closed_port_from_a_live_service(session, invitee):
    settings = Settings(env="test", secret_key=SECRET, caldav_allow_private=True)
    messages = []
    with peer(status=200) as web, peer(status=500) as broken:
        for url in [f"http://127.0.0.1:{free_port()}/", web.url, broken.url]:
            with pytest.raises(InvalidInput) as caught:
                await _connect(session, invitee, url, settings)
            messages.append(str(caught.value))
    assert len(set(messages)) == 1, messages
