"""50-way contention for one slot on PostgreSQL, with a CPU load running beside it, against a
bare INSERT+COMMIT baseline."""

import multiprocessing
import os
import secrets
import statistics
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import create_engine, text
from sqlmodel import Session

CONTENDERS = 50
ROUNDS = 12
BASELINE_INSERTS = 600
ADMIN_DSN = os.environ.get("PLANNER_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# Busy processes beside the contenders (one per core by default): the machine is never idle
# in production, and the booking must stay short then too.
CPU_LOAD = int(os.environ.get("PLANNER_BENCH_CPU_LOAD", str(os.cpu_count() or 2)))


def _burn(stop) -> None:  # type: ignore[no-untyped-def]
    """Spin on the CPU until `stop` is set."""
    count = 0
    while not stop.is_set():
        for _ in range(100_000):
            count += 1


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _setup(engine, now: datetime):  # type: ignore[no-untyped-def]
    from planner.domain.vocabulary import Role
    from planner.models import Account, Candidate, StaffUser
    from planner.services import scheduling
    from planner.services.actor import Actor

    with Session(engine, expire_on_commit=False) as session:
        account = Account(name="Bench")
        session.add(account)
        session.flush()
        admin = StaffUser(account_id=account.id, name="Bench Admin", role=Role.ADMIN.value)
        session.add(admin)
        session.flush()
        candidates = [
            Candidate(account_id=account.id, name=f"Candidate {n}", email=f"c{n}@mail.example")
            for n in range(CONTENDERS)
        ]
        session.add_all(candidates)
        session.commit()
        actor = Actor(
            user_id=admin.id, account_id=account.id, account_name="Bench", name=admin.name,
            email=None, role=Role.ADMIN, time_zone="UTC", locale="en",
        )  # fmt: skip
        rounds = []
        for n in range(ROUNDS + PROCESSES):
            interview = scheduling.create_interview(
                session=session,
                actor=actor,
                data={
                    "title": f"Round {n}",
                    "duration_minutes": 30,
                    "participant_ids": [admin.id],
                    "slots": [now + timedelta(days=1, hours=n)],
                },
                now=now,
            )
            invited = candidates if n < ROUNDS else candidates[:1]  # the rest: warm-ups
            tokens = scheduling.invite_candidates(
                session=session, actor=actor, interview_id=interview.id,
                candidate_ids=[c.id for c in invited], now=now,
            )  # fmt: skip
            rounds.append((interview.slots[0].id, list(tokens.values())))
    return rounds


PROCESSES = 10  # like several web workers, each serving requests on a few threads
_worker: dict = {}


def _init_worker(url: str, barrier, warm_barrier, now: datetime) -> None:  # type: ignore[no-untyped-def]
    _worker.update(
        engine=create_engine(url, pool_size=CONTENDERS // PROCESSES + 1, max_overflow=0),
        barrier=barrier,
        warm_barrier=warm_barrier,
        now=now,
    )


def _warm_up(slot_id: int, token: str) -> str:
    """Book once in this worker process (the barrier spreads one call to each process), so
    that its statements are compiled before the measured rounds, as in a running server."""
    from planner.services import booking

    _worker["warm_barrier"].wait()
    with Session(_worker["engine"], expire_on_commit=False) as session:
        return booking.book(
            session=session, token=token, slot_id=slot_id, now=_worker["now"]
        ).outcome.value


def _contend_in_worker(slot_id: int, tokens: list[str]) -> list[tuple[str, float]]:
    """One web worker's share of the contenders: each thread waits at the barrier shared by
    all 50, then books; latency is measured from the release."""
    from planner.services import booking

    engine, barrier, now = _worker["engine"], _worker["barrier"], _worker["now"]

    def attempt(token: str) -> tuple[str, float]:
        with Session(engine, expire_on_commit=False) as session:
            session.connection()  # a checked-out connection, as in a warm web worker
            session.rollback()
            barrier.wait()
            started = time.perf_counter()
            outcome = booking.book(session=session, token=token, slot_id=slot_id, now=now)
            return outcome.outcome.value, (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=len(tokens)) as threads:
        return list(threads.map(attempt, tokens))


def _baseline(engine) -> list[float]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE bench_insert (id serial PRIMARY KEY, note text)"))
        conn.commit()
        samples = []
        for n in range(BASELINE_INSERTS):
            started = time.perf_counter()
            conn.execute(text("INSERT INTO bench_insert (note) VALUES (:n)"), {"n": str(n)})
            conn.commit()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _round(pool, slot_id: int, tokens: list[str], share: int) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    parts = [tokens[n * share : (n + 1) * share] for n in range(PROCESSES)]
    return [
        result
        for part in pool.map(_contend_in_worker, [slot_id] * PROCESSES, parts)
        for result in part
    ]


def run() -> Iterable[dict]:
    """One JSON line: winners per slot, booking latency under contention, and its p99 over
    the p99 of a bare one-row INSERT+COMMIT measured on the same server in the same run."""
    os.environ.setdefault("PLANNER_ENV", "test")
    os.environ.setdefault("PLANNER_SECRET_KEY", secrets.token_urlsafe(48))
    from planner.db import make_engine
    from planner.services import notifications  # noqa: F401 - the real mail outbox is timed too

    name = f"planner_bench_{secrets.token_hex(4)}"
    base = ADMIN_DSN.rsplit("/", 1)[0]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://")
        from alembic.config import Config

        from alembic import command
        from planner.settings import ROOT_DIR

        config = Config(str(ROOT_DIR / "alembic.ini"))
        config.attributes["database_url"] = url
        command.upgrade(config, "head")
        engine = make_engine(url)
        engine.dispose()
        engine = create_engine(url, pool_size=CONTENDERS + 5, max_overflow=0)
        now = datetime.now(UTC)
        rounds = _setup(engine, now)
        latencies: list[float] = []
        winners: list[int] = []
        unexpected: list[str] = []
        winner_ms: list[float] = []
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(CONTENDERS)
        warm_barrier = context.Barrier(PROCESSES)
        share = CONTENDERS // PROCESSES
        with ProcessPoolExecutor(
            PROCESSES,
            mp_context=context,
            initializer=_init_worker,
            initargs=(url, barrier, warm_barrier, now),
        ) as pool:
            warm = rounds[ROUNDS:]
            assert set(pool.map(_warm_up, [s for s, _ in warm], [t[0] for _, t in warm])) == {
                "booked"
            }
            stop_load = context.Event()
            load = [context.Process(target=_burn, args=(stop_load,)) for _ in range(CPU_LOAD)]
            for process in load:
                process.start()
            try:
                results_by_round = [
                    _round(pool, slot_id, tokens, share) for slot_id, tokens in rounds[:ROUNDS]
                ]
            finally:
                stop_load.set()
                for process in load:
                    process.join()
            for results in results_by_round:
                winner_ms += [ms for outcome, ms in results if outcome == "booked"]
                winners.append(sum(1 for outcome, _ in results if outcome == "booked"))
                unexpected += [o for o, _ in results if o not in ("booked", "slot_taken")]
                latencies += [ms for _, ms in results]
        baseline = _baseline(engine)
        engine.dispose()
        p99 = _percentile(latencies, 0.99)
        yield {
            "bench": "booking",
            "backend": "postgresql",
            "contenders": CONTENDERS,
            "rounds": ROUNDS,
            "cpu_load_processes": CPU_LOAD,
            "winners": max(winners) if min(winners) == max(winners) else winners,
            "other_outcomes": len(unexpected),
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(p99, 2),
            "winner_max_ms": round(max(winner_ms), 2),
            "insert_p99_ms": round(_percentile(baseline, 0.99), 3),
            "ratio_to_insert": round(p99 / _percentile(baseline, 0.99), 1),
        }
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
