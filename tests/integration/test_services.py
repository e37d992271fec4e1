"""Services validate input, name the field, and store nothing on bad input."""

import pytest
from sqlmodel import select

from planner.models import Candidate, Location
from planner.services import candidates, locations, staff
from planner.services.errors import InvalidInput
from tests.factories import account_with_admin, actor_for


@pytest.fixture
def actor(session):
    account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    return actor_for(admin, account)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "Evil\r\nBcc: x@y.z", "email": "e@mail.example"}, "name"),
        ({"name": "Ok", "email": "not-an-email"}, "email"),
        ({"name": "Ok", "email": "ok@mail.example", "locale": "de"}, "locale"),
        ({"name": "Ok", "email": "ok@mail.example", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "", "email": "ok@mail.example"}, "name"),
        ({"name": "Ok", "email": "ok@mail.example", "unknown": 1}, "unknown"),
    ],
)
def test_bad_candidate_input_names_the_field_and_stores_nothing(session, actor, data, field):
    with pytest.raises(InvalidInput) as caught:
        candidates.create_candidate(session=session, actor=actor, data=data)
    assert caught.value.field == field
    assert len(session.exec(select(Candidate)).all()) == 0


def test_candidate_round_trip_and_search(session, actor):
    created = candidates.create_candidate(
        session=session,
        actor=actor,
        data={"name": "Oskar Åberg", "email": "Oskar@Mail.Example", "locale": "sv"},
    )
    assert created.email == "oskar@mail.example"
    found = candidates.list_candidates(session=session, actor=actor, search="åberg")
    assert [c.id for c in found] == [created.id]
    updated = candidates.update_candidate(
        session=session, actor=actor, candidate_id=created.id, data={"phone": "+46 70 123 45 67"}
    )
    assert updated.phone == "+46 70 123 45 67"
    with pytest.raises(InvalidInput):
        candidates.update_candidate(
            session=session, actor=actor, candidate_id=created.id, data={"email": None}
        )


def test_location_names_are_unique_per_account(session, actor):
    locations.add_location(session=session, actor=actor, data={"name": "HQ", "address": "A 1"})
    with pytest.raises(InvalidInput) as caught:
        locations.add_location(session=session, actor=actor, data={"name": "HQ"})
    assert caught.value.field == "name"
    assert len(session.exec(select(Location)).all()) == 1


def test_the_last_admin_cannot_be_demoted(session, actor):
    with pytest.raises(InvalidInput):
        staff.update_staff_user(
            session=session, actor=actor, user_id=actor.user_id, data={"role": "recruiter"}
        )


def test_staff_without_email_exist_but_cannot_get_a_password(session, actor):
    row = staff.create_staff_user(
        session=session, actor=actor, data={"name": "No Mail", "role": "hiring_manager"}
    )
    assert row.email is None and row.sync_status == "not_invited"
    with pytest.raises(InvalidInput) as caught:
        staff.create_staff_user(
            session=session,
            actor=actor,
            data={"name": "No Mail 2", "role": "recruiter"},
            password="long enough password",
        )
    assert caught.value.field == "password"
