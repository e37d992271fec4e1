"""Booking invariants through the services, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from planner.domain.vocabulary import Role
from planner.models import (
    Booking,
    BusyInterval,
    CalendarConnection,
    CandidateComment,
    CandidateInvitation,
    Interview,
    OfferedSlot,
    StaffUser,
)
from planner.services import booking, scheduling
from planner.services.booking import Outcome
from planner.services.errors import InvalidInput
from tests.factories import NOW, account_with_admin, actor_for, add_candidate

SLOT_1 = NOW + timedelta(days=2)
SLOT_2 = NOW + timedelta(days=2, hours=2)


@pytest.fixture
def team(session):
    account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    manager = StaffUser(
        account_id=account.id,
        name="Hanna Manager",
        email="hanna@alpha.example",
        role=Role.HIRING_MANAGER.value,
    )
    session.add(manager)
    session.commit()
    candidates = [
        add_candidate(session, account, name) for name in ("Freja N", "Elin J", "Mikko K")
    ]
    return actor_for(admin, account), manager, candidates


def _interview(session, actor, manager, *, slots=(SLOT_1, SLOT_2), capacity=1, title="Tech talk"):
    return scheduling.create_interview(
        session=session,
        actor=actor,
        data={
            "title": title,
            "duration_minutes": 60,
            "participant_ids": [manager.id],
            "capacity": capacity,
            "slots": list(slots),
        },
        now=NOW,
    )


def _invite(session, actor, interview, candidates):
    return scheduling.invite_candidates(
        session=session,
        actor=actor,
        interview_id=interview.id,
        candidate_ids=[c.id for c in candidates],
        now=NOW,
    )


def _bookings(session):
    return session.exec(select(Booking).where(Booking.status == "active")).all()


def test_a_slot_offered_to_several_candidates_is_booked_by_one(session, team):
    actor, manager, (freja, elin, _mikko) = team
    interview = _interview(session, actor, manager)
    tokens = _invite(session, actor, interview, [freja, elin])
    slot_id = interview.slots[0].id

    first = booking.book(session=session, token=tokens[freja.id], slot_id=slot_id, now=NOW)
    second = booking.book(session=session, token=tokens[elin.id], slot_id=slot_id, now=NOW)
    assert first.outcome is Outcome.BOOKED
    assert second.outcome is Outcome.SLOT_TAKEN
    assert len(_bookings(session)) == 1
    view = booking.candidate_view(session=session, token=tokens[elin.id], now=NOW)
    assert [s.slot_id for s in view.open_slots] == [interview.slots[1].id]
    mine = booking.candidate_view(session=session, token=tokens[freja.id], now=NOW)
    assert mine.booked.slot_id == slot_id and mine.status == "booked"


def test_a_booked_candidate_must_cancel_before_choosing_again(session, team):
    actor, manager, (freja, *_rest) = team
    interview = _interview(session, actor, manager)
    token = _invite(session, actor, interview, [freja])[freja.id]
    assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=NOW).ok
    again = booking.book(session=session, token=token, slot_id=interview.slots[1].id, now=NOW)
    assert again.outcome is Outcome.ALREADY_BOOKED
    assert booking.cancel(session=session, token=token, comment="Sick", now=NOW).ok
    assert booking.book(session=session, token=token, slot_id=interview.slots[1].id, now=NOW).ok
    assert [b.slot_id for b in _bookings(session)] == [interview.slots[1].id]


def test_cancellation_frees_the_slot_and_keeps_the_comment(session, team):
    actor, manager, (freja, elin, _mikko) = team
    interview = _interview(session, actor, manager)
    tokens = _invite(session, actor, interview, [freja, elin])
    slot_id = interview.slots[0].id
    booking.book(session=session, token=tokens[freja.id], slot_id=slot_id, now=NOW)
    with pytest.raises(InvalidInput) as caught:
        booking.cancel(session=session, token=tokens[freja.id], comment="  ", now=NOW)
    assert caught.value.field == "comment"
    assert len(_bookings(session)) == 1
    result = booking.cancel(
        session=session, token=tokens[freja.id], comment="I got another offer", now=NOW
    )
    assert result.outcome is Outcome.CANCELLED
    assert booking.book(session=session, token=tokens[elin.id], slot_id=slot_id, now=NOW).ok
    comments = session.exec(select(CandidateComment)).all()
    assert [(c.kind, c.body) for c in comments] == [("cancellation", "I got another offer")]


def test_a_slot_outside_the_invitation_is_refused_and_nothing_is_stored(session, team):
    actor, manager, (freja, *_rest) = team
    mine = _interview(session, actor, manager)
    other = _interview(session, actor, manager, slots=(NOW + timedelta(days=5),), title="Other")
    token = _invite(session, actor, mine, [freja])[freja.id]
    for slot_id in (other.slots[0].id, 999_999):
        with pytest.raises(InvalidInput) as caught:
            booking.book(session=session, token=token, slot_id=slot_id, now=NOW)
        assert caught.value.field == "slot_id"
    assert _bookings(session) == []


def test_unknown_expired_and_withdrawn_links_do_nothing(session, team):
    actor, manager, (freja, *_rest) = team
    interview = _interview(session, actor, manager)
    token = _invite(session, actor, interview, [freja])[freja.id]
    slot_id = interview.slots[0].id
    assert (
        booking.book(session=session, token="forged", slot_id=slot_id, now=NOW).outcome
        is Outcome.LINK_INVALID
    )
    assert booking.candidate_view(session=session, token="forged", now=NOW) is None
    late = NOW + timedelta(days=15)
    assert (
        booking.book(session=session, token=token, slot_id=slot_id, now=late).outcome
        is Outcome.LINK_INVALID
    )
    assert booking.expire_invitations(session=session, now=late) == 1
    scheduling.cancel_interview(session=session, actor=actor, interview_id=interview.id, now=NOW)
    view = booking.candidate_view(session=session, token=token, now=NOW)
    assert not view.usable and view.open_slots == ()
    assert _bookings(session) == []


def test_removing_a_booked_slot_cancels_the_booking_and_lets_the_candidate_choose_again(
    session, team
):
    actor, manager, (freja, *_rest) = team
    interview = _interview(session, actor, manager)
    token = _invite(session, actor, interview, [freja])[freja.id]
    booked_slot, other_slot = interview.slots[0].id, interview.slots[1].id
    booking.book(session=session, token=token, slot_id=booked_slot, now=NOW)
    assert scheduling.remove_slot(session=session, actor=actor, slot_id=booked_slot, now=NOW) == 1
    session.expire_all()
    assert _bookings(session) == []
    invitation = session.exec(select(CandidateInvitation)).one()
    assert invitation.status == "invited"
    view = booking.candidate_view(session=session, token=token, now=NOW)
    assert [s.slot_id for s in view.open_slots] == [other_slot]
    assert (
        booking.book(session=session, token=token, slot_id=booked_slot, now=NOW).outcome
        is Outcome.SLOT_UNAVAILABLE
    )
    assert booking.book(session=session, token=token, slot_id=other_slot, now=NOW).ok


def test_no_fit_comment_then_a_booking_is_still_possible(session, team):
    actor, manager, (freja, *_rest) = team
    interview = _interview(session, actor, manager)
    token = _invite(session, actor, interview, [freja])[freja.id]
    assert booking.no_fit(session=session, token=token, comment="Only mornings", now=NOW).ok
    assert session.exec(select(CandidateComment)).one().kind == "no_fit"
    assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=NOW).ok


def test_group_session_takes_capacity_candidates(session, team):
    actor, manager, candidates = team
    interview = _interview(session, actor, manager, capacity=2)
    tokens = _invite(session, actor, interview, candidates)
    slot_id = interview.slots[0].id
    outcomes = [
        booking.book(session=session, token=tokens[c.id], slot_id=slot_id, now=NOW).outcome
        for c in candidates
    ]
    assert outcomes == [Outcome.BOOKED, Outcome.BOOKED, Outcome.SLOT_TAKEN]


def _synced_busy(session, user, start, end, *, tentative=False, status="synced"):
    connection = CalendarConnection(
        account_id=user.account_id, staff_user_id=user.id, provider="caldav", status=status
    )
    session.add(connection)
    session.flush()
    session.add(
        BusyInterval(
            account_id=user.account_id,
            connection_id=connection.id,
            start_at=start,
            end_at=end,
            tentative=tentative,
        )
    )
    session.commit()


def test_booking_rechecks_the_synced_participants_busy_times(session, team):
    actor, manager, (freja, *_rest) = team
    interview = _interview(session, actor, manager)
    token = _invite(session, actor, interview, [freja])[freja.id]
    _synced_busy(session, manager, SLOT_1 + timedelta(minutes=30), SLOT_1 + timedelta(hours=3))
    result = booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=NOW)
    assert result.outcome is Outcome.SLOT_UNAVAILABLE
    assert _bookings(session) == []
    assert session.exec(select(CandidateInvitation)).one().status == "invited"


def test_tentative_and_unsynced_busy_times_do_not_block(session, team):
    actor, manager, (freja, *_rest) = team
    interview = _interview(session, actor, manager)
    token = _invite(session, actor, interview, [freja])[freja.id]
    _synced_busy(session, manager, SLOT_1, SLOT_1 + timedelta(hours=1), tentative=True)
    admin = session.get(StaffUser, actor.user_id)
    _synced_busy(session, admin, SLOT_1, SLOT_1 + timedelta(hours=1), status="error")
    assert booking.book(session=session, token=token, slot_id=interview.slots[0].id, now=NOW).ok


def test_a_participant_is_never_booked_into_two_interviews_at_once(session, team):
    actor, manager, (freja, elin, _mikko) = team
    first = _interview(session, actor, manager, title="First")
    second = _interview(session, actor, manager, title="Second")
    token_a = _invite(session, actor, first, [freja])[freja.id]
    token_b = _invite(session, actor, second, [elin])[elin.id]
    assert booking.book(session=session, token=token_a, slot_id=first.slots[0].id, now=NOW).ok
    clash = booking.book(session=session, token=token_b, slot_id=second.slots[0].id, now=NOW)
    assert clash.outcome is Outcome.SLOT_UNAVAILABLE


@pytest.mark.parametrize(
    "change, field",
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"slots": ["2026-12-01T09:00:00"]}, "slots.0"),
        ({"slots": [(NOW - timedelta(hours=1)).isoformat()]}, "slots"),
        ({"slots": [SLOT_1.isoformat(), SLOT_1.isoformat()]}, "slots"),
        ({"meeting_kind": "teams"}, "meeting_kind"),
        ({"meeting_kind": "skype"}, "meeting_kind"),
        ({"participant_ids": [987654]}, "participant_ids"),
        ({"location_id": 987654}, "location_id"),
        ({"title": "Evil\r\nBcc: x@y"}, "title"),
    ],
)
def test_bad_interview_input_names_the_field_and_stores_nothing(session, team, change, field):
    actor, manager, _ = team
    data = {
        "title": "T",
        "duration_minutes": 30,
        "participant_ids": [manager.id],
        "slots": [SLOT_1.isoformat()],
        **change,
    }
    with pytest.raises(InvalidInput) as caught:
        scheduling.create_interview(session=session, actor=actor, data=data, now=NOW)
    assert caught.value.field == field
    session.rollback()
    assert session.exec(select(Interview)).all() == []
    assert session.exec(select(OfferedSlot)).all() == []


def test_jitsi_needs_a_synced_calendar(session, team):
    actor, manager, _ = team
    data = {
        "title": "T",
        "duration_minutes": 30,
        "participant_ids": [manager.id],
        "slots": [SLOT_1],
        "meeting_kind": "jitsi",
    }
    with pytest.raises(InvalidInput):
        scheduling.create_interview(session=session, actor=actor, data=data, now=NOW)
    admin = session.get(StaffUser, actor.user_id)
    _synced_busy(session, admin, NOW, NOW + timedelta(minutes=1))
    created = scheduling.create_interview(session=session, actor=actor, data=data, now=NOW)
    assert created.meeting_kind == "jitsi"


def test_another_accounts_candidate_cannot_be_invited(session, team):
    actor, manager, _ = team
    other_account, _other_admin = account_with_admin(session, "Beta", email="a@beta.example")
    stranger = add_candidate(session, other_account, "Bea Berg")
    interview = _interview(session, actor, manager)
    with pytest.raises(InvalidInput):
        _invite(session, actor, interview, [stranger])
    assert session.exec(select(CandidateInvitation)).all() == []


def test_concurrent_attempts_on_one_slot_give_exactly_one_booking(engine):
    """50 different candidates race for the same slot: one wins, 49 are told it was taken."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    with Session(engine, expire_on_commit=False) as session:
        account, admin = account_with_admin(session, "Race", email="admin@race.example")
        actor = actor_for(admin, account)
        candidates = [add_candidate(session, account, f"Racer {n}") for n in range(50)]
        interview = scheduling.create_interview(
            session=session,
            actor=actor,
            data={
                "title": "Race",
                "duration_minutes": 30,
                "participant_ids": [admin.id],
                "slots": [SLOT_1],
            },
            now=NOW,
        )
        tokens = _invite(session, actor, interview, candidates)
    slot_id = interview.slots[0].id
    barrier = Barrier(50)

    def attempt(token):
        barrier.wait()
        with Session(engine, expire_on_commit=False) as own:
            return booking.book(session=own, token=token, slot_id=slot_id, now=NOW).outcome

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(attempt, tokens.values()))
    assert outcomes.count(Outcome.BOOKED) == 1
    assert outcomes.count(Outcome.SLOT_TAKEN) == 49
    with Session(engine) as session:
        assert len(session.exec(select(Booking)).all()) == 1


def test_a_time_a_participant_became_busy_at_is_no_longer_shown(session, team):
    actor, manager, (freja, *_rest) = team
    interview = _interview(session, actor, manager)
    token = _invite(session, actor, interview, [freja])[freja.id]
    _synced_busy(session, manager, SLOT_1, SLOT_1 + timedelta(minutes=30))
    view = booking.candidate_view(session=session, token=token, now=NOW)
    assert [s.slot_id for s in view.open_slots] == [interview.slots[1].id]
