"""Webhooks: each event recorded by the service whose change causes it, delivered as a
signed POST to a real local receiver, retried with backoff, and logged for admins."""

import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from planner.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from planner.models.base import utcnow
from planner.services import booking, notifications, scheduling, webhooks
from planner.services.errors import InvalidInput, NotFound, PermissionDenied
from planner.settings import get_settings
from tests.factories import account_with_admin, actor_for, add_candidate
from tests.smtp_helpers import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A local HTTP server that records each POST and answers with queued statuses."""

    received: list[Received] = field(default_factory=list)
    replies: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/planner"

    def events(self) -> list[dict]:
        return [json.loads(r.body) for r in self.received]


def start_receiver() -> tuple[WebhookReceiver, ThreadingHTTPServer]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            receiver.received.append(
                Received({k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, headers = receiver.replies.pop(0) if receiver.replies else (204, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@pytest.fixture(autouse=True)
def allow_local_receivers(monkeypatch):
    """The receivers of these tests listen on 127.0.0.1, which production refuses."""
    monkeypatch.setenv("PLANNER_WEBHOOK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def deliver(session, now=None) -> webhooks.DeliveryReport:
    # As the worker's job: a booking's one outbox row is expanded into its webhooks first.
    notifications.render_requested(session=session)
    with webhooks.delivery_client() as client:
        return webhooks.deliver_due(
            session=session, client=client, now=now or utcnow(), random=lambda: 0.0
        )


def world(session, url, events=webhooks.EVENTS):
    """An account with an endpoint, an interview with two slots and two invited candidates."""
    now = utcnow().replace(microsecond=0)
    account, admin = account_with_admin(session, "Acme", email="admin@acme.example")
    actor = actor_for(admin, account)
    endpoint = webhooks.add_endpoint(
        session=session, actor=actor, url=url, events=list(events), now=now
    )
    freja = add_candidate(session, account, "Freja Nielsen")
    james = add_candidate(session, account, "James Carter")
    interview = scheduling.create_interview(
        session=session, actor=actor, now=now,
        data={"title": "Backend", "duration_minutes": 30, "participant_ids": [admin.id],
              "slots": [now + timedelta(days=2), now + timedelta(days=3)]},
    )  # fmt: skip
    tokens = scheduling.invite_candidates(
        session=session, actor=actor, interview_id=interview.id,
        candidate_ids=[freja.id, james.id], now=now,
    )  # fmt: skip
    return actor, endpoint, interview, tokens[freja.id], tokens[james.id], now


def test_a_booking_posts_one_signed_interview_booked_event(session, receiver):
    actor, endpoint, interview, token, _, now = world(session, receiver.url)
    slot = interview.slots[0]
    result = booking.book(session=session, token=token, slot_id=slot.id, now=now)
    assert result.ok
    assert deliver(session).delivered == 1
    assert deliver(session).delivered == 0  # nothing is sent twice
    [request] = receiver.received
    assert request.headers["content-type"] == "application/json"
    assert request.headers["planner-event"] == "interview.booked"
    signature = request.headers["planner-signature"]
    assert webhooks.verify(endpoint.secret, request.body, signature, now=int(utcnow().timestamp()))
    assert not webhooks.verify(
        "whsec_other", request.body, signature, now=int(utcnow().timestamp())
    )
    event = json.loads(request.body)
    assert event["type"] == "interview.booked"
    assert event["id"] == request.headers["planner-event-id"]
    assert event["data"]["booking_id"] == result.booking_id
    assert event["data"]["interview_id"] == interview.id
    assert event["data"]["slot_id"] == slot.id
    assert event["data"]["start_at"] == slot.start_at.isoformat().replace("+00:00", "Z")
    # The admin's log shows the attempt.
    [logged] = webhooks.recent_deliveries(session=session, actor=actor)
    assert logged.succeeded and logged.status_code == 204 and logged.event == "interview.booked"
    assert logged.endpoint_url == receiver.url


def test_each_event_comes_from_the_service_that_causes_it(session, receiver):
    actor, _, interview, freja, james, now = world(session, receiver.url)
    first, second = interview.slots
    assert booking.book(session=session, token=freja, slot_id=first.id, now=now).ok
    assert booking.cancel(session=session, token=freja, comment="Found a job", now=now).ok
    assert booking.no_fit(session=session, token=james, comment="Only Fridays", now=now).ok
    assert booking.book(session=session, token=freja, slot_id=second.id, now=now).ok
    scheduling.remove_slot(session=session, actor=actor, slot_id=second.id, now=now)
    scheduling.cancel_interview(session=session, actor=actor, interview_id=interview.id, now=now)
    webhooks.record(
        session=session, account_id=actor.account_id, event="connection.error",
        data={"connection_id": 7, "provider": "google", "error": "token revoked",
              "occurred_at": "2026-11-25T12:00:00Z"},
    )  # fmt: skip
    session.commit()
    assert deliver(session).delivered == 7
    events = receiver.events()
    assert [e["type"] for e in events] == [
        "interview.booked",
        "interview.cancelled",
        "invitation.no_fit",
        "interview.booked",
        "slot.removed",
        "interview.cancelled",
        "connection.error",
    ]
    assert events[1]["data"]["cancelled_by"] == "candidate"
    assert events[2]["data"]["comment"] == "Only Fridays"
    assert events[4]["data"]["slot_id"] == second.id
    assert events[4]["data"]["cancelled_booking_ids"] == [events[3]["data"]["booking_id"]]
    assert events[5]["data"] == {
        "cancelled_by": "staff",
        "interview_id": interview.id,
        "interview_status": "cancelled",
        "job_id": None,
    }
    assert events[6]["data"]["provider"] == "google"
    assert all(e["account_id"] == actor.account_id for e in events)


def test_only_subscribed_endpoints_of_the_same_account_get_an_event(session, receiver):
    other_receiver, server = start_receiver()
    try:
        actor, _, interview, token, _, now = world(
            session, receiver.url, events=["interview.cancelled"]
        )
        other, other_admin = account_with_admin(session, "Other", email="a@other.example")
        webhooks.add_endpoint(
            session=session, actor=actor_for(other_admin, other), url=other_receiver.url,
            events=list(webhooks.EVENTS), now=now,
        )  # fmt: skip
        assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=now).ok
        assert deliver(session).delivered == 0
        assert receiver.received == [] and other_receiver.received == []
    finally:
        server.shutdown()
        server.server_close()


def test_the_same_event_is_recorded_once(session, receiver):
    actor, *_ = world(session, receiver.url)
    data = {"connection_id": 1, "error": "expired", "occurred_at": "2026-11-25T12:00:00Z"}
    kwargs = {"session": session, "account_id": actor.account_id, "event": "connection.error"}
    assert webhooks.record(**kwargs, data=data) == 1
    assert webhooks.record(**kwargs, data=dict(data)) == 0
    session.commit()
    with pytest.raises(ValueError, match="unknown webhook event"):
        webhooks.record(**{**kwargs, "event": "interview.exploded"}, data=data)


def test_failures_are_retried_with_backoff_and_the_same_body(session, receiver):
    actor, endpoint, interview, token, _, now = world(session, receiver.url)
    assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=now).ok
    receiver.replies = [(500, {}), (429, {"Retry-After": "600"})]
    now = utcnow().replace(microsecond=0) + timedelta(seconds=1)
    assert deliver(session, now).retrying == 1
    row = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).one()
    session.refresh(row)
    # random=0: the first retry waits half of the 30 s base step.
    assert row.next_attempt_at == now + timedelta(seconds=15) and row.last_error == "HTTP 500"
    assert deliver(session, now + timedelta(seconds=10)).retrying == 0  # not due yet
    assert deliver(session, now + timedelta(seconds=15)).retrying == 1
    session.refresh(row)
    assert row.next_attempt_at == now + timedelta(seconds=15 + 600)  # Retry-After honoured
    assert deliver(session, now + timedelta(seconds=615)).delivered == 1
    bodies = {r.body for r in receiver.received}
    assert len(receiver.received) == 3 and len(bodies) == 1
    log = webhooks.recent_deliveries(session=session, actor=actor)
    assert [(d.attempt, d.status_code, d.succeeded) for d in log] == [
        (3, 204, True), (2, 429, False), (1, 500, False),
    ]  # fmt: skip


def test_an_unreachable_url_is_retried_then_given_up(session):
    url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    actor, _, interview, token, _, now = world(session, url)
    assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=now).ok
    assert deliver(session, utcnow() + timedelta(seconds=1)).retrying == 1
    [logged] = webhooks.recent_deliveries(session=session, actor=actor)
    assert logged.status_code is None and logged.error.startswith("no answer")
    row = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).one()
    row.attempts = webhooks.MAX_ATTEMPTS - 1
    session.commit()
    assert deliver(session, now + timedelta(days=1)).given_up == 1
    session.refresh(row)
    assert row.done_at is not None and row.last_error.startswith("gave up")


def test_events_of_a_removed_endpoint_are_dropped(session, receiver):
    actor, endpoint, interview, token, _, now = world(session, receiver.url)
    assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=now).ok
    notifications.render_requested(session=session)  # the booking's webhook row is recorded
    webhooks.remove_endpoint(session=session, actor=actor, endpoint_id=endpoint.id)
    assert deliver(session).given_up == 1
    assert receiver.received == []
    assert session.exec(select(WebhookDelivery)).all() == []


def test_endpoints_are_managed_by_admins_of_their_account(session, receiver):
    actor, endpoint, *_ = world(session, receiver.url)
    [row] = webhooks.list_endpoints(session=session, actor=actor)
    assert row.url == receiver.url and set(row.events) == set(webhooks.EVENTS)
    assert endpoint.secret.startswith("whsec_") and endpoint.secret not in repr(row)
    stored = session.get(WebhookEndpoint, endpoint.id)
    assert endpoint.secret not in stored.encrypted_secret  # encrypted at rest
    for url in ["ftp://example.com/x", "not a url", "http://user:pw@example.com/", ""]:
        with pytest.raises(InvalidInput) as caught:
            webhooks.add_endpoint(session=session, actor=actor, url=url, events=["slot.removed"],
                                  now=utcnow())  # fmt: skip
        assert caught.value.field == "url"
    with pytest.raises(InvalidInput) as caught:
        webhooks.add_endpoint(session=session, actor=actor, url=receiver.url, events=["nope"],
                              now=utcnow())  # fmt: skip
    assert caught.value.field == "events"
    other, other_admin = account_with_admin(session, "Other", email="a@other.example")
    with pytest.raises(NotFound):
        webhooks.remove_endpoint(
            session=session, actor=actor_for(other_admin, other), endpoint_id=endpoint.id
        )


def test_only_admins_manage_endpoints(session, receiver):
    from dataclasses import replace

    from planner.domain.vocabulary import Role

    actor, endpoint, *_ = world(session, receiver.url)
    recruiter = replace(actor, role=Role.RECRUITER)
    with pytest.raises(PermissionDenied):
        webhooks.list_endpoints(session=session, actor=recruiter)
    with pytest.raises(PermissionDenied):
        webhooks.remove_endpoint(session=session, actor=recruiter, endpoint_id=endpoint.id)
