"""The demo account is complete and seeding twice changes nothing."""

from collections import Counter

from sqlmodel import select

from planner.models import (
    Account,
    Candidate,
    CandidateInvitation,
    Interview,
    Job,
    Location,
    OfferedSlot,
    OutboxMessage,
    StaffUser,
    WorkingHours,
)
from planner.services import auth
from planner.services.demo import DEMO_ADMIN_EMAIL, seed_demo
from tests.factories import NOW


def _counts(session):
    return {
        model.__name__: len(session.exec(select(model)).all())
        for model in (Account, StaffUser, Job, Candidate, Location, WorkingHours)
    }


def test_demo_seed_is_complete_and_idempotent(session):
    first = seed_demo(session=session, password="demo-password")
    counts = _counts(session)
    again = seed_demo(session=session, password="demo-password")
    assert first.created and not again.created and first.account_id == again.account_id
    assert _counts(session) == counts
    assert counts["Account"] == 1 and counts["Job"] == 2
    assert counts["Candidate"] == 8 and counts["Location"] == 3

    staff = session.exec(select(StaffUser)).all()
    assert Counter(u.role for u in staff) == {"admin": 1, "recruiter": 3, "hiring_manager": 2}
    without_email = [u for u in staff if u.email is None]
    assert len(without_email) == 1 and without_email[0].role == "hiring_manager"
    locales = {c.locale for c in session.exec(select(Candidate)).all()}
    assert locales == {"en", "da", "sv", "nb", "fi"}

    interviews = session.exec(select(Interview)).all()
    assert len(interviews) == 1 and interviews[0].status == "open"
    assert len(session.exec(select(CandidateInvitation)).all()) == 3
    assert len(session.exec(select(OfferedSlot)).all()) == 6
    requests = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notification")).all()
    assert sorted(r.payload["name"] for r in requests) == ["interview_invitation"] * 3

    signed_in = auth.sign_in(
        session=session, email=DEMO_ADMIN_EMAIL, password="demo-password", now=NOW
    )
    assert signed_in.actor.is_admin and signed_in.actor.account_name == "Demo"
