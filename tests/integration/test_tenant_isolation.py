"""A user of account A can neither read nor change account B's rows by id."""

import pytest

from planner.models import Candidate, Interview, Location, StaffUser
from planner.services import candidates, interviews, locations, staff
from planner.services.errors import NotFound, PermissionDenied
from tests.factories import (
    account_with_admin,
    actor_for,
    add_candidate,
    add_interview,
    add_location,
)


@pytest.fixture
def two_accounts(session):
    account_a, admin_a = account_with_admin(session, "Alpha", email="admin@alpha.example")
    account_b, admin_b = account_with_admin(session, "Beta", email="admin@beta.example")
    rows_b = {
        "candidate": add_candidate(session, account_b, "Bea Berg"),
        "location": add_location(session, account_b, "Beta HQ"),
        "interview": add_interview(session, account_b, admin_b),
        "user": admin_b,
    }
    return actor_for(admin_a, account_a), actor_for(admin_b, account_b), rows_b


def test_reads_of_another_accounts_rows_are_not_found(session, two_accounts):
    actor_a, _actor_b, b = two_accounts
    with pytest.raises(NotFound):
        candidates.get_candidate(session=session, actor=actor_a, candidate_id=b["candidate"].id)
    with pytest.raises(NotFound):
        locations.get_location(session=session, actor=actor_a, location_id=b["location"].id)
    with pytest.raises(NotFound):
        interviews.get_interview(session=session, actor=actor_a, interview_id=b["interview"].id)
    with pytest.raises(NotFound):
        staff.get_staff_user(session=session, actor=actor_a, user_id=b["user"].id)


def test_lists_hold_only_the_own_account(session, two_accounts):
    actor_a, actor_b, b = two_accounts
    assert candidates.list_candidates(session=session, actor=actor_a) == []
    assert locations.list_locations(session=session, actor=actor_a) == []
    assert interviews.list_interviews(session=session, actor=actor_a) == []
    assert [u.name for u in staff.list_staff(session=session, actor=actor_a)] == ["Alpha Admin"]
    assert [c.name for c in candidates.list_candidates(session=session, actor=actor_b)] == [
        "Bea Berg"
    ]


def test_changes_to_another_accounts_rows_are_refused_and_change_nothing(session, two_accounts):
    actor_a, _actor_b, b = two_accounts
    attempts = [
        lambda: candidates.update_candidate(
            session=session, actor=actor_a, candidate_id=b["candidate"].id, data={"name": "Hacked"}
        ),
        lambda: candidates.delete_candidate(
            session=session, actor=actor_a, candidate_id=b["candidate"].id
        ),
        lambda: locations.update_location(
            session=session, actor=actor_a, location_id=b["location"].id, data={"name": "Hacked"}
        ),
        lambda: locations.remove_location(
            session=session, actor=actor_a, location_id=b["location"].id
        ),
        lambda: interviews.rename_interview(
            session=session, actor=actor_a, interview_id=b["interview"].id, title="Hacked"
        ),
        lambda: staff.update_staff_user(
            session=session, actor=actor_a, user_id=b["user"].id, data={"name": "Hacked"}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    session.expire_all()
    assert session.get(Candidate, b["candidate"].id).name == "Bea Berg"
    assert session.get(Location, b["location"].id).name == "Beta HQ"
    assert session.get(Interview, b["interview"].id).title == "First interview"
    assert session.get(StaffUser, b["user"].id).name == "Beta Admin"


def test_a_candidate_cannot_be_moved_to_another_accounts_job(session, two_accounts):
    from planner.models import Job

    actor_a, _actor_b, b = two_accounts
    own = candidates.create_candidate(
        session=session, actor=actor_a, data={"name": "Ann Alpha", "email": "ann@alpha.example"}
    )
    foreign_job = Job(account_id=b["candidate"].account_id, title="Beta job")
    session.add(foreign_job)
    session.commit()
    with pytest.raises(Exception, match="job_id"):
        candidates.update_candidate(
            session=session, actor=actor_a, candidate_id=own.id, data={"job_id": foreign_job.id}
        )


def test_only_admins_manage_staff(session, two_accounts):
    actor_a, *_ = two_accounts
    recruiter = staff.create_staff_user(
        session=session,
        actor=actor_a,
        data={"name": "Rita Recruiter", "email": "rita@alpha.example", "role": "recruiter"},
    )
    from dataclasses import replace

    from planner.domain.vocabulary import Role

    as_recruiter = replace(actor_a, user_id=recruiter.id, role=Role.RECRUITER)
    with pytest.raises(PermissionDenied):
        staff.update_staff_user(
            session=session, actor=as_recruiter, user_id=actor_a.user_id, data={"role": "recruiter"}
        )
    with pytest.raises(PermissionDenied):
        staff.create_staff_user(
            session=session, actor=as_recruiter, data={"name": "X", "role": "admin"}
        )
