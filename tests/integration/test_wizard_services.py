"""What the invite wizard relies on: one interview and one mail per candidate per submit key
(also when two requests race), locations archived with their interviews keeping the place,
held times of other open interviews, and a group session booked by several candidates."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlmodel import Session, select

from planner.models import CandidateInvitation, Interview, Location, OfferedSlot, OutboxMessage
from planner.services import availability, booking, locations, scheduling
from planner.services.booking import Outcome
from planner.services.errors import InvalidInput
from tests.factories import NOW, account_with_admin, actor_for, add_candidate

MONDAY_10 = NOW.replace(hour=9) + timedelta(days=5)  # Monday 30 November 2026, 10:00 Copenhagen
KEY = "k" * 24


def _team(session):
    account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    actor = actor_for(admin, account)
    people = [add_candidate(session, account, n) for n in ("Freja Nielsen", "Oskar Berg")]
    return account, actor, people


def _data(actor, *, slots=(MONDAY_10,), capacity=1, **more):
    return {
        "title": "Tech talk",
        "duration_minutes": 45,
        "participant_ids": [actor.user_id],
        "slots": list(slots),
        "capacity": capacity,
        **more,
    }


def _mails(session):
    return [m for m in session.exec(select(OutboxMessage)).all() if "invitation" in (m.kind or "")]


def test_the_same_submit_key_makes_one_interview_and_one_mail_per_candidate(session):
    _account, actor, people = _team(session)
    ids = [p.id for p in people]
    first = scheduling.send_invitations(
        session=session, actor=actor, data=_data(actor), candidate_ids=ids, submit_key=KEY, now=NOW
    )
    again = scheduling.send_invitations(
        session=session, actor=actor, data=_data(actor), candidate_ids=ids, submit_key=KEY, now=NOW
    )
    assert (first.repeated, again.repeated) == (False, True)
    assert again.interview_id == first.interview_id and again.invited == 2
    assert len(session.exec(select(Interview)).all()) == 1
    assert len(session.exec(select(CandidateInvitation)).all()) == 2
    requests = session.exec(select(OutboxMessage)).all()
    assert len(requests) == 2, [m.kind for m in requests]


def test_a_send_refused_for_bad_input_stores_nothing_and_keeps_the_key_usable(session):
    _account, actor, people = _team(session)
    with pytest.raises(InvalidInput) as caught:
        scheduling.send_invitations(
            session=session,
            actor=actor,
            data=_data(actor, slots=[NOW - timedelta(hours=1)]),
            candidate_ids=[people[0].id],
            submit_key=KEY,
            now=NOW,
        )
    assert caught.value.field == "slots"
    assert session.exec(select(Interview)).all() == []
    sent = scheduling.send_invitations(
        session=session,
        actor=actor,
        data=_data(actor),
        candidate_ids=[people[0].id],
        submit_key=KEY,
        now=NOW,
    )
    assert sent.repeated is False and sent.invited == 1


def test_two_tabs_sending_at_once_make_one_interview(engine):
    with Session(engine, expire_on_commit=False) as session:
        _account, actor, people = _team(session)
    ids = [p.id for p in people]
    barrier = Barrier(4)

    def send(_n):
        barrier.wait()
        with Session(engine, expire_on_commit=False) as own:
            return scheduling.send_invitations(
                session=own,
                actor=actor,
                data=_data(actor),
                candidate_ids=ids,
                submit_key=KEY,
                now=NOW,
            )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, range(4)))
    assert sorted(r.repeated for r in results) == [False, True, True, True]
    assert len({r.interview_id for r in results}) == 1
    with Session(engine) as session:
        assert len(session.exec(select(Interview)).all()) == 1
        assert len(session.exec(select(OutboxMessage)).all()) == 2


def test_a_custom_subject_is_the_candidates_mail_subject(session):
    _account, actor, people = _team(session)
    scheduling.send_invitations(
        session=session,
        actor=actor,
        data=_data(actor, invitation_subject="Let us meet, Freja"),
        candidate_ids=[people[0].id],
        submit_key=KEY,
        now=NOW,
    )
    interview = session.exec(select(Interview)).one()
    assert interview.invitation_subject == "Let us meet, Freja"


def test_an_archived_location_is_no_longer_offered_and_interviews_keep_it(session):
    _account, actor, people = _team(session)
    hq = locations.add_location(
        session=session, actor=actor, data={"name": "HQ", "address": "Main st 1"}
    )
    sent = scheduling.send_invitations(
        session=session,
        actor=actor,
        data=_data(actor, location_id=hq.id),
        candidate_ids=[people[0].id],
        submit_key=KEY,
        now=NOW,
    )
    assert locations.location_uses(session=session, actor=actor, location_id=hq.id) == 1
    locations.remove_location(session=session, actor=actor, location_id=hq.id)
    assert locations.list_locations(session=session, actor=actor) == []
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=sent.interview_id
    )
    assert (detail.location_name, detail.location_address) == ("HQ", "Main st 1")
    with pytest.raises(InvalidInput) as caught:
        scheduling.create_interview(
            session=session, actor=actor, data=_data(actor, location_id=hq.id), now=NOW
        )
    assert caught.value.field == "location_id"
    # The same name again brings the archived location back, with the new address.
    back = locations.add_location(
        session=session, actor=actor, data={"name": "hq", "address": "Main st 2"}
    )
    assert back.id == hq.id and back.address == "Main st 2"
    assert len(session.exec(select(Location)).all()) == 1


@pytest.mark.parametrize(
    "name, reason",
    [("   ", "at least 1 character"), ("HQ", "a location with this name already exists")],
)
def test_empty_and_duplicate_location_names_are_refused_clearly(session, name, reason):
    _account, actor, _people = _team(session)
    locations.add_location(session=session, actor=actor, data={"name": "HQ"})
    with pytest.raises(InvalidInput) as caught:
        locations.add_location(session=session, actor=actor, data={"name": name})
    assert caught.value.field == "name" and reason in caught.value.reason
    assert len(session.exec(select(Location)).all()) == 1


def test_times_offered_in_another_open_interview_are_held_and_not_suggested(session):
    _account, actor, people = _team(session)
    first_day = MONDAY_10.replace(hour=0, minute=0)
    before = availability.wizard_availability(
        session=session,
        actor=actor,
        participant_ids=[actor.user_id],
        duration_minutes=45,
        buffer_minutes=0,
        first_day=first_day,
        days=1,
        grid_start=first_day,
        grid_days=1,
        now=NOW,
        limit=100,
    )
    offered = before.suggestions[0].start
    scheduling.send_invitations(
        session=session,
        actor=actor,
        data=_data(actor, slots=[offered]),
        candidate_ids=[people[0].id],
        submit_key=KEY,
        now=NOW,
    )
    after = availability.wizard_availability(
        session=session,
        actor=actor,
        participant_ids=[actor.user_id],
        duration_minutes=45,
        buffer_minutes=0,
        first_day=first_day,
        days=1,
        grid_start=first_day,
        grid_days=1,
        now=NOW,
        limit=100,
    )
    assert after.held == {actor.user_id: [(offered, offered + timedelta(minutes=45))]}
    assert all(
        s.end <= offered or s.start >= offered + timedelta(minutes=45) for s in after.suggestions
    )
    assert len(after.suggestions) < len(before.suggestions)


def test_a_group_session_is_booked_by_as_many_candidates_as_it_has_seats(session):
    account, actor, people = _team(session)
    third = add_candidate(session, account, "Aino Virtanen")
    interview = scheduling.create_interview(
        session=session, actor=actor, data=_data(actor, capacity=2), now=NOW
    )
    tokens = scheduling.invite_candidates(
        session=session,
        actor=actor,
        interview_id=interview.id,
        candidate_ids=[people[0].id, people[1].id, third.id],
        now=NOW,
    )
    slot_id = session.exec(select(OfferedSlot.id)).one()
    outcomes = [
        booking.book(session=session, token=tokens[c.id], slot_id=slot_id, now=NOW).outcome
        for c in (people[0], people[1], third)
    ]
    assert outcomes == [Outcome.BOOKED, Outcome.BOOKED, Outcome.SLOT_TAKEN]
    detail = scheduling.get_interview_detail(
        session=session, actor=actor, interview_id=interview.id
    )
    assert (detail.slots[0].booked, detail.slots[0].capacity) == (2, 2)


def test_a_booked_interview_is_booked_in_the_grid_and_no_longer_held(session):
    _account, actor, people = _team(session)
    interview = scheduling.create_interview(
        session=session, actor=actor, data=_data(actor), now=NOW
    )
    token = scheduling.invite_candidates(
        session=session,
        actor=actor,
        interview_id=interview.id,
        candidate_ids=[people[0].id],
        now=NOW,
    )[people[0].id]
    slot_id = session.exec(select(OfferedSlot.id)).one()
    assert booking.book(session=session, token=token, slot_id=slot_id, now=NOW).outcome is (
        Outcome.BOOKED
    )
    first_day = MONDAY_10.replace(hour=0, minute=0)
    found = availability.wizard_availability(
        session=session,
        actor=actor,
        participant_ids=[actor.user_id],
        duration_minutes=45,
        buffer_minutes=15,
        first_day=first_day,
        days=1,
        grid_start=first_day,
        grid_days=1,
        now=NOW,
        limit=100,
    )
    end = MONDAY_10 + timedelta(minutes=45)
    assert found.booked == {actor.user_id: [(MONDAY_10, end)]}
    assert found.held == {}
    # The buffer keeps suggestions 15 minutes clear of the booked interview.
    assert all(
        s.end <= MONDAY_10 - timedelta(minutes=15) or s.start >= end + timedelta(minutes=15)
        for s in found.suggestions
    )
    assert found.suggestions
