"""The ATS drives Planner through the API: a job, candidates and an interview, invitations
mailed through a real SMTP server, one booking made through the booking service, exactly one
signed interview.booked webhook, and a clear conflict for a second booking of the slot."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from planner.models.base import utcnow
from planner.services import booking, notifications, webhooks
from tests.factories import account_with_admin, actor_for
from tests.integration.test_api import Tenant, api_client
from tests.integration.test_mail_notifications import deliver as deliver_mail
from tests.integration.test_webhooks import allow_local_receivers, start_receiver  # noqa: F401
from tests.integration.test_webhooks import deliver as deliver_webhooks
from tests.smtp_helpers import RecordingHandler, start_server

LINK = re.compile(r"https?://\S+/book/([A-Za-z0-9_\-]+)")


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def test_the_ats_schedules_an_interview_through_the_api(engine, monkeypatch, smtp, receiver):
    handler, port = smtp
    with Session(engine, expire_on_commit=False) as session:
        tenant = Tenant(session, "Acme")
        endpoint = webhooks.add_endpoint(
            session=session, actor=tenant.actor, url=receiver.url,
            events=["interview.booked"], now=utcnow(),
        )  # fmt: skip
        other, other_admin = account_with_admin(session, "Other", email="o@other.example")
        webhooks.add_endpoint(
            session=session, actor=actor_for(other_admin, other), url=receiver.url,
            events=list(webhooks.EVENTS), now=utcnow(),
        )  # fmt: skip
    client: TestClient = api_client(engine, monkeypatch)
    headers = tenant.headers

    job = client.post("/api/v1/jobs", json={"title": "Backend developer", "external_ref": "J-1"},
                      headers=headers)  # fmt: skip
    assert job.status_code == 201, job.text
    people = []
    for name, email in [
        ("Freja Nielsen", "freja@mail.example"),
        ("James Carter", "james@x.example"),
    ]:
        created = client.post(
            "/api/v1/candidates",
            json={"name": name, "email": email, "job_id": job.json()["id"]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        people.append(created.json())
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0, second=0, minute=0)
    interview = client.post(
        "/api/v1/interviews",
        json={
            "title": "Backend interview",
            "duration_minutes": 45,
            "participant_ids": [tenant.admin.id],
            "job_id": job.json()["id"],
            "meeting_kind": "none",
            "slots": [start.astimezone(ZoneInfo("Europe/Copenhagen")).isoformat()],
        },
        headers=headers,
    )
    assert interview.status_code == 201, interview.text
    interview_id = interview.json()["id"]
    slot_id = interview.json()["slots"][0]["id"]

    sent = client.post(
        f"/api/v1/interviews/{interview_id}/invitations",
        json={"candidate_ids": [p["id"] for p in people]},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    assert {row["candidate_id"] for row in sent.json()} == {p["id"] for p in people}
    assert all(row["status"] == "invited" for row in sent.json())

    # The invitations arrive at the SMTP server, each with the candidate's own link.
    with Session(engine, expire_on_commit=False) as session:
        notifications.render_requested(session=session)
        assert deliver_mail(session, port).sent == 2
    tokens = {}
    for received in handler.received:
        text = received.message.get_body(("plain",)).get_content()
        [token] = set(LINK.findall(text))
        tokens[received.rcpt_tos[0]] = token
    assert set(tokens) == {"freja@mail.example", "james@x.example"}

    # Freja books through the booking service the candidate page uses.
    with Session(engine, expire_on_commit=False) as session:
        result = booking.book(
            session=session, token=tokens["freja@mail.example"], slot_id=slot_id, now=utcnow()
        )
    assert result.outcome is booking.Outcome.BOOKED

    # James tries the same slot (through the API's booking endpoint): a clear conflict.
    conflict = client.post(
        "/api/v1/bookings",
        json={"token": tokens["james@x.example"], "slot_id": slot_id},
        headers=headers,
    )
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert conflict.json()["type"].endswith("slot-taken")
    assert "just booked by someone else" in conflict.json()["detail"]

    bookings = client.get(f"/api/v1/interviews/{interview_id}/bookings", headers=headers).json()
    assert [(b["candidate_id"], b["status"]) for b in bookings] == [(people[0]["id"], "active")]

    # The ATS's receiver gets exactly one interview.booked, correctly signed.
    with Session(engine, expire_on_commit=False) as session:
        assert deliver_webhooks(session).delivered == 1
        assert deliver_webhooks(session).delivered == 0
    [request] = receiver.received
    assert webhooks.verify(
        endpoint.secret, request.body, request.headers["planner-signature"],
        now=int(utcnow().timestamp()),
    )  # fmt: skip
    event = request.body.decode()
    assert '"type":"interview.booked"' in event
    assert f'"booking_id":{result.booking_id}' in event
    assert f'"candidate_id":{people[0]["id"]}' in event
