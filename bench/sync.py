"""1,000 Google connections polled against a 100 ms fake, and booking-to-Radicale event latency."""

import asyncio
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

USERS = 1000
PROVIDER_DELAY = 0.1
EVENT_SAMPLES = 20
KEEP_ALIVE_SECONDS = 75


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _google_app():  # type: ignore[no-untyped-def]
    """Enough of Google Calendar v3 events.list for the provider: two events per calendar,
    one page, a sync token; every answer after PROVIDER_DELAY."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0)

    async def events(request: Request) -> JSONResponse:
        await asyncio.sleep(PROVIDER_DELAY)
        calendar = request.path_params["calendar"]
        items = [
            {
                "kind": "calendar#event",
                "id": f"{calendar}-{n}",
                "status": "confirmed",
                "start": {"dateTime": (day + timedelta(hours=2 * n)).isoformat()},
                "end": {"dateTime": (day + timedelta(hours=2 * n + 1)).isoformat()},
            }
            for n in range(2)
        ]
        return JSONResponse({"kind": "calendar#events", "items": items, "nextSyncToken": "t1"})

    return Starlette(routes=[Route("/calendar/v3/calendars/{calendar}/events", events)])


class _FakeGoogle:
    """The fake Google in its own process (uvicorn), so that it shares no GIL with the
    poller being measured."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(  # noqa: S603 - uvicorn serving this module's app
            [sys.executable, "-m", "uvicorn", "bench.sync:_google_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
             "--backlog", "4096", "--no-access-log",
             # Longer than httpx's 5 s keepalive_expiry, as real providers keep idle
             # connections: uvicorn's default 5 s closed connections as they were reused.
             "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)],
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                return url
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the fake Google did not start") from None
                time.sleep(0.05)

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _start_radicale(folder: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - the radicale package's own entry point
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(folder), "--auth-type", "none",
         "--logging-level", "error"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url, timeout=1)
            return process, url
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("radicale did not start") from None
            time.sleep(0.05)


def _seed_connections(settings, base: str) -> None:  # type: ignore[no-untyped-def]
    """USERS staff users, each with a synced Google connection (tokens encrypted)."""
    from planner.db import session_scope
    from planner.integrations.calendar.base import Credentials, OAuthTokens
    from planner.integrations.crypto import encrypt_credentials
    from planner.models import Account, CalendarConnection, StaffUser

    far = datetime.now(UTC) + timedelta(days=30)
    with session_scope() as session:
        account = Account(name="Bench sync")
        session.add(account)
        session.flush()
        users = [
            StaffUser(account_id=account.id, name=f"User {n}", email=f"u{n}@bench.example",
                      role="recruiter")
            for n in range(USERS)
        ]  # fmt: skip
        session.add_all(users)
        session.flush()
        for user in users:
            tokens = OAuthTokens(access_token=secrets.token_urlsafe(24), refresh_token="r",
                                 expires_at=far)  # fmt: skip
            session.add(
                CalendarConnection(
                    account_id=account.id,
                    staff_user_id=user.id,
                    provider="google",
                    status="synced",
                    calendar_id=f"u{user.id}@bench.example",
                    encrypted_credentials=encrypt_credentials(Credentials(tokens=tokens), settings),
                )
            )
        session.commit()


async def _raw_round(base: str, calendar_ids: list[str], concurrency: int) -> float:
    """The same 1,000 GETs with plain httpx under the same concurrency limit."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        timeout=30, limits=httpx.Limits(max_connections=None, max_keepalive_connections=200)
    ) as http:

        async def one(calendar_id: str) -> None:
            async with limit:
                answer = await http.get(
                    f"{base}/calendar/v3/calendars/{calendar_id}/events",
                    params={"singleEvents": "true", "maxResults": "250"},
                    headers={"Authorization": "Bearer x"},
                )
                answer.raise_for_status()
                answer.json()

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in calendar_ids))
        return time.perf_counter() - started


def _event_setup(settings, radicale_url: str):  # type: ignore[no-untyped-def]
    """An interview whose one participant's calendar is on Radicale, with EVENT_SAMPLES
    invited candidates and slots; returns what booking needs."""
    from planner.db import session_scope
    from planner.domain.vocabulary import Role
    from planner.integrations.calendar.base import Credentials
    from planner.integrations.crypto import encrypt_credentials
    from planner.models import Account, CalendarConnection, Candidate, StaffUser
    from planner.services import scheduling
    from planner.services.actor import Actor

    cal_url = f"{radicale_url}panel/bench/"
    httpx.request("MKCALENDAR", cal_url, auth=("panel", "x")).raise_for_status()
    now = datetime.now(UTC)
    with session_scope() as session:
        account = Account(name="Bench events")
        session.add(account)
        session.flush()
        admin = StaffUser(account_id=account.id, name="Organiser", role="admin")
        panel = StaffUser(account_id=account.id, name="Panel", email="panel@bench.example",
                          role="hiring_manager")  # fmt: skip
        session.add_all([admin, panel])
        session.flush()
        session.add(
            CalendarConnection(
                account_id=account.id, staff_user_id=panel.id, provider="caldav",
                status="synced", server_url=radicale_url, calendar_id=cal_url,
                encrypted_credentials=encrypt_credentials(
                    Credentials(username="panel", password="x"), settings),
            )
        )  # fmt: skip
        candidates = [
            Candidate(account_id=account.id, name=f"C {n}", email=f"c{n}@mail.example")
            for n in range(EVENT_SAMPLES)
        ]
        session.add_all(candidates)
        session.commit()
        actor = Actor(
            user_id=admin.id, account_id=account.id, account_name=account.name,
            name=admin.name, email=None, role=Role.ADMIN, time_zone="UTC", locale="en",
        )  # fmt: skip
        interview = scheduling.create_interview(
            session=session,
            actor=actor,
            data={
                "title": "Bench interview",
                "duration_minutes": 30,
                "participant_ids": [panel.id],
                "slots": [now + timedelta(days=3, hours=n) for n in range(EVENT_SAMPLES)],
            },
            now=now,
        )
        tokens = scheduling.invite_candidates(
            session=session, actor=actor, interview_id=interview.id,
            candidate_ids=[c.id for c in candidates], now=now,
        )  # fmt: skip
        slots = [slot.id for slot in interview.slots]
        return cal_url, [(tokens[c.id], slot) for c, slot in zip(candidates, slots, strict=True)]


def _book(token: str, slot_id: int) -> int:
    from planner.db import session_scope
    from planner.services import booking

    with session_scope() as session:
        result = booking.book(session=session, token=token, slot_id=slot_id,
                              now=datetime.now(UTC))  # fmt: skip
        assert result.outcome == booking.Outcome.BOOKED, result.outcome
        assert result.booking_id is not None
        return result.booking_id


def _event_key(booking_id: int) -> str | None:
    """The booking's calendar event key, once the worker expanded the booking (a booking
    records one outbox row; the calendar job turns it into calendar rows)."""
    from sqlmodel import select

    from planner.db import session_scope
    from planner.models import ProviderEventLink

    with session_scope() as session:
        return session.exec(
            select(ProviderEventLink.event_key).where(ProviderEventLink.booking_id == booking_id)
        ).first()


async def _event_latencies(settings, cal_url: str, bookings) -> list[float]:  # type: ignore[no-untyped-def]
    """Book one at a time; the calendar job runs as the worker's cron does (every even
    second); time from the booking call until Radicale serves the event."""
    from planner.jobs import calendar as calendar_job

    stop = asyncio.Event()

    async def cron_loop() -> None:
        while not stop.is_set():
            await asyncio.sleep(2 - time.time() % 2)
            await calendar_job.run_due(settings=settings)

    loop_task = asyncio.create_task(cron_loop())
    samples = []
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for token, slot_id in bookings:
                started = time.perf_counter()
                booking_id = await asyncio.to_thread(_book, token, slot_id)
                while (key := await asyncio.to_thread(_event_key, booking_id)) is None:
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("the booking was not expanded within 60 s")
                    await asyncio.sleep(0.02)
                while (
                    await http.get(f"{cal_url}{key}.ics", auth=("panel", "x"))
                ).status_code != 200:
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("event did not appear within 60 s")
                    await asyncio.sleep(0.02)
                samples.append(time.perf_counter() - started)
    finally:
        stop.set()
        await loop_task
    return samples


def run() -> Iterable[dict]:
    """One JSON line: a real poll round over 1,000 synced Google connections against a
    fake answering after 100 ms, against plain httpx doing the same calls, and booking ->
    event on Radicale latency through the calendar outbox."""
    folder = Path(tempfile.mkdtemp(prefix="planner-bench-sync-"))
    saved = dict(os.environ)
    radicale = None
    try:
        with _FakeGoogle() as base:
            os.environ.update(
                PLANNER_ENV="test",
                PLANNER_SECRET_KEY=secrets.token_urlsafe(48),
                PLANNER_DATABASE_URL=f"sqlite:///{folder / 'planner.db'}",
                PLANNER_GOOGLE_API_BASE=base,
                PLANNER_SMTP_PORT=str(_free_port()),
            )
            from alembic.config import Config

            from alembic import command
            from planner import db
            from planner.jobs.sync import poll_round
            from planner.settings import ROOT_DIR, get_settings

            get_settings.cache_clear()
            db.get_engine.cache_clear()
            settings = get_settings()
            config = Config(str(ROOT_DIR / "alembic.ini"))
            config.attributes["database_url"] = settings.database_url
            command.upgrade(config, "head")
            _seed_connections(settings, base)
            ids = [f"u{n}@bench.example" for n in range(1, USERS + 1)]

            report = asyncio.run(poll_round(settings=settings))  # warm-up and first full sync
            assert report.ok == USERS, report
            from sqlalchemy import update

            from planner.models import CalendarConnection

            with db.session_scope() as session:  # due again: the next round is measured
                session.exec(update(CalendarConnection).values(last_synced_at=None,
                                                               sync_cursor=None))  # fmt: skip
                session.commit()
            started = time.perf_counter()
            report = asyncio.run(poll_round(settings=settings))
            round_s = time.perf_counter() - started
            assert report.ok == USERS, report
            raw_s = asyncio.run(_raw_round(base, ids, settings.sync_concurrency))

        radicale, radicale_url = _start_radicale(folder / "radicale")
        cal_url, bookings = _event_setup(settings, radicale_url)
        samples = asyncio.run(_event_latencies(settings, cal_url, bookings))
        ordered = sorted(samples)
        yield {
            "bench": "sync",
            "users": USERS,
            "concurrency": settings.sync_concurrency,
            "provider_delay_s": PROVIDER_DELAY,
            "round_s": round(round_s, 2),
            "raw_s": round(raw_s, 2),
            "ratio_to_raw": round(round_s / raw_s, 2),
            "event_samples": len(samples),
            "event_p50_s": round(statistics.median(samples), 2),
            "event_p95_s": round(
                ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2
            ),
        }
    finally:
        if radicale is not None:
            radicale.terminate()
            radicale.wait(timeout=10)
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(folder, ignore_errors=True)
