"""The calendar's entries filtered in the database (all / mine / one job, never another
account's), and the candidate profile's times still offered, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from planner.domain.vocabulary import Role
from planner.models import Interview, Job, StaffUser
from planner.models.base import utcnow
from planner.services import booking, candidate_profile, interviews, scheduling
from planner.services.errors import InvalidInput
from tests.factories import account_with_admin, actor_for, add_candidate


@pytest.fixture
def world(session: Session):
    now = utcnow().replace(microsecond=0)
    account, admin = account_with_admin(session, "Acme", email="astrid@acme.example")
    colleague = StaffUser(
        account_id=account.id, name="Mads Jensen", email="mads@acme.example",
        role=Role.RECRUITER.value,
    )  # fmt: skip
    job = Job(account_id=account.id, title="Backend engineer")
    session.add_all([colleague, job])
    session.commit()
    admin_actor, colleague_actor = actor_for(admin, account), actor_for(colleague, account)
    freja = add_candidate(session, account, "Freja Nielsen")
    elin = add_candidate(session, account, "Elin Johansson")
    start = now + timedelta(days=3)

    def make(actor, title, participant_ids, hours, job_id=None):  # noqa: ANN001, ANN202
        detail = scheduling.create_interview(
            session=session, actor=actor, now=now,
            data={"title": title, "duration_minutes": 30, "participant_ids": participant_ids,
                  "slots": [start + timedelta(hours=h) for h in hours]},
        )  # fmt: skip
        if job_id is not None:
            row = session.get(Interview, detail.id)
            row.job_id = job_id
            session.commit()
        return detail

    # Astrid organises "Own"; Mads organises "Joined" with Astrid taking part; Mads alone
    # organises "Theirs" (for the job).
    own = make(admin_actor, "Own", [admin.id], (0, 1))
    joined = make(colleague_actor, "Joined", [colleague.id, admin.id], (2,))
    theirs = make(colleague_actor, "Theirs", [colleague.id], (3,), job_id=job.id)
    tokens = scheduling.invite_candidates(
        session=session, actor=admin_actor, interview_id=own.id,
        candidate_ids=[freja.id, elin.id], now=now,
    )  # fmt: skip
    for detail in (joined, theirs):
        scheduling.invite_candidates(
            session=session, actor=colleague_actor, interview_id=detail.id,
            candidate_ids=[elin.id], now=now,
        )  # fmt: skip
    assert booking.book(
        session=session, token=tokens[freja.id], slot_id=own.slots[0].id, now=now
    ).ok
    beta, beta_admin = account_with_admin(session, "Beta", email="bo@beta.example")
    beta_actor = actor_for(beta_admin, beta)
    beta_talk = make(beta_actor, "Beta talk", [beta_admin.id], (0,))
    scheduling.invite_candidates(
        session=session, actor=beta_actor, interview_id=beta_talk.id,
        candidate_ids=[add_candidate(session, beta, "Bo Berg").id], now=now,
    )  # fmt: skip
    return {
        "admin": admin_actor, "colleague": colleague_actor, "beta": beta_actor, "job": job,
        "start": start, "now": now, "elin": elin, "freja": freja, "own": own,
    }  # fmt: skip


def _titles(session, actor, start, **filters) -> list[tuple[str, str]]:  # noqa: ANN001
    found = interviews.calendar_entries(
        session=session, actor=actor, start=start - timedelta(hours=1),
        end=start + timedelta(days=1), **filters,
    )  # fmt: skip
    return [(entry.title, entry.kind) for entry in found]


def test_all_mine_and_by_job_are_filtered_in_the_database(session, world):
    start, admin = world["start"], world["admin"]
    assert _titles(session, admin, start) == [
        ("Own", "booked"), ("Own", "offered"), ("Joined", "offered"), ("Theirs", "offered"),
    ]  # fmt: skip
    # Mine: organised by me or with me as a participant.
    assert [t for t, _ in _titles(session, admin, start, mine=True)] == ["Own", "Own", "Joined"]
    assert [t for t, _ in _titles(session, world["colleague"], start, mine=True)] == [
        "Joined",
        "Theirs",
    ]
    assert _titles(session, admin, start, job_id=world["job"].id) == [("Theirs", "offered")]
    # Another account sees only its own, whatever job id it names.
    assert _titles(session, world["beta"], start) == [("Beta talk", "offered")]
    assert _titles(session, world["beta"], start, job_id=world["job"].id) == []


def test_a_range_longer_than_62_days_is_refused(session, world):
    start = world["start"]
    with pytest.raises(InvalidInput):
        interviews.calendar_entries(
            session=session, actor=world["admin"], start=start, end=start + timedelta(days=63)
        )


def test_the_profile_lists_the_times_still_offered_to_a_candidate_choosing(session, world):
    profile = candidate_profile.candidate_profile(
        session=session, actor=world["admin"], candidate_id=world["elin"].id
    )
    by_title = {item.title: item for item in profile.interviews}
    # Freja booked the first time of "Own" (one seat): Elin can choose only the second.
    assert [start for start, _end in by_title["Own"].offered] == [
        world["start"] + timedelta(hours=1),
    ]
    # Past times are not offered either.
    later = candidate_profile.candidate_profile(
        session=session, actor=world["admin"], candidate_id=world["elin"].id,
        now=world["start"] + timedelta(hours=1, minutes=5),
    )  # fmt: skip
    assert {item.title: item for item in later.interviews}["Own"].offered == ()
    booked = candidate_profile.candidate_profile(
        session=session, actor=world["admin"], candidate_id=world["freja"].id
    )
    assert booked.interviews[0].offered == ()  # booked: no list of other times
    assert [b.status for b in booked.interviews[0].bookings] == ["active"]
