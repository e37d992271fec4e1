"""Managing an interview after it was sent (issue 11): the overview, the five staff actions
(tenant check, stale fingerprint, one effect per repeat, counts) and who gets which mail,
through the real services, worker renderers and a real SMTP server, on SQLite and
PostgreSQL."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from planner.domain.vocabulary import Role
from planner.models import (
    Account,
    CalendarConnection,
    Candidate,
    CandidateInvitation,
    Interview,
    Location,
    OutboxMessage,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services import booking, notifications, scheduling
from planner.services.actor import Actor
from planner.services.errors import InvalidInput, NotFound
from planner.services.interview_overview import (
    InterviewOverview,
    StaleInterview,
    activity_marker,
    interview_overview,
)
from tests.factories import account_with_admin, actor_for, add_candidate
from tests.integration.test_mail_notifications import calendar_part, deliver, parse_both
from tests.smtp_helpers import RecordingHandler, start_server


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


@dataclass
class World:
    """Acme: the admin organises, a Swedish manager takes part (neither synced); Freja has
    booked the first time, Elin is still choosing, Mikko said no time fits. Beta is
    another account with its own interview."""

    now: datetime
    account: Account
    admin: StaffUser
    manager: StaffUser
    actor: Actor
    interview_id: int
    slot_ids: list[int]
    freja: Candidate
    elin: Candidate
    mikko: Candidate
    tokens: dict[int, str]
    booking_id: int
    location: Location
    beta_actor: Actor
    beta_interview_id: int
    beta_location: Location


def _invitation(session: Session, world: World, candidate: Candidate) -> CandidateInvitation:
    session.expire_all()
    return session.exec(
        select(CandidateInvitation).where(
            CandidateInvitation.interview_id == world.interview_id,
            CandidateInvitation.candidate_id == candidate.id,
        )
    ).one()


@pytest.fixture
def world(session) -> World:
    now = utcnow().replace(microsecond=0)
    account, admin = account_with_admin(session, "Acme", email="astrid@acme.example")
    manager = StaffUser(
        account_id=account.id,
        name="Hanna Manager",
        email="hanna@acme.example",
        role=Role.HIRING_MANAGER.value,
        locale="sv",
        time_zone="Europe/Stockholm",
    )
    location = Location(account_id=account.id, name="HQ", address="Street 1")
    other_place = Location(account_id=account.id, name="Lab", address="Road 2")
    session.add_all([manager, location, other_place])
    session.commit()
    actor = actor_for(admin, account)
    freja = add_candidate(session, account, "Freja Nielsen")
    freja.locale = "da"
    elin = add_candidate(session, account, "Elin Johansson")
    mikko = add_candidate(session, account, "Mikko Korhonen")
    mikko.locale = "fi"
    session.commit()
    starts = [now + timedelta(days=3, hours=h) for h in (0, 2, 4)]
    detail = scheduling.create_interview(
        session=session, actor=actor, now=now,
        data={"title": "Backend interview", "duration_minutes": 45,
              "participant_ids": [manager.id], "location_id": location.id, "slots": starts},
    )  # fmt: skip
    tokens = scheduling.invite_candidates(
        session=session, actor=actor, interview_id=detail.id,
        candidate_ids=[freja.id, elin.id, mikko.id], now=now,
    )  # fmt: skip
    result = booking.book(
        session=session, token=tokens[freja.id], slot_id=detail.slots[0].id, now=now
    )
    assert result.ok
    assert booking.no_fit(
        session=session, token=tokens[mikko.id], comment="Only Fridays", now=now
    ).ok
    beta, beta_admin = account_with_admin(session, "Beta", email="bo@beta.example")
    beta_actor = actor_for(beta_admin, beta)
    beta_location = Location(account_id=beta.id, name="Beta HQ", address="Other 3")
    session.add(beta_location)
    session.commit()
    beta_interview = scheduling.create_interview(
        session=session, actor=beta_actor, now=now,
        data={"title": "Beta talk", "duration_minutes": 30,
              "participant_ids": [beta_admin.id], "slots": [now + timedelta(days=5)]},
    )  # fmt: skip
    return World(
        now=now, account=account, admin=admin, manager=manager, actor=actor,
        interview_id=detail.id, slot_ids=[s.id for s in detail.slots],
        freja=freja, elin=elin, mikko=mikko, tokens=tokens, booking_id=result.booking_id,
        location=location, beta_actor=beta_actor, beta_interview_id=beta_interview.id,
        beta_location=beta_location,
    )  # fmt: skip


def _sync_organiser(session, world: World) -> None:
    """The organiser connects a CalDAV calendar (nothing is written to it in these tests:
    events are recorded only for bookings made after)."""
    session.add(
        CalendarConnection(
            account_id=world.account.id, staff_user_id=world.admin.id, provider="caldav",
            server_url="https://dav.example/", calendar_id="https://dav.example/cal/",
        )
    )  # fmt: skip
    session.commit()


def _overview(session, world: World, actor: Actor | None = None) -> InterviewOverview:
    session.expire_all()
    return interview_overview(
        session=session, actor=actor or world.actor, interview_id=world.interview_id
    )


def _outbox_count(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def _run_worker(session, port):
    notifications.render_requested(session=session)
    return deliver(session, port)


def _arrived(handler) -> dict[str, object]:
    mails: dict[str, object] = {}
    for received in handler.received:
        for to in received.rcpt_tos:
            assert to not in mails, f"{to} got two mails"
            mails[to] = received.message
    handler.received.clear()
    return mails


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


# --- the overview -------------------------------------------------------------------------


def test_overview_shows_candidates_comments_slots_and_participants(session, world):
    view = _overview(session, world)

    assert (view.title, view.status, view.meeting_kind) == ("Backend interview", "open", "none")
    assert (view.location_name, view.location_address) == ("HQ", "Street 1")
    assert view.organiser_name == "Acme Admin" and view.duration_minutes == 45
    by_name = {c.name: c for c in view.candidates}
    assert {n: c.status for n, c in by_name.items()} == {
        "Freja Nielsen": "booked", "Elin Johansson": "invited", "Mikko Korhonen": "no_fit",
    }  # fmt: skip
    assert by_name["Freja Nielsen"].booked_slot_id == world.slot_ids[0]
    assert by_name["Freja Nielsen"].booked_start == view.slots[0].start_at
    assert by_name["Elin Johansson"].booked_slot_id is None
    [comment] = by_name["Mikko Korhonen"].comments
    assert (comment.kind, comment.body, comment.created_at) == (
        "no_fit", "Only Fridays", world.now,
    )  # fmt: skip
    assert [s.status for s in view.slots] == ["offered"] * 3
    assert view.slots[0].candidate_names == ("Freja Nielsen",) and view.slots[0].booked == 1
    assert view.slots[1].candidate_names == () and view.slots[1].capacity == 1
    # Nobody is synced: Planner writes no events, they get mails with .ics.
    assert [(p.name, p.is_organiser, p.sync_state, p.event_state) for p in view.participants] == [
        ("Acme Admin", True, "not_connected", "not_synced"),
        ("Hanna Manager", False, "not_connected", "not_synced"),
    ]
    assert view.meeting_url == "" and view.host_url == ""


def test_fingerprint_moves_with_a_candidates_answer_and_not_with_reading(session, world):
    before = _overview(session, world).fingerprint
    assert _overview(session, world).fingerprint == before
    assert booking.cancel(
        session=session, token=world.tokens[world.freja.id], comment="Got a job", now=world.now
    ).ok
    after = _overview(session, world)
    assert after.fingerprint != before
    freja = next(c for c in after.candidates if c.name == "Freja Nielsen")
    assert freja.status == "cancelled" and freja.comments[0].body == "Got a job"


def test_an_interview_of_another_account_is_not_found(session, world):
    with pytest.raises(NotFound):
        interview_overview(session=session, actor=world.beta_actor, interview_id=world.interview_id)


# --- tenant check, stale dialogs, repeats -------------------------------------------------


def _actions(world: World, actor: Actor, expected: str | None):
    """Each staff action on Acme's interview, as `actor` with `expected`."""
    later = world.now + timedelta(days=6)
    return {
        "cancel": lambda s: scheduling.cancel_interview(
            session=s, actor=actor, interview_id=world.interview_id, now=world.now,
            expected=expected,
        ),
        "remove_slot": lambda s: scheduling.remove_slot(
            session=s, actor=actor, slot_id=world.slot_ids[1], now=world.now, expected=expected
        ),
        "add_slots": lambda s: scheduling.add_slots(
            session=s, actor=actor, interview_id=world.interview_id, starts=[later],
            now=world.now, expected=expected,
        ),
        "update": lambda s: scheduling.update_interview(
            session=s, actor=actor, interview_id=world.interview_id, now=world.now,
            title="Renamed", expected=expected,
        ),
        "resend": lambda s: scheduling.resend_invitation(
            session=s, actor=actor, invitation_id=_invitation(s, world, world.elin).id,
            now=world.now, expected=expected,
        ),
    }  # fmt: skip


@pytest.mark.parametrize("action", ["cancel", "remove_slot", "add_slots", "update", "resend"])
def test_another_accounts_actor_gets_not_found_and_nothing_changes(session, world, action):
    before = (_overview(session, world).fingerprint, _outbox_count(session))
    with pytest.raises(NotFound):
        _actions(world, world.beta_actor, None)[action](session)
    assert (_overview(session, world).fingerprint, _outbox_count(session)) == before


@pytest.mark.parametrize("action", ["cancel", "remove_slot", "add_slots", "update", "resend"])
def test_a_stale_dialog_is_refused_and_nothing_changes(session, world, action):
    shown = _overview(session, world).fingerprint
    # Meanwhile Elin says no time fits.
    assert booking.no_fit(
        session=session, token=world.tokens[world.elin.id], comment="Weekends?", now=world.now
    ).ok
    before = (_overview(session, world).fingerprint, _outbox_count(session))
    with pytest.raises(StaleInterview) as raised:
        _actions(world, world.actor, shown)[action](session)
    assert "changed meanwhile" in raised.value.message
    assert raised.value.message_in("da") != raised.value.message
    assert (_overview(session, world).fingerprint, _outbox_count(session)) == before


@pytest.mark.parametrize("action", ["cancel", "remove_slot", "add_slots", "update", "resend"])
def test_the_same_dialog_acting_twice_has_one_effect(session, world, action):
    shown = _overview(session, world).fingerprint
    first = _actions(world, world.actor, shown)[action](session)
    assert first is not None  # counts, a token or a change
    after_first = (_overview(session, world).fingerprint, _outbox_count(session))
    assert after_first[0] != shown
    with pytest.raises(StaleInterview):
        _actions(world, world.actor, shown)[action](session)
    assert (_overview(session, world).fingerprint, _outbox_count(session)) == after_first


def test_repeats_without_a_fingerprint_do_nothing_more(session, world):
    first = scheduling.cancel_interview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=world.now
    )
    assert (first.bookings_cancelled, first.candidates_told) == (1, 3)
    count = _outbox_count(session)
    again = scheduling.cancel_interview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=world.now
    )
    assert (again.bookings_cancelled, again.candidates_told) == (0, 0)
    assert _outbox_count(session) == count


def test_update_with_nothing_new_changes_nothing(session, world):
    count = _outbox_count(session)
    result = scheduling.update_interview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=world.now,
        title="Backend interview", location_id=world.location.id,
    )  # fmt: skip
    assert (result.changed, result.bookings_updated) == ((), 0)
    assert _outbox_count(session) == count


# --- the activity marker ------------------------------------------------------------------


def test_activity_marker_moves_on_every_answer_and_staff_action_of_the_account_only(session, world):
    def moved(step) -> bool:
        before = activity_marker(session=session, actor=world.actor)
        beta_before = activity_marker(session=session, actor=world.beta_actor)
        step()
        session.expire_all()
        assert activity_marker(session=session, actor=world.beta_actor) == beta_before
        return activity_marker(session=session, actor=world.actor) > before

    tokens, now, actor = world.tokens, world.now, world.actor
    slot = world.slot_ids
    assert moved(lambda: booking.book(session=session, token=tokens[world.elin.id],
                                      slot_id=slot[1], now=now))  # fmt: skip
    assert moved(lambda: booking.cancel(session=session, token=tokens[world.elin.id],
                                        comment="Sorry", now=now))  # fmt: skip
    assert moved(lambda: booking.no_fit(session=session, token=tokens[world.elin.id],
                                        comment="Later?", now=now))  # fmt: skip
    assert moved(
        lambda: scheduling.update_interview(
            session=session, actor=actor, interview_id=world.interview_id, now=now, title="New"
        )
    )
    assert moved(lambda: scheduling.add_slots(
        session=session, actor=actor, interview_id=world.interview_id,
        starts=[now + timedelta(days=8)], now=now))  # fmt: skip
    assert moved(
        lambda: scheduling.remove_slot(session=session, actor=actor, slot_id=slot[2], now=now)
    )
    assert moved(lambda: scheduling.resend_invitation(
        session=session, actor=actor, invitation_id=_invitation(session, world, world.mikko).id,
        now=now))  # fmt: skip
    assert moved(
        lambda: scheduling.cancel_interview(
            session=session, actor=actor, interview_id=world.interview_id, now=now
        )
    )


# --- who is told what ---------------------------------------------------------------------


def test_cancel_tells_booked_and_choosing_candidates_and_the_staff(session, world, smtp):
    handler, port = smtp
    _run_worker(session, port)
    handler.received.clear()

    result = scheduling.cancel_interview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=world.now
    )

    assert (result.bookings_cancelled, result.candidates_told) == (1, 3)
    _run_worker(session, port)
    mails = _arrived(handler)
    assert set(mails) == {
        world.freja.email, world.elin.email, world.mikko.email,
        world.admin.email, world.manager.email,
    }  # fmt: skip
    # The booked candidate and the staff (not synced): iMIP CANCEL of the booked event.
    for to in (world.freja.email, world.admin.email, world.manager.email):
        part = calendar_part(mails[to])
        assert part is not None and part.get_param("method") == "CANCEL", to
        event = parse_both(part.get_content())[0][0]
        assert int(event["SEQUENCE"]) >= 1
    assert "aflyst" in _text(mails[world.freja.email])  # no new time will follow
    # Worded as the interview cancelled, not as one time withdrawn or removed.
    assert mails[world.freja.email]["Subject"].startswith("Samtale aflyst: Backend interview")
    assert "Desværre er Backend interview blevet aflyst" in _text(mails[world.freja.email])
    assert mails[world.admin.email]["Subject"].startswith("Interview cancelled: Backend interview")
    assert "was cancelled, and with it the time booked by" in _text(mails[world.admin.email])
    assert mails[world.manager.email]["Subject"].startswith("Intervju inställd: Backend interview")
    # Those still choosing: a plain mail, nothing for their calendar.
    for to in (world.elin.email, world.mikko.email):
        assert calendar_part(mails[to]) is None
    assert mails[world.elin.email]["Subject"] == "Cancelled: Backend interview"
    assert "do not need to choose a time" in _text(mails[world.elin.email])
    assert mails[world.mikko.email]["Subject"] == "Peruttu: Backend interview"
    # Their links offer nothing any more.
    view = _overview(session, world)
    assert view.status == "cancelled"
    assert {c.status for c in view.candidates} == {"withdrawn"}
    assert (
        booking.candidate_view(
            session=session, token=world.tokens[world.elin.id], now=world.now
        ).usable
        is False
    )


def test_removing_a_booked_time_tells_that_candidate_who_may_choose_again(session, world, smtp):
    handler, port = smtp
    _run_worker(session, port)
    handler.received.clear()
    shown = _overview(session, world).fingerprint

    assert (
        scheduling.remove_slot(
            session=session, actor=world.actor, slot_id=world.slot_ids[0], now=world.now,
            expected=shown,
        )
        == 1
    )  # fmt: skip

    _run_worker(session, port)
    mails = _arrived(handler)
    assert set(mails) == {world.freja.email, world.admin.email, world.manager.email}
    assert calendar_part(mails[world.freja.email]).get_param("method") == "CANCEL"
    assert _invitation(session, world, world.freja).status == "invited"
    # Removing an unbooked time tells nobody.
    assert (
        scheduling.remove_slot(
            session=session, actor=world.actor, slot_id=world.slot_ids[1], now=world.now
        )
        == 0
    )
    _run_worker(session, port)
    assert _arrived(handler) == {}


def test_new_times_reach_who_said_none_fits_with_a_fresh_link(session, world, smtp):
    handler, port = smtp
    _run_worker(session, port)
    handler.received.clear()
    new_start = world.now + timedelta(days=9)

    result = scheduling.add_slots(
        session=session, actor=world.actor, interview_id=world.interview_id,
        starts=[new_start], now=world.now,
    )  # fmt: skip

    assert (result.added, result.no_fit_told) == (1, 1)
    _run_worker(session, port)
    mails = _arrived(handler)
    assert set(mails) == {world.mikko.email}  # Elin sees the time on her page; Freja booked
    message = mails[world.mikko.email]
    assert message["Subject"] == "Uusia aikoja haastatteluusi: Backend interview"
    text = _text(message)
    token = text.split("/book/")[1].split()[0].strip(".,)>")
    assert token != world.tokens[world.mikko.id]
    # The old link stops working; the new one offers the new time and books it.
    assert (
        booking.candidate_view(session=session, token=world.tokens[world.mikko.id], now=world.now)
        is None
    )
    view = booking.candidate_view(session=session, token=token, now=world.now)
    assert view is not None and view.usable and view.open_slots
    assert _invitation(session, world, world.mikko).status == "invited"
    new_slot = next(s for s in _overview(session, world).slots if s.start_at == new_start)
    assert booking.book(session=session, token=token, slot_id=new_slot.slot_id, now=world.now).ok
    # His comment stays visible.
    mikko = next(c for c in _overview(session, world).candidates if c.name == "Mikko Korhonen")
    assert mikko.status == "booked" and mikko.comments[0].body == "Only Fridays"


def test_a_removed_time_can_be_offered_again(session, world) -> None:
    # Staff remove a time by mistake and add it back: it is offered again (the same slot
    # row: a slot's start is unique per interview), and Elin, still choosing, can book it.
    removed = world.slot_ids[1]
    assert (
        scheduling.remove_slot(session=session, actor=world.actor, slot_id=removed, now=world.now)
        == 0
    )
    start = next(s.start_at for s in _overview(session, world).slots if s.slot_id == removed)
    offered_twice = next(
        s.start_at for s in _overview(session, world).slots if s.slot_id == world.slot_ids[2]
    )

    result = scheduling.add_slots(
        session=session, actor=world.actor, interview_id=world.interview_id,
        starts=[start], now=world.now,
    )  # fmt: skip

    assert result.added == 1
    slot = next(s for s in _overview(session, world).slots if s.slot_id == removed)
    assert slot.status == "offered"
    assert booking.book(
        session=session, token=world.tokens[world.elin.id], slot_id=removed, now=world.now
    ).ok
    # A time that is offered is still refused.
    with pytest.raises(InvalidInput, match="already offered"):
        scheduling.add_slots(
            session=session, actor=world.actor, interview_id=world.interview_id,
            starts=[offered_twice], now=world.now,
        )  # fmt: skip


def test_a_change_sends_an_update_with_a_higher_sequence_to_the_booked_and_unsynced(
    session, world, smtp
):
    handler, port = smtp
    _run_worker(session, port)
    [confirmation] = [
        r.message for r in handler.received
        if r.rcpt_tos == [world.freja.email] and calendar_part(r.message) is not None
    ]  # fmt: skip
    handler.received.clear()
    confirmed = parse_both(calendar_part(confirmation).get_content())[0][0]
    lab = session.exec(select(Location).where(Location.name == "Lab")).one()

    result = scheduling.update_interview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=world.now,
        title="Backend interview (2nd round)", location_id=lab.id,
    )  # fmt: skip

    assert result.changed == ("title", "location") and result.bookings_updated == 1
    _run_worker(session, port)
    mails = _arrived(handler)
    assert set(mails) == {world.freja.email, world.admin.email, world.manager.email}
    for to, message in mails.items():
        part = calendar_part(message)
        assert part is not None and part.get_param("method") == "REQUEST", to
        event = parse_both(part.get_content())[0][0]
        assert str(event["UID"]) == str(confirmed["UID"])
        assert int(event["SEQUENCE"]) == int(confirmed["SEQUENCE"]) + 1
        assert str(event["SUMMARY"]) == "Backend interview (2nd round)"
        assert "Road 2" in str(event["LOCATION"])
    assert mails[world.freja.email]["Subject"].startswith("Ændret: Backend interview (2nd")
    assert mails[world.manager.email]["Subject"].startswith("Ändrad: ")
    session.expire_all()
    assert session.get(Interview, world.interview_id).ics_sequence == 1
    # A later cancellation goes above the update's sequence.
    assert booking.cancel(
        session=session, token=world.tokens[world.freja.id], comment="No", now=world.now
    ).ok
    _run_worker(session, port)
    cancel = parse_both(calendar_part(_arrived(handler)[world.freja.email]).get_content())[0][0]
    assert int(cancel["SEQUENCE"]) == int(confirmed["SEQUENCE"]) + 2


def test_a_change_without_bookings_mails_nobody(session, world, smtp):
    handler, port = smtp
    assert booking.cancel(
        session=session, token=world.tokens[world.freja.id], comment="No", now=world.now
    ).ok
    _run_worker(session, port)
    handler.received.clear()
    _sync_organiser(session, world)

    result = scheduling.update_interview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=world.now,
        meeting_kind="jitsi",
    )  # fmt: skip

    assert result == scheduling.UpdateResult(changed=("location", "meeting_kind"),
                                             bookings_updated=0)  # fmt: skip
    _run_worker(session, port)
    assert _arrived(handler) == {}
    view = _overview(session, world)
    assert (view.meeting_kind, view.location_id) == ("jitsi", None)


def test_changes_that_cannot_be_made_are_refused(session, world):
    def update(**changes):
        return scheduling.update_interview(
            session=session, actor=world.actor, interview_id=world.interview_id,
            now=world.now, **changes,
        )  # fmt: skip

    _sync_organiser(session, world)
    before = _overview(session, world).fingerprint
    # Teams needs the organiser's Microsoft calendar.
    with pytest.raises(InvalidInput, match="no connected calendar"):
        update(meeting_kind="teams")
    with pytest.raises(InvalidInput, match="no such location"):
        update(location_id=world.beta_location.id)
    lab = session.exec(select(Location).where(Location.name == "Lab")).one()
    lab.archived_at = world.now
    session.commit()
    with pytest.raises(InvalidInput, match="archived"):
        update(location_id=lab.id)
    with pytest.raises(InvalidInput, match="title"):
        update(title="   ")
    with pytest.raises(InvalidInput, match="meeting kind"):
        update(meeting_kind="skype")
    assert _overview(session, world).fingerprint == before


def test_resend_gives_that_candidate_a_fresh_link_and_nobody_else_a_mail(session, world, smtp):
    handler, port = smtp
    _run_worker(session, port)
    handler.received.clear()
    elin = _invitation(session, world, world.elin)

    token = scheduling.resend_invitation(
        session=session, actor=world.actor, invitation_id=elin.id, now=world.now
    )

    assert token != world.tokens[world.elin.id]
    _run_worker(session, port)
    mails = _arrived(handler)
    assert set(mails) == {world.elin.email}
    assert f"/book/{token}" in _text(mails[world.elin.email])
    assert (
        booking.candidate_view(session=session, token=world.tokens[world.elin.id], now=world.now)
        is None
    )
    assert booking.candidate_view(session=session, token=token, now=world.now).usable
    with pytest.raises(NotFound):
        scheduling.resend_invitation(
            session=session, actor=world.beta_actor, invitation_id=elin.id, now=world.now
        )


@pytest.mark.parametrize("action", ["cancel", "resend", "add_slots"])
def test_a_double_click_at_the_same_moment_has_one_effect(engine, session, world, action):
    """Two requests from the same dialog at once (two sessions, two threads): the interview
    row lock serialises them; the second sees the first's change and is refused as stale."""
    import threading

    shown = _overview(session, world).fingerprint
    count = _outbox_count(session)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def click() -> None:
        with Session(engine) as own:
            barrier.wait()
            try:
                _actions(world, world.actor, shown)[action](own)
                outcomes.append("done")
            except StaleInterview:
                outcomes.append("stale")

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["done", "stale"]
    view = _overview(session, world)
    added = {"cancel": 4, "resend": 1, "add_slots": 2}[action]  # mail requests + activity
    assert _outbox_count(session) == count + added
    if action == "cancel":
        assert view.status == "cancelled"


def test_erasing_a_candidate_empties_the_changed_mails_about_them(session, world):
    from planner.services import privacy

    scheduling.update_interview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=world.now,
        title="Renamed",
    )  # fmt: skip
    notifications.render_requested(session=session)
    changed = lambda: [  # noqa: E731
        row for row in session.exec(select(OutboxMessage)).all()
        if (row.dedupe_key or "").startswith(f"mail:interview_changed:{world.booking_id}:")
    ]  # fmt: skip
    assert len(changed()) == 3 and all("Freja" in str(row.payload) for row in changed())

    privacy.erase_candidate(
        session=session, actor=world.actor, candidate_id=world.freja.id, request_key="erase-1",
        now=world.now,
    )  # fmt: skip

    session.expire_all()
    assert all(row.payload.get("erased") for row in changed())


def test_the_activity_marker_is_read_from_the_account_id_index(engine):
    from sqlalchemy import text

    query = "SELECT max(id) FROM outbox_message WHERE account_id = 1"
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # an empty table: show the index
            plan = " ".join(row[0] for row in conn.execute(text(f"EXPLAIN {query}")))
        else:
            plan = " ".join(
                str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {query}"))
            )
    assert "ix_outbox_message_account_id_id" in plan


def test_a_link_that_ran_out_shows_as_expired(session, world):
    last_end = max(s.end_at for s in _overview(session, world).slots)
    later = max(last_end, world.now + timedelta(days=15)) + timedelta(minutes=1)

    view = interview_overview(
        session=session, actor=world.actor, interview_id=world.interview_id, now=later
    )

    assert {c.name: c.status for c in view.candidates} == {
        "Freja Nielsen": "booked", "Elin Johansson": "expired", "Mikko Korhonen": "expired",
    }  # fmt: skip
