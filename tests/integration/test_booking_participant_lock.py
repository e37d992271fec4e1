"""Bookings that share a participant are decided one after the other only when their times
overlap: overlapping ones never both succeed, others never wait for each other's lock
(issue 15: 200 candidates of one interviewer queued behind one row lock)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

from sqlmodel import Session, select

from planner.models import Booking
from planner.services import booking, scheduling
from planner.services.booking import Outcome
from tests.factories import NOW, account_with_admin, actor_for, add_candidate

SLOT = NOW + timedelta(days=2)


def _race(engine, starts, rounds: int = 5):  # type: ignore[no-untyped-def]
    """For each round: one interview per start, all with the same participant, one
    candidate each, booking at once; returns the outcomes per round."""
    results = []
    with Session(engine, expire_on_commit=False) as session:
        account, admin = account_with_admin(session, "Lock", email="admin@lock.example")
        actor = actor_for(admin, account)
        rounds_of_pairs = []
        for r in range(rounds):
            pairs = []
            for n, start in enumerate(starts):
                person = add_candidate(session, account, f"Person {r} {n}")
                interview = scheduling.create_interview(
                    session=session, actor=actor, now=NOW,
                    data={"title": "Panel", "duration_minutes": 60,
                          "participant_ids": [admin.id],
                          "slots": [start + timedelta(days=r)]},
                )  # fmt: skip
                token = scheduling.invite_candidates(
                    session=session, actor=actor, interview_id=interview.id,
                    candidate_ids=[person.id], now=NOW,
                )[person.id]  # fmt: skip
                pairs.append((token, interview.slots[0].id))
            rounds_of_pairs.append(pairs)
    for pairs in rounds_of_pairs:
        barrier = Barrier(len(pairs))

        def attempt(pair, barrier=barrier):  # type: ignore[no-untyped-def]
            barrier.wait()
            with Session(engine, expire_on_commit=False) as own:
                return booking.book(session=own, token=pair[0], slot_id=pair[1], now=NOW).outcome

        with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
            results.append(list(pool.map(attempt, pairs)))
    return results


def test_overlapping_times_of_one_participant_are_never_both_booked(engine):
    # 09:00-10:00 and 09:30-10:30 (crossing an hour), 09:59-10:59: all overlap the first.
    starts = [SLOT, SLOT + timedelta(minutes=30), SLOT + timedelta(minutes=59)]
    for outcomes in _race(engine, starts):
        booked = [n for n, outcome in enumerate(outcomes) if outcome is Outcome.BOOKED]
        # Every two of these times overlap: one booking, the others refused.
        assert len(booked) == 1, outcomes
        assert all(o in (Outcome.BOOKED, Outcome.SLOT_UNAVAILABLE) for o in outcomes)


def test_separate_times_of_one_participant_are_all_booked(engine):
    starts = [SLOT + timedelta(hours=2 * n) for n in range(4)]
    for outcomes in _race(engine, starts):
        assert outcomes == [Outcome.BOOKED] * 4
    with Session(engine) as session:
        assert len(session.exec(select(Booking)).all()) == 20
