"""The candidate's booking page over HTTP (Starlette test client) on SQLite and PostgreSQL:
every view in the first response, forms that redirect with their outcome, the language and
zone remembered for the link, links valid until the last offered time, the .ics download."""

import re
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from planner.api.app import build_api
from planner.domain.vocabulary import Role
from planner.models import (
    Candidate,
    CandidateComment,
    CandidateInvitation,
    Interview,
    Job,
    OutboxMessage,
    ProviderEventLink,
    StaffUser,
)
from planner.services import booking, notifications, scheduling
from tests.factories import NOW, account_with_admin, actor_for, add_candidate

ORIGIN = "http://planner.test"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("planner.api.booking_routes.utcnow", clock)
    return clock


@pytest.fixture
def client(engine, monkeypatch, clock):
    monkeypatch.setattr("planner.api.booking_routes.session_scope", lambda: Session(engine))
    return TestClient(build_api(), base_url=ORIGIN, follow_redirects=False)


@pytest.fixture
def world(session):
    account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    manager = StaffUser(
        account_id=account.id, name="Hanna Manager", email="hanna@alpha.example",
        role=Role.HIRING_MANAGER.value,
    )  # fmt: skip
    job = Job(account_id=account.id, title="Backend Engineer")
    session.add_all([manager, job])
    session.commit()
    james = add_candidate(session, account, "James Carter")
    james.locale, james.time_zone = "en", "America/New_York"
    freja = add_candidate(session, account, "Freja Nielsen")
    freja.locale, freja.time_zone = "da", "Europe/Copenhagen"
    session.commit()
    return {"actor": actor_for(admin, account), "manager": manager, "job": job,
            "james": james, "freja": freja}  # fmt: skip


def _invite(session, world, *, slots, people=("james",), meeting_kind=None):
    data = {"title": "Tech talk", "duration_minutes": 60, "job_id": world["job"].id,
            "participant_ids": [world["manager"].id], "slots": list(slots)}  # fmt: skip
    interview = scheduling.create_interview(
        session=session, actor=world["actor"], data=data, now=NOW
    )
    if meeting_kind:
        session.get(Interview, interview.id).meeting_kind = meeting_kind
        session.commit()
    tokens = scheduling.invite_candidates(
        session=session, actor=world["actor"], interview_id=interview.id,
        candidate_ids=[world[p].id for p in people], now=NOW,
    )  # fmt: skip
    return interview, [tokens[world[p].id] for p in people]


def _post(client, path, data, **headers):
    return client.post(path, data=data, headers={"origin": ORIGIN, **headers})


def _follow(client, response):
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"])


def _slot_ids(html: str) -> list[str]:
    return re.findall(r'name="slot" value="(\d+)"', html)


def _heading(html: str) -> str:
    return re.search(r'id="view-heading"[^>]*>([^<]*)<', html).group(1)


def test_first_response_has_the_interview_and_every_offered_time(client, session, world):
    slots = [NOW + timedelta(days=3, hours=h) for h in (2, 4)]
    _interview, (token,) = _invite(session, world, slots=slots)
    page = client.get(f"/book/{token}")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html
    assert "<title>Choose a time for your interview – Tech talk</title>" in html
    assert "<h1>Tech talk</h1>" in html and "Backend Engineer" in html
    assert "Times are shown in Eastern Time (New York)." in html
    assert len(_slot_ids(html)) == 2
    # Each time is named with its day (two days' 9:00 must differ for a screen reader).
    assert re.search(r'aria-label="Saturday, November 28, 2026, 9:00\s*–\s*10:00\sAM"', html)
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"


def test_book_then_confirmation_with_calendar_links_and_ics_download(client, session, world):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=3)])
    (slot_id,) = _slot_ids(client.get(f"/book/{token}").text)
    booked = _follow(client, _post(client, f"/book/{token}/book", {"slot": slot_id}))
    assert _heading(booked.text) == "Your interview is booked"
    assert 'class="notice success" role="status">Your interview is booked.' in booked.text
    assert f'href="/book/{token}/interview.ics" download="interview.ics"' in booked.text
    assert "calendar.google.com" in booked.text and "outlook.office.com" in booked.text
    assert "<a" not in re.sub(r"<a [^>]*>[^<]*(<span[^>]*>[^<]*</span>)?</a>", "", booked.text)
    ics = client.get(f"/book/{token}/interview.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.headers["content-disposition"] == 'attachment; filename="interview.ics"'
    assert b"BEGIN:VEVENT" in ics.content


def _server_timing(response) -> dict[str, float]:
    parts = [part.strip().split(";dur=") for part in response.headers["server-timing"].split(",")]
    return {name: float(value) for name, value in parts}


def test_page_and_booking_say_where_their_server_time_went(client, session, world):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=3)])
    page = client.get(f"/book/{token}")
    (slot_id,) = _slot_ids(page.text)
    booked = _post(client, f"/book/{token}/book", {"slot": slot_id})
    for response in (page, booked):
        timing = _server_timing(response)
        assert set(timing) == {"wait", "db", "total"}
        assert 0 <= timing["wait"] and 0 < timing["db"] <= timing["total"]


async def test_a_booking_never_queues_behind_page_views():
    """Page views queue for a few threads of their own; a candidate's action has its own
    lane, so it runs while every page thread is busy."""
    import threading

    import anyio

    from planner.api import booking_routes

    release = threading.Event()
    busy = booking_routes.PAGE_THREADS.total_tokens
    async with anyio.create_task_group() as group:
        for _ in range(busy + 2):  # every page thread busy, and more page views waiting
            group.start_soon(booking_routes.in_thread, release.wait, booking_routes.PAGE_THREADS)
        await anyio.sleep(0.2)
        assert booking_routes.PAGE_THREADS.borrowed_tokens == busy
        with anyio.fail_after(5):
            answer = await booking_routes.in_thread(lambda: "booked", booking_routes.ACTION_THREADS)
        assert answer == "booked"
        release.set()


def test_double_submit_and_a_stale_second_tab_book_once_and_say_so(client, session, world):
    _interview, (token,) = _invite(
        session, world, slots=[NOW + timedelta(days=3), NOW + timedelta(days=4)]
    )
    first, second = _slot_ids(client.get(f"/book/{token}").text)
    _post(client, f"/book/{token}/book", {"slot": first})
    again = _post(client, f"/book/{token}/book", {"slot": first})
    assert again.headers["location"].endswith("?done=booked")  # the same time: done once
    stale = _follow(client, _post(client, f"/book/{token}/book", {"slot": second}))
    assert _heading(stale.text) == "Your interview is booked"
    assert "You have already booked this interview" in stale.text
    assert "no longer available" not in stale.text
    assert len(session.exec(select(CandidateComment)).all()) == 0


def test_the_second_candidate_is_told_the_time_was_taken(client, session, world):
    _interview, (james, freja) = _invite(
        session, world, slots=[NOW + timedelta(days=3)], people=("james", "freja")
    )
    (slot_id,) = _slot_ids(client.get(f"/book/{james}").text)
    _post(client, f"/book/{james}/book", {"slot": slot_id})
    taken = _follow(client, _post(client, f"/book/{freja}/book", {"slot": slot_id}))
    assert 'role="alert">Den tid er lige blevet taget' in taken.text or "taget" in taken.text
    assert _heading(taken.text) == "Der er ingen tidspunkter tilbage"


def test_cancel_needs_a_comment_then_frees_the_time(client, session, world):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=3)])
    (slot_id,) = _slot_ids(client.get(f"/book/{token}").text)
    _post(client, f"/book/{token}/book", {"slot": slot_id})
    form = client.get(f"/book/{token}?view=cancel")
    assert _heading(form.text) == "Cancel the interview"
    empty = _post(client, f"/book/{token}/cancel", {"comment": "  "})
    assert empty.status_code == 422  # shown at once, with what was written
    assert 'aria-invalid="true"' in empty.text and "Please write a few words." in empty.text
    long = _post(client, f"/book/{token}/cancel", {"comment": "ä<b>" * 30_000})
    assert long.status_code == 422
    assert "Your comment is too long (120,000 characters)" in long.text
    assert "ä&lt;b&gt;" * 100 in long.text  # kept in the box, escaped
    done = _follow(client, _post(client, f"/book/{token}/cancel", {"comment": "New job"}))
    assert "Your interview is cancelled. You can choose another time below." in done.text
    assert _slot_ids(done.text) == [slot_id]
    again = _follow(client, _post(client, f"/book/{token}/cancel", {"comment": "New job"}))
    assert "This interview was already cancelled." in again.text


def test_no_fit_comment_is_kept_once_and_thanked(client, session, world):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=3)])
    for _ in range(2):
        sent = _follow(client, _post(client, f"/book/{token}/no-fit", {"comment": "Next week"}))
    assert _heading(sent.text) == "Thank you for your comment"
    assert len(session.exec(select(CandidateComment)).all()) == 1


def test_no_time_left_says_so_and_offers_the_comment_form(client, session, world, clock):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(hours=2)])
    clock.now = NOW + timedelta(hours=3)
    page = client.get(f"/book/{token}")
    assert _heading(page.text) == "No times are left"
    assert "Choose a time for your interview</h2>" not in page.text
    assert f'action="/book/{token}/no-fit"' in page.text


def test_language_and_zone_are_remembered_for_the_link_and_used_by_its_mails(
    client, session, world
):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=3)])
    swedish = _follow(client, _post(client, f"/book/{token}/prefs", {"lang": "sv"}))
    assert '<html lang="sv">' in swedish.text
    assert "<title>Välj en tid för din intervju – Tech talk</title>" in swedish.text
    zoned = _follow(client, _post(client, f"/book/{token}/prefs", {"zone_query": "helsinki"}))
    assert "(Helsingfors)" in zoned.text and 'id="zone-offer"' not in zoned.text
    invitation = session.exec(select(CandidateInvitation)).one()
    session.refresh(invitation)
    assert (invitation.locale, invitation.time_zone) == ("sv", "Europe/Helsinki")
    james = session.get(Candidate, world["james"].id)
    assert (james.locale, james.time_zone) == ("en", "America/New_York")  # unchanged

    (slot_id,) = _slot_ids(zoned.text)
    _post(client, f"/book/{token}/book", {"slot": slot_id})
    notifications.render_requested(session=session)
    (to_james,) = [
        row
        for row in session.exec(select(OutboxMessage)).all()
        if row.payload.get("to") == james.email and row.payload.get("method") == "REQUEST"
    ]
    message = message_from_bytes(to_james.payload["raw"].encode(), policy=default)
    assert message["Content-Language"] == "sv"
    assert "östeuropeisk" in message.get_body(("plain",)).get_content().lower()


def test_zone_search_lists_matches_and_says_when_none_fits(client, session, world):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=3)])
    many = _follow(client, _post(client, f"/book/{token}/prefs", {"zone_query": "america"}))
    assert _heading(many.text) == "Choose your time zone"
    assert 'value="America/New_York"' in many.text
    none = _follow(client, _post(client, f"/book/{token}/prefs", {"zone_query": "Atlantis"}))
    assert "No time zone matches that." in none.text
    bad = _post(client, f"/book/{token}/prefs", {"zone": "Mars/Olympus"})
    assert "zone_unknown" in bad.headers["location"]


def test_the_link_works_until_the_last_offered_time_has_passed(client, session, world, clock):
    late = NOW + timedelta(days=27)
    _interview, (token,) = _invite(session, world, slots=[late])
    invitation = session.exec(select(CandidateInvitation)).one()
    assert invitation.expires_at < late  # sent with the usual 14 days
    clock.now = NOW + timedelta(days=20)
    assert booking.expire_invitations(session=session, now=clock.now) == 0
    page = client.get(f"/book/{token}")
    assert page.status_code == 200 and len(_slot_ids(page.text)) == 1
    clock.now = late + timedelta(hours=2)
    assert booking.expire_invitations(session=session, now=clock.now) == 1
    gone = client.get(f"/book/{token}")
    assert gone.status_code == 410 and _heading(gone.text) == "This invitation has expired"


def test_withdrawn_invalid_and_unknown_pages_have_a_heading_in_the_readers_language(
    client, session, world
):
    interview, (token,) = _invite(
        session, world, slots=[NOW + timedelta(days=3)], people=("freja",)
    )
    session.get(Interview, interview.id).status = "cancelled"
    session.commit()
    withdrawn = client.get(f"/book/{token}")
    assert withdrawn.status_code == 410 and '<html lang="da">' in withdrawn.text
    assert '<h1 id="view-heading" tabindex="-1" autofocus>Samtalen er aflyst</h1>' in withdrawn.text
    forged = client.get("/book/forged-token", headers={"accept-language": "fi-FI,fi;q=0.9"})
    assert forged.status_code == 404 and '<html lang="fi">' in forged.text
    assert "Linkki ei ole voimassa" in forged.text
    unknown = client.get(f"/book/{token}/nothing", headers={"accept-language": "nb"})
    assert unknown.status_code == 404 and "Fant ikke siden" in unknown.text
    no_ics = client.get(f"/book/{token}/interview.ics", headers={"accept-language": "sv"})
    assert no_ics.status_code == 404 and "Sidan hittades inte" in no_ics.text


def test_cross_site_posts_change_nothing(client, session, world):
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=3)])
    (slot_id,) = _slot_ids(client.get(f"/book/{token}").text)
    response = _post(
        client, f"/book/{token}/book", {"slot": slot_id}, origin="https://evil.example"
    )
    assert response.headers["location"] == f"/book/{token}"
    assert session.exec(select(CandidateInvitation)).one().status == "invited"


def test_online_interview_confirmation_shows_the_meeting_link(client, session, world):
    interview, (token,) = _invite(
        session, world, slots=[NOW + timedelta(days=3)], meeting_kind="jitsi"
    )
    (slot_id,) = _slot_ids(client.get(f"/book/{token}").text)
    _post(client, f"/book/{token}/book", {"slot": slot_id})
    pending = client.get(f"/book/{token}")
    assert "The meeting link follows by e-mail and appears here." in pending.text
    booking_id = booking.active_booking_id(session=session, token=token)
    session.add(
        ProviderEventLink(
            account_id=world["actor"].account_id,
            interview_id=interview.id,
            booking_id=booking_id,
            staff_user_id=world["manager"].id,
            provider="jitsi",
            event_key="meeting",
            meeting_url="https://meet.example/room-abc",
        )  # fmt: skip
    )
    session.commit()
    joined = client.get(f"/book/{token}")
    assert '<a href="https://meet.example/room-abc" rel="noopener noreferrer">Join the online' in (
        joined.text
    )


def test_the_invitation_mail_names_the_job_and_when_the_link_stops_working(session, world):
    late = NOW + timedelta(days=27)
    _interview, (token,) = _invite(session, world, slots=[NOW + timedelta(days=2), late])
    notifications.render_requested(session=session)
    (row,) = [
        row
        for row in session.exec(select(OutboxMessage)).all()
        if row.payload.get("to") == world["james"].email
    ]
    text = message_from_bytes(row.payload["raw"].encode(), policy=default).get_body(("plain",))
    content = text.get_content()
    assert "Position: Backend Engineer" in content
    # Sent with 14 days' validity, but the link works until the last offered time is over.
    assert "works until December 22, 2026." in content
