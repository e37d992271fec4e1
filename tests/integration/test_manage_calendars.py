"""Staff changes to a booked interview reach the participants' calendars (issue 11): a change
rewrites each written event (Google PATCH, Graph PATCH, CalDAV PUT of the same UID with a
higher SEQUENCE), a provider fault is retried, and cancelling removes the events. Google and
Microsoft are the fakes in tests/fakes, CalDAV is a real Radicale; the overview reports each
participant's sync and event state."""

import secrets
from datetime import UTC, datetime, timedelta

import caldav
import pytest
from sqlalchemy import update
from sqlmodel import select

from planner import db
from planner.domain.vocabulary import Role
from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.crypto import encrypt_credentials
from planner.jobs import calendar as calendar_job
from planner.models import CalendarConnection, OutboxMessage, ProviderEventLink, StaffUser
from planner.models.base import utcnow
from planner.services import booking, notifications, scheduling
from planner.services.interview_overview import interview_overview
from planner.settings import get_settings
from tests.factories import account_with_admin, actor_for, add_candidate
from tests.fakes import Fault
from tests.fakes.google import run_fake_google
from tests.fakes.microsoft import run_fake_microsoft
from tests.fakes.radicale import run_radicale


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    with run_radicale(tmp_path_factory.mktemp("radicale-manage")) as server:
        yield server


@pytest.fixture
def google():
    with run_fake_google() as fake:
        yield fake


@pytest.fixture
def graph():
    with run_fake_microsoft() as fake:
        yield fake


@pytest.fixture
def worker_env(migrated_url, monkeypatch, google, graph):
    """The jobs open their own sessions and read settings: point them at the test database
    and the fakes."""
    monkeypatch.setenv("PLANNER_DATABASE_URL", migrated_url)
    for name, value in google.settings_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLANNER_MICROSOFT_GRAPH_BASE", f"{graph.url}/v1.0")
    monkeypatch.setenv("PLANNER_MICROSOFT_LOGIN_BASE", graph.url)
    monkeypatch.setenv("PLANNER_MICROSOFT_CLIENT_ID", graph.issuer.client_id)
    monkeypatch.setenv("PLANNER_MICROSOFT_CLIENT_SECRET", graph.issuer.client_secret)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    get_settings.cache_clear()


def _oauth(issuer) -> Credentials:
    issued = issuer.issue()
    return Credentials(
        tokens=OAuthTokens(
            issued["access_token"],
            issued["refresh_token"],
            datetime.now(UTC) + timedelta(hours=1),
        )
    )


def _connect(session, user, provider, calendar_id, credentials, server_url=""):
    session.add(
        CalendarConnection(
            account_id=user.account_id,
            staff_user_id=user.id,
            provider=provider,
            server_url=server_url,
            calendar_id=calendar_id,
            encrypted_credentials=encrypt_credentials(credentials, get_settings()),
        )
    )
    session.commit()


def _fresh(session):
    session.rollback()  # the worker wrote in its own transactions
    session.expire_all()


def _links(session) -> dict[int, ProviderEventLink]:
    _fresh(session)
    return {link.staff_user_id: link for link in session.exec(select(ProviderEventLink)).all()}


def _states(session, actor, interview_id) -> dict[str, tuple[str, str]]:
    _fresh(session)
    view = interview_overview(session=session, actor=actor, interview_id=interview_id)
    return {p.name: (p.sync_state, p.event_state) for p in view.participants}


@pytest.fixture
def booked(session, radicale, google, graph, worker_env):
    """A Jitsi interview organised by Astrid (Google) with Hanna (Microsoft), Dag (CalDAV
    on Radicale) and Per (no calendar); Freja has booked it."""
    suffix = secrets.token_hex(4)
    account, admin = account_with_admin(session, "Acme", email=f"astrid{suffix}@acme.example")
    admin.name = "Astrid"
    people = {}
    for name, role in (("Hanna", Role.HIRING_MANAGER), ("Dag", Role.RECRUITER),
                       ("Per", Role.RECRUITER)):  # fmt: skip
        people[name] = StaffUser(
            account_id=account.id,
            name=name,
            email=f"{name.lower()}{suffix}@acme.example",
            role=role.value,
        )
        session.add(people[name])
    session.commit()
    google.state.add_calendar(admin.email, "Astrid", primary=True)
    _connect(session, admin, "google", admin.email, _oauth(google.issuer))
    graph.state.add_calendar("hanna-cal", "Calendar", default=True)
    _connect(session, people["Hanna"], "microsoft", "hanna-cal", _oauth(graph.issuer))
    dag = people["Dag"]
    dav_user = dag.email.split("@")[0]
    client = caldav.DAVClient(url=radicale.url, username=dav_user, password="x")
    dav_calendar = client.principal().make_calendar(name=dav_user, cal_id=dav_user)
    _connect(session, dag, "caldav", str(dav_calendar.url),
             Credentials(username=dav_user, password="x"), server_url=radicale.url)  # fmt: skip
    actor = actor_for(admin, account)
    now = utcnow().replace(microsecond=0)
    interview = scheduling.create_interview(
        session=session, actor=actor, now=now,
        data={"title": "Backend interview", "duration_minutes": 60,
              "participant_ids": [p.id for p in people.values()],
              "slots": [now + timedelta(days=2)], "meeting_kind": "jitsi"},
    )  # fmt: skip
    freja = add_candidate(session, account, "Freja Nielsen")
    tokens = scheduling.invite_candidates(
        session=session, actor=actor, interview_id=interview.id, candidate_ids=[freja.id],
        now=now,
    )  # fmt: skip
    assert booking.book(
        session=session, token=tokens[freja.id], slot_id=interview.slots[0].id, now=now
    ).ok
    notifications.render_requested(session=session)  # the booking's calendar rows
    return {
        "actor": actor, "interview_id": interview.id, "now": now, "admin": admin,
        "people": people, "calendar": dav_calendar, "account": account,
    }  # fmt: skip


def _google_event(google, link):
    return google.state.events[next(iter(google.state.events))][link.external_event_id]


async def test_changes_and_cancelling_reach_every_connected_calendar(session, booked, google,
                                                                     graph):  # fmt: skip
    actor, interview_id = booked["actor"], booked["interview_id"]
    hanna, dag = booked["people"]["Hanna"], booked["people"]["Dag"]
    admin = booked["admin"]

    # Recorded, not yet written: pending for the synced, nothing to write for Per.
    assert _states(session, actor, interview_id) == {
        "Astrid": ("synced", "pending"), "Hanna": ("synced", "pending"),
        "Dag": ("synced", "pending"), "Per": ("not_connected", "not_synced"),
    }  # fmt: skip
    assert await calendar_job.run_due() == {"done": 3, "retry": 0, "given_up": 0}
    assert {v[1] for k, v in _states(session, actor, interview_id).items() if k != "Per"} == {
        "created"
    }
    links = _links(session)
    [before] = [e.icalendar_component for e in booked["calendar"].events()]
    # Meanwhile Astrid answered the invitation in Google (the etag moved on), and Graph
    # will fail for a while.
    google_event = _google_event(google, links[admin.id])
    google_event["etag"] = '"answered"'
    graph.faults.add(Fault(path=links[hanna.id].external_event_id, status=503, times=50))

    result = scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=booked["now"],
        title="Backend interview, round 2",
    )  # fmt: skip

    assert result.changed == ("title",) and result.bookings_updated == 1
    # Mails only where no calendar is updated for them: Per (iMIP REQUEST) and the candidate.
    notifications.render_requested(session=session)
    _fresh(session)
    changed_mails = [
        row.payload for row in session.exec(select(OutboxMessage)).all()
        if row.kind == "mail" and row.payload.get("template") == "interview_changed"
    ]  # fmt: skip
    per = booked["people"]["Per"]
    assert sorted(m["to"] for m in changed_mails) == sorted([per.email, "freja@mail.example"])
    assert {m["method"] for m in changed_mails} == {"REQUEST"}
    _fresh(session)
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "calendar")).all()
    assert sorted(r.payload["action"] for r in rows if r.done_at is None) == ["update"] * 3
    assert await calendar_job.run_due() == {"done": 2, "retry": 1, "given_up": 0}
    # Google: PATCHed (staff's change wins over the moved etag), title and Jitsi link kept.
    google_event = _google_event(google, links[admin.id])
    assert google_event["summary"].startswith("Backend interview, round 2")
    assert links[admin.id].meeting_url in google_event.get("location", "") + google_event.get(
        "description", ""
    )
    # CalDAV: the same UID, a higher SEQUENCE.
    [after] = [e.icalendar_component for e in booked["calendar"].events()]
    assert str(after["UID"]) == str(before["UID"]) == links[dag.id].event_key
    assert int(after.get("SEQUENCE", 0)) > int(before.get("SEQUENCE", 0))
    assert str(after["SUMMARY"]).startswith("Backend interview, round 2")
    # Graph came back: the retried row updates Hanna's event.
    graph.faults.clear()
    session.exec(update(OutboxMessage).where(OutboxMessage.done_at.is_(None))
                 .values(next_attempt_at=utcnow()))  # fmt: skip
    session.commit()
    assert await calendar_job.run_due() == {"done": 1, "retry": 0, "given_up": 0}
    [hanna_event] = [e for e in graph.state.events.values() if e["_calendar"] == "hanna-cal"]
    assert hanna_event["subject"].startswith("Backend interview, round 2")
    assert ("PATCH", f"/v1.0/me/events/{links[hanna.id].external_event_id}") in (
        graph.faults.requests
    )

    # Cancelling removes every event.
    cancelled = scheduling.cancel_interview(
        session=session, actor=actor, interview_id=interview_id, now=booked["now"]
    )
    assert (cancelled.bookings_cancelled, cancelled.candidates_told) == (1, 1)
    assert await calendar_job.run_due() == {"done": 3, "retry": 0, "given_up": 0}
    assert booked["calendar"].events() == []
    assert [e for e in graph.state.events.values() if e["_calendar"] == "hanna-cal"] == []
    assert _google_event(google, links[admin.id])["status"] == "cancelled"
    assert {link.status for link in _links(session).values()} == {"deleted"}
    assert set(_states(session, actor, interview_id).values()) == {
        ("synced", "none"), ("not_connected", "none"),
    }  # fmt: skip


async def test_meeting_link_for_staff_and_host_link_for_the_organiser_only(session, booked):
    actor, interview_id = booked["actor"], booked["interview_id"]
    await calendar_job.run_due()
    _fresh(session)
    view = interview_overview(session=session, actor=actor, interview_id=interview_id)
    assert view.meeting_url.startswith("https://meet.jit.si/Planner-")
    assert view.host_url == view.meeting_url
    hanna = booked["people"]["Hanna"]
    as_hanna = interview_overview(
        session=session, actor=actor_for(hanna, booked["account"]), interview_id=interview_id
    )
    assert as_hanna.meeting_url == view.meeting_url and as_hanna.host_url == ""
    # A calendar write that was given up shows as failed.
    session.exec(
        update(ProviderEventLink)
        .where(ProviderEventLink.staff_user_id == hanna.id)
        .values(status="failed")
    )
    session.commit()
    assert _states(session, actor, interview_id)["Hanna"] == ("synced", "failed")
    # So does a connection in error.
    session.exec(
        update(CalendarConnection)
        .where(CalendarConnection.staff_user_id == hanna.id)
        .values(status="reconnect_needed")
    )
    session.commit()
    assert _states(session, actor, interview_id)["Hanna"] == ("error", "failed")


async def test_a_change_before_the_events_were_written_waits_for_them(session, booked, google):
    actor, interview_id = booked["actor"], booked["interview_id"]
    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=booked["now"],
        title="Renamed early",
    )  # fmt: skip

    first = await calendar_job.run_due()

    # The updates were claimed beside their creates: they wait, and run after them.
    assert first == {"done": 3, "retry": 3, "given_up": 0}
    session.exec(update(OutboxMessage).where(OutboxMessage.done_at.is_(None))
                 .values(next_attempt_at=utcnow()))  # fmt: skip
    session.commit()
    await calendar_job.run_due()
    _fresh(session)
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "calendar")).all()
    assert len(rows) == 6 and all(r.done_at and r.last_error is None for r in rows)
    links = _links(session)
    assert {link.status for link in links.values()} == {"created"}
    assert _google_event(google, links[booked["admin"].id])["summary"].startswith("Renamed early")
    [event] = [e.icalendar_component for e in booked["calendar"].events()]
    assert str(event["SUMMARY"]).startswith("Renamed early")
