"""Staff changes to a booked interview reach the participants' calendars (issue 11): a change
rewrites each written event (Google PATCH, Graph PATCH, CalDAV PUT of the same UID with a
higher SEQUENCE), a provider fault is retried, and cancelling removes the events. Google and
Microsoft are the fakes in tests/fakes, CalDAV is a real Radicale, Zoom the fake Zoom; the
overview reports each participant's sync and event state.

The online meeting: the mails that should carry its link wait for the organiser's provider
to make it (Google Meet here), go without it after a while, saying it follows, and the link
then comes in its own mail; a new meeting kind for a booked interview replaces the events
in every connected calendar (old ones and their Zoom meeting deleted, new ones with the new
meeting) and the updated invitations carry the new link."""

import email
import secrets
from datetime import UTC, datetime, timedelta
from email import policy

import caldav
import pytest
from icalendar import Calendar
from sqlalchemy import update
from sqlmodel import select

from planner import db
from planner.domain.vocabulary import Role
from planner.integrations.calendar.base import Credentials, OAuthTokens
from planner.integrations.crypto import encrypt_credentials
from planner.jobs import calendar as calendar_job
from planner.models import (
    CalendarConnection,
    Interview,
    Location,
    OutboxMessage,
    ProviderEventLink,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services import booking, notifications, scheduling
from planner.services.interview_overview import interview_overview
from planner.settings import get_settings
from tests.factories import account_with_admin, actor_for, add_candidate
from tests.fakes import Fault
from tests.fakes.google import run_fake_google
from tests.fakes.microsoft import run_fake_microsoft
from tests.fakes.radicale import run_radicale
from tests.fakes.zoom import run_fake_zoom


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
    return book_interview(session, radicale, google, graph, meeting_kind="jitsi")


def book_interview(session, radicale, google, graph, *, meeting_kind: str) -> dict:
    """The `booked` world with the interview's `meeting_kind`; the booking's outbox row is
    expanded (its calendar rows and confirmation recorded), nothing written yet."""
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
              "slots": [now + timedelta(days=2)], "meeting_kind": meeting_kind},
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


@pytest.fixture
def zoom(monkeypatch, worker_env):
    with run_fake_zoom() as fake:
        monkeypatch.setenv("PLANNER_ZOOM_API_BASE", f"{fake.url}/v2")
        monkeypatch.setenv("PLANNER_ZOOM_OAUTH_BASE", fake.url)
        monkeypatch.setenv("PLANNER_ZOOM_CLIENT_ID", fake.issuer.client_id)
        monkeypatch.setenv("PLANNER_ZOOM_CLIENT_SECRET", fake.issuer.client_secret)
        get_settings.cache_clear()
        yield fake
        get_settings.cache_clear()


@pytest.fixture
def booked_meet(session, radicale, google, graph, worker_env):
    """Astrid (Google) organises a Google Meet interview with Hanna (Microsoft), Dag
    (CalDAV) and Per (no calendar); Freja has booked it."""
    return book_interview(session, radicale, google, graph, meeting_kind="meet")


@pytest.fixture
def booked_jitsi(session, radicale, google, graph, worker_env):
    return book_interview(session, radicale, google, graph, meeting_kind="jitsi")


def _due_now(session) -> None:
    """What waits (a create for the organiser's, a mail for the meeting link) is due now."""
    session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.done_at.is_(None))
        .values(next_attempt_at=utcnow())
    )
    session.commit()


async def _write_all(session) -> None:
    """Run the calendar worker until no calendar row is left."""
    for _ in range(6):
        _due_now(session)
        await calendar_job.run_due()
        _fresh(session)
        left = session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.kind == "calendar", OutboxMessage.done_at.is_(None)
            )
        ).all()
        if not left:
            return
    raise AssertionError("calendar rows left undone")


def _render(session) -> None:
    _due_now(session)
    while notifications.render_requested(session=session):
        pass
    _fresh(session)


def _mails(session, template: str) -> dict[str, email.message.EmailMessage]:
    _fresh(session)
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
    return {
        row.payload["to"]: email.message_from_string(row.payload["raw"], policy=policy.default)
        for row in rows
        if row.payload.get("template") == template
    }


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _event(message):
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return next(iter(Calendar.from_ical(part.get_content()).walk("VEVENT")))
    return None


def _current(session) -> dict[int, ProviderEventLink]:
    _fresh(session)
    links = session.exec(
        select(ProviderEventLink).where(ProviderEventLink.replaced_at.is_(None))
    ).all()
    return {link.staff_user_id: link for link in links}


def _waiting(session, name: str) -> list[OutboxMessage]:
    _fresh(session)
    return [
        row
        for row in session.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "notification", OutboxMessage.done_at.is_(None)
            )
        ).all()
        if row.payload.get("name") == name
    ]


async def test_the_confirmation_waits_for_the_meet_link_and_carries_it(session, booked_meet, graph):
    per = booked_meet["people"]["Per"]
    # The booking is recorded; the organiser's provider has not made the meeting yet, so
    # the confirmations wait instead of going without the link.
    _render(session)
    assert _mails(session, "booking_confirmation") == {}
    assert len(_waiting(session, "booking_confirmation")) == 1

    await _write_all(session)
    _render(session)

    organiser_link = _current(session)[booked_meet["admin"].id]
    meet = organiser_link.meeting_url
    assert meet and meet.startswith("https://meet.google.com/")
    mails = _mails(session, "booking_confirmation")
    candidate, per_mail = mails["freja@mail.example"], mails[per.email]
    for message in (candidate, per_mail):
        assert meet in _text(message)
        assert meet in str(_event(message)["LOCATION"]) + str(_event(message).get("URL", ""))
        assert "follows in a separate e-mail" not in _text(message)
    # Every participant's event carries the organiser's Meet link.
    hanna = booked_meet["people"]["Hanna"]
    graph_events = [e for e in graph.state.events.values() if e["_calendar"] == "hanna-cal"]
    assert graph_events and all(meet in str(e) for e in graph_events)
    [dav] = [e.icalendar_component for e in booked_meet["calendar"].events()]
    assert meet in str(dav.get("DESCRIPTION", "")) + str(dav.get("LOCATION", ""))
    assert _current(session)[hanna.id].meeting_url == meet
    assert _waiting(session, "meeting_link") == []


async def test_a_slow_meeting_is_said_to_follow_and_then_comes_in_its_own_mail(
    session, booked_meet, google
):
    per = booked_meet["people"]["Per"]
    # Google fails for a while: the organiser's event (and with it the meeting) waits.
    google.faults.add(Fault(path="/events", status=503, times=1000))
    await calendar_job.run_due()
    [waiting] = _waiting(session, "booking_confirmation")
    # The wait is over (MEETING_LINK_WAIT has passed).
    args = dict(waiting.payload["args"])
    args["wait_until"] = (utcnow() - timedelta(seconds=1)).isoformat()
    waiting.payload = {**waiting.payload, "args": args}
    session.add(waiting)
    session.commit()
    _render(session)

    mails = _mails(session, "booking_confirmation")
    assert set(mails) >= {"freja@mail.example", per.email}
    for message in (mails["freja@mail.example"], mails[per.email]):
        assert "The link to the online meeting follows in a separate e-mail." in _text(message)
        assert "meet.google.com" not in _text(message)
    sequence = int(_event(mails["freja@mail.example"])["SEQUENCE"])
    # The link's own mail waits for the meeting, however long the provider takes.
    [follow_up] = _waiting(session, "meeting_link")
    _render(session)
    assert _mails(session, "meeting_link") == {}

    google.faults.clear()
    await _write_all(session)
    _render(session)

    meet = _current(session)[booked_meet["admin"].id].meeting_url
    assert meet and meet.startswith("https://meet.google.com/")
    mails = _mails(session, "meeting_link")
    assert set(mails) == {"freja@mail.example", per.email}  # synced staff: their calendars
    candidate = mails["freja@mail.example"]
    assert candidate["Subject"].startswith("Meeting link: Backend interview")
    assert meet in _text(candidate)
    event = _event(candidate)
    assert int(event["SEQUENCE"]) == sequence and meet in str(event["LOCATION"])
    assert meet in _text(mails[per.email])
    assert _waiting(session, "meeting_link") == []
    del follow_up


async def test_a_new_meeting_kind_replaces_the_booked_events_and_the_invitations_carry_it(
    session, booked_jitsi, google, graph
):
    world = booked_jitsi
    actor, interview_id = world["actor"], world["interview_id"]
    admin, hanna, dag, per = (
        world["admin"], world["people"]["Hanna"], world["people"]["Dag"], world["people"]["Per"]
    )  # fmt: skip
    await _write_all(session)
    _render(session)
    before = _current(session)
    jitsi = before[admin.id].meeting_url
    assert jitsi and jitsi.startswith("https://meet.jit.si/")
    [old_dav] = [e.icalendar_component for e in world["calendar"].events()]
    confirmation = _event(_mails(session, "booking_confirmation")["freja@mail.example"])

    result = scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"],
        meeting_kind="meet",
    )  # fmt: skip

    assert result.changed == ("meeting_kind",) and result.bookings_updated == 1
    # The updated invitations wait for the new meeting.
    _render(session)
    assert _mails(session, "interview_changed") == {}
    await _write_all(session)
    _render(session)

    after = _current(session)
    assert set(after) == {admin.id, hanna.id, dag.id}
    assert all(link.status == "created" for link in after.values())
    meet = after[admin.id].meeting_url
    assert meet and meet.startswith("https://meet.google.com/") and meet != jitsi
    assert all(link.meeting_url == meet for link in after.values())
    # The old events are gone (Google cancelled, Graph and CalDAV deleted), new ones made.
    _fresh(session)
    replaced = session.exec(
        select(ProviderEventLink).where(ProviderEventLink.replaced_at.is_not(None))
    ).all()
    assert {link.staff_user_id for link in replaced} == {admin.id, hanna.id, dag.id}
    assert {link.status for link in replaced} == {"deleted"}
    assert _google_event(google, before[admin.id])["status"] == "cancelled"
    new_google = _google_event(google, after[admin.id])
    assert new_google["status"] == "confirmed" and "conferenceData" in new_google
    assert "conferenceData" not in _google_event(google, before[admin.id])
    hanna_events = [e for e in graph.state.events.values() if e["_calendar"] == "hanna-cal"]
    assert [e["id"] for e in hanna_events] == [after[hanna.id].external_event_id]
    assert meet in str(hanna_events[0])
    [dav] = [e.icalendar_component for e in world["calendar"].events()]
    assert str(dav["UID"]) != str(old_dav["UID"]) and jitsi not in str(dav)
    assert meet in str(dav.get("DESCRIPTION", "")) + str(dav.get("LOCATION", ""))
    # The candidate and Per (not synced) get the update: same UID, higher SEQUENCE, Meet.
    mails = _mails(session, "interview_changed")
    assert set(mails) == {"freja@mail.example", per.email}
    event = _event(mails["freja@mail.example"])
    assert str(event["UID"]) == str(confirmation["UID"])
    assert int(event["SEQUENCE"]) > int(confirmation["SEQUENCE"])
    assert meet in str(event["LOCATION"]) and meet in _text(mails["freja@mail.example"])
    assert jitsi not in _text(mails["freja@mail.example"])
    assert meet in _text(mails[per.email])
    overview = interview_overview(session=session, actor=actor, interview_id=interview_id)
    assert overview.meeting_kind == "meet" and overview.meeting_url == meet
    assert {p.event_state for p in overview.participants if p.name != "Per"} == {"created"}

    # A place instead: the Meet events go, new ones carry the address and no meeting.
    lab = Location(account_id=world["account"].id, name="Lab", address="Havnegade 1")
    session.add(lab)
    session.commit()
    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"],
        location_id=lab.id,
    )  # fmt: skip
    await _write_all(session)
    _render(session)
    latest = _current(session)
    assert {link.status for link in latest.values()} == {"created"}
    assert all(link.meeting_url is None for link in latest.values())
    assert _google_event(google, after[admin.id])["status"] == "cancelled"
    assert "conferenceData" not in _google_event(google, latest[admin.id])
    [dav] = [e.icalendar_component for e in world["calendar"].events()]
    assert "Havnegade 1" in str(dav.get("LOCATION", "")) and meet not in str(dav)
    changed = [m for m in _fresh_mails(session) if m.payload.get("template") == "interview_changed"]
    assert len(changed) == 4  # two changes, each to Freja and Per
    newest = max(
        (m for m in changed if m.payload["to"] == "freja@mail.example"), key=lambda m: m.id
    )
    text = _text(email.message_from_string(newest.payload["raw"], policy=policy.default))
    assert "Havnegade 1" in text and meet not in text


def _fresh_mails(session) -> list[OutboxMessage]:
    _fresh(session)
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all())


async def test_a_zoom_meeting_is_made_for_a_new_kind_and_deleted_when_it_is_replaced(
    session, booked_jitsi, zoom, google
):
    world = booked_jitsi
    actor, interview_id, admin = world["actor"], world["interview_id"], world["admin"]
    _connect(session, admin, "zoom", "", _oauth(zoom.issuer))
    await _write_all(session)
    _render(session)

    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"],
        meeting_kind="zoom",
    )  # fmt: skip
    await _write_all(session)
    _render(session)

    [meeting] = zoom.state.meetings.values()
    join = _current(session)[admin.id].meeting_url
    assert join == meeting["join_url"]
    assert all(link.meeting_url == join for link in _current(session).values())
    freja = _mails(session, "interview_changed")["freja@mail.example"]
    assert join in _text(freja) and "start_url" not in freja.as_string()

    # A new title renames the Zoom meeting with the organiser's event.
    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"],
        title="Backend interview, final round",
    )  # fmt: skip
    await _write_all(session)
    assert meeting["topic"].startswith("Backend interview, final round")
    # A connection granted before Planner asked for meeting:update:meeting: Zoom refuses
    # (code 4711); the calendars still change, the meeting keeps its topic and link.
    zoom.faults.add(Fault(path="/v2/meetings/", status=400, times=1,
                          body={"code": 4711, "message": "Invalid access token, does not "
                                "contain scopes:[meeting:update:meeting]."}))  # fmt: skip
    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"],
        title="Backend interview, last round",
    )  # fmt: skip
    await _write_all(session)
    assert meeting["topic"].startswith("Backend interview, final round")
    assert _google_event(google, _current(session)[admin.id])["summary"].startswith(
        "Backend interview, last round"
    )
    _fresh(session)
    assert all(
        row.last_error is None
        for row in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "calendar"))
    )

    # Back to Jitsi: the Zoom meeting is deleted with the organiser's old event.
    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"],
        meeting_kind="jitsi",
    )  # fmt: skip
    await _write_all(session)
    assert zoom.state.meetings == {}
    jitsi = _current(session)[admin.id].meeting_url
    assert jitsi.startswith("https://meet.jit.si/")
    _fresh(session)
    assert (
        session.exec(select(CalendarConnection).where(CalendarConnection.provider == "zoom"))
        .one()
        .status
        == "synced"
    )


async def test_a_meeting_that_never_comes_is_shown_to_admins_not_left_waiting(
    session, booked_meet, google
):
    from planner.services.mail_log import undelivered_mail

    # Google refuses the organiser's event for good: no meeting will be made.
    google.faults.add(Fault(path="/events", status=400, times=1000))
    [waiting] = _waiting(session, "booking_confirmation")
    args = {**waiting.payload["args"], "wait_until": (utcnow() - timedelta(seconds=1)).isoformat()}
    waiting.payload = {**waiting.payload, "args": args}
    session.add(waiting)
    session.commit()
    _render(session)  # the organiser's event is still pending: the link is said to follow
    assert len(_waiting(session, "meeting_link")) == 1

    await _write_all(session)
    _render(session)

    assert _current(session)[booked_meet["admin"].id].status == "failed"
    assert _waiting(session, "meeting_link") == [] and _mails(session, "meeting_link") == {}
    [shown] = undelivered_mail(session=session, actor=booked_meet["actor"])
    assert shown.template == "meeting_link" and "no meeting link came" in shown.reason


async def test_changes_in_quick_succession_send_one_updated_invitation(session, booked_jitsi):
    """Jitsi, then a place, then Jitsi again, before the worker caught up: the candidate and
    Per (not synced) get one "changed" mail each, the latest (the new room, the highest
    SEQUENCE), not one per change all showing the same interview under older SEQUENCEs."""
    world = booked_jitsi
    actor, interview_id, per = world["actor"], world["interview_id"], world["people"]["Per"]
    await _write_all(session)
    _render(session)
    lab = Location(account_id=world["account"].id, name="Lab", address="Havnegade 1")
    session.add(lab)
    session.commit()
    for change in ({"location_id": lab.id}, {"meeting_kind": "jitsi"}):
        scheduling.update_interview(
            session=session, actor=actor, interview_id=interview_id, now=world["now"], **change
        )
    await _write_all(session)
    _render(session)

    jitsi = _current(session)[world["admin"].id].meeting_url
    assert jitsi and jitsi.startswith("https://meet.jit.si/")
    changed = [m for m in _fresh_mails(session) if m.payload.get("template") == "interview_changed"]
    assert sorted(m.payload["to"] for m in changed) == sorted(["freja@mail.example", per.email])
    interview = session.get(Interview, interview_id)
    for row in changed:
        message = email.message_from_string(row.payload["raw"], policy=policy.default)
        assert jitsi in _text(message) and "Havnegade" not in _text(message)
        assert int(_event(message)["SEQUENCE"]) == interview.ics_sequence
    [dav] = [e.icalendar_component for e in world["calendar"].events()]
    assert jitsi in str(dav.get("LOCATION", ""))


async def test_a_meeting_link_still_awaited_when_the_meeting_changes_is_not_sent(
    session, booked_meet, google
):
    """The confirmation said the Meet link follows; before Google made the meeting the
    interview moved to Jitsi: the "changed" mail brings the Jitsi room, and no "Meeting
    link" mail follows with it again under the older SEQUENCE."""
    world = booked_meet
    google.faults.add(Fault(path="/events", status=503, times=1000))
    await calendar_job.run_due()
    [waiting] = _waiting(session, "booking_confirmation")
    args = {**waiting.payload["args"], "wait_until": (utcnow() - timedelta(seconds=1)).isoformat()}
    waiting.payload = {**waiting.payload, "args": args}
    session.add(waiting)
    session.commit()
    _render(session)
    assert len(_waiting(session, "meeting_link")) == 1

    scheduling.update_interview(
        session=session, actor=world["actor"], interview_id=world["interview_id"],
        now=world["now"], meeting_kind="jitsi",
    )  # fmt: skip
    _render(session)

    jitsi = _current(session)[world["admin"].id].meeting_url
    changed = _mails(session, "interview_changed")
    assert set(changed) == {"freja@mail.example", world["people"]["Per"].email}
    assert jitsi in _text(changed["freja@mail.example"])
    assert _mails(session, "meeting_link") == {}
    assert _waiting(session, "meeting_link") == []


def test_each_booked_time_shows_its_own_meeting_link(session, booked_jitsi):
    """Each booking has its own meeting (here a Jitsi room each): the overview gives every
    booked time its booking's link, and the dialog shows the one of the time clicked; it
    showed the first booking's link for every time."""
    world = booked_jitsi
    actor, interview_id, now = world["actor"], world["interview_id"], world["now"]
    later = now + timedelta(days=3)
    scheduling.add_slots(
        session=session, actor=actor, interview_id=interview_id, starts=[later], now=now
    )
    elin = add_candidate(session, world["account"], "Elin Johansson")
    tokens = scheduling.invite_candidates(
        session=session, actor=actor, interview_id=interview_id, candidate_ids=[elin.id], now=now
    )
    _fresh(session)
    view = interview_overview(session=session, actor=actor, interview_id=interview_id)
    assert booking.book(
        session=session, token=tokens[elin.id], slot_id=view.slots[1].slot_id, now=now
    ).ok
    notifications.render_requested(session=session)  # the booking's calendar rows

    _fresh(session)
    view = interview_overview(session=session, actor=actor, interview_id=interview_id)
    rooms = {}
    for link in session.exec(select(ProviderEventLink)).all():
        rooms.setdefault(link.booking_id, set()).add(link.meeting_url)
    assert sorted(len(urls) for urls in rooms.values()) == [1, 1]  # one room per booking
    first, second = view.slots
    assert {first.meeting_url} == rooms[min(rooms)] and {second.meeting_url} == rooms[max(rooms)]
    assert first.meeting_url != second.meeting_url
    assert view.meeting_url == first.meeting_url


async def test_a_zoom_meeting_whose_event_was_never_written_is_deleted_with_the_booking(
    session, booked_jitsi, zoom, google
):
    world = booked_jitsi
    actor, interview_id, admin = world["actor"], world["interview_id"], world["admin"]
    _connect(session, admin, "zoom", "", _oauth(zoom.issuer))
    await _write_all(session)
    # Zoom makes the meeting, then Google refuses the organiser's new event for good.
    google.faults.add(Fault(path="/events", status=400, times=1000))
    scheduling.update_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"],
        meeting_kind="zoom",
    )  # fmt: skip
    await _write_all(session)
    failed = _current(session)[admin.id]
    assert failed.status == "failed"
    assert len(zoom.state.meetings) == 1

    google.faults.clear()
    scheduling.cancel_interview(
        session=session, actor=actor, interview_id=interview_id, now=world["now"]
    )
    await _write_all(session)

    assert zoom.state.meetings == {}
    _fresh(session)
    [delete] = session.exec(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"calendar:delete:{failed.id}")
    ).all()
    assert delete.done_at is not None and delete.last_error is None
