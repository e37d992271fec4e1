"""Scale-out soak: 2 web processes behind one port and 2 workers on PostgreSQL and Redis;
simulated candidates open their (server-rendered) booking pages and book while a few race
for the same time; one web process and one worker are SIGKILLed and started again midway,
and Redis is restarted once. Then: no double booking, every mail and calendar event once.

PLANNER_SOAK_CANDIDATES (default 200) and PLANNER_SOAK_RACERS (default 10) size it; the test
suite runs a short form."""

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get("PLANNER_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
GROUP = 10  # candidates per interview (each books its own slot of it)
TRIES = 8  # a candidate whose page fails reconnects, as the browser does


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"soak: timed out waiting for {what}")
        time.sleep(0.2)


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - local URL
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


# --- the processes ------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the soak's own on a fixed port (the machine's shared Redis on 6379
    is never restarted)."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("soak: redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        _wait(lambda: _port_open(self.port), 30, "redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Proxy:
    """One port in front of the web processes (TCP, so websockets pass): each new
    connection goes to the next backend that accepts it. Runs in a process of its own
    (`python -m bench.soak proxy PORT BACKEND...`), as a real load balancer would, so that
    it shares no interpreter lock with the simulated candidates."""

    def __init__(self, backends: list[int], record: Path) -> None:
        self.port = _free_port()
        self.backends = backends
        self.record = record
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this module, as a proxy
            [sys.executable, "-m", "bench.soak", "proxy", str(self.record), str(self.port),
             *map(str, self.backends)],
            cwd=ROOT, start_new_session=True,
        )  # fmt: skip
        _wait(lambda: _port_open(self.port), 30, "the proxy")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


async def _proxy_main(port: int, backends: list[int], record: str = "") -> None:
    """The proxy's loop. With `record`, one line per request is appended to that file: the
    request line's start and the milliseconds from its first byte passing through to the
    answer's first byte coming back (what the server and the network took, without the
    client's own delays)."""
    turn = 0
    sink_file = open(record, "a", buffering=1) if record else None  # noqa: SIM115, PTH123
    loop = asyncio.get_running_loop()

    async def pipe(
        source: asyncio.StreamReader, sink: asyncio.StreamWriter, exchange: dict, upward: bool
    ) -> None:
        try:
            while data := await source.read(65536):
                if sink_file is not None:
                    if upward and exchange.get("at") is None:
                        exchange["at"] = loop.time()
                        exchange["head"] = data[:80].split(b"\r\n", 1)[0].decode("latin-1")
                    elif not upward and exchange.get("at") is not None:
                        took = (loop.time() - exchange.pop("at")) * 1000
                        sink_file.write(f"{took:.1f} {exchange['head']}\n")
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal turn
        upstream = None
        for _ in range(len(backends)):
            backend = backends[turn % len(backends)]
            turn += 1
            with contextlib.suppress(OSError):
                upstream = await asyncio.open_connection("127.0.0.1", backend)
                break
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
        exchange: dict = {}
        await asyncio.gather(
            pipe(reader, up_writer, exchange, True), pipe(up_reader, writer, exchange, False)
        )

    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own executables
            self.args, cwd=ROOT, env=self.env, stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_mb(self) -> float:
        import psutil

        if self.process is None or self.process.poll() is not None:
            return 0.0
        try:
            root = psutil.Process(self.process.pid)
            return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
        except psutil.Error:
            return 0.0


# --- mail and calendar peers --------------------------------------------------------------


class MailSink:
    """An SMTP server recording the Message-ID of every mail it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = _free_port()
        self.received: list[str] = []
        outer = self

        class Handler:
            async def handle_DATA(self, _server, _session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
                from email import message_from_bytes

                message = message_from_bytes(envelope.original_content or envelope.content)
                outer.received.append(str(message.get("Message-ID", "")))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# --- the simulated candidates ------------------------------------------------------------


@dataclass
class Visit:
    """One candidate's visit: open the page, choose the time, book."""

    outcome: str = "failed"
    load_ms: float | None = None
    book_ms: float | None = None
    tries: int = 0
    book_at: float | None = None
    book_server: dict = field(default_factory=dict)
    load_server: dict = field(default_factory=dict)
    notice: str = ""
    errors: list[str] = field(default_factory=list)


def visit_booking_page(
    base_url: str, link_token: str, slot_id: int, timeout: float = 60, tries: int = TRIES
) -> Visit:
    """Open /book/<token> as a phone's browser does (one GET: the server-rendered page with
    the offered times), then book the slot with the page's form (POST, 303 back with the
    outcome); retry on failure. Outcome: booked, taken or failed."""
    import httpx

    visit = Visit()
    path = f"/book/{link_token}"
    headers = {"Origin": base_url, "Accept-Language": "en"}
    for attempt in range(tries):
        visit.tries = attempt + 1
        try:
            with httpx.Client(base_url=base_url, timeout=timeout, headers=headers) as client:
                started = time.perf_counter()
                page = client.get(path)
                if page.status_code != 200:
                    raise RuntimeError(f"page answered {page.status_code}")
                visit.load_ms = (time.perf_counter() - started) * 1000
                visit.load_server = _server_timing(page.headers)
                if "?view=cancel" in page.text:  # booked on an earlier try; the answer was lost
                    visit.outcome = "booked"
                    return visit
                booking_started = time.perf_counter()
                answer = client.post(f"{path}/book", data={"slot": str(slot_id)})
                visit.book_ms = (time.perf_counter() - booking_started) * 1000
                visit.book_at = booking_started
                visit.book_server = _server_timing(answer.headers)
                if answer.status_code != 303:
                    raise RuntimeError(f"booking answered {answer.status_code}")
                done = parse_qs(urlsplit(answer.headers["location"]).query).get("done", [""])[0]
                visit.notice = done
                if done in ("booked", "already_booked"):
                    visit.outcome = "booked"
                elif done in ("taken", "unavailable"):
                    visit.outcome = "taken"
                else:
                    raise RuntimeError(f"booking ended with {done!r}")
                return visit
        except Exception as exc:  # noqa: BLE001 - every failure is a retry, and counted
            visit.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            time.sleep(min(2**attempt * 0.25, 4))
    return visit


class Browser:
    """One candidate's connection to the app, kept alive between requests as a browser does:
    plain HTTP/1.1 over asyncio streams. A fraction of httpx's cost per request: with 210 of
    them in one process, httpx's own work made the soak's client lag (its p95 for a booking
    was 1.1 s above what the proxy in front of the app saw)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.origin = base_url
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body); raises on a broken connection."""
        from urllib.parse import urlencode

        body = urlencode(form).encode() if form is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Origin: {self.origin}\r\nAccept-Language: en\r\nContent-Length: {len(body)}\r\n"
            + ("Content-Type: application/x-www-form-urlencoded\r\n" if form is not None else "")
            + "\r\n"
        )
        if self.writer is None or self.reader is None or self.reader.at_eof():
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.reader, self.writer
        try:
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("server disconnected without sending a response")
            status = int(status_line.split()[1])
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while size := int((await reader.readline()).split(b";")[0], 16):
                    chunks.append(await reader.readexactly(size))
                    await reader.readline()
                await reader.readline()
                content = b"".join(chunks)
            else:
                content = await reader.readexactly(int(headers.get("content-length") or 0))
        except BaseException:
            await self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def visit_booking_page_async(
    browser: Browser,
    link_token: str,
    slot_id: int,
    tries: int = TRIES,
    timeout: float = 60,
    answered: Callable[[], None] = lambda: None,
) -> Visit:
    """visit_booking_page for the soak's many candidates at once, each with a Browser of
    their own. Each figure is the time from sending the request to having the whole answer,
    as a person feels it. `answered()` is called once the booking has its answer."""
    visit = Visit()
    path = f"/book/{link_token}"
    for attempt in range(tries):
        visit.tries = attempt + 1
        try:
            started = time.perf_counter()
            status, headers, body = await asyncio.wait_for(browser.request("GET", path), timeout)
            if status != 200:
                raise RuntimeError(f"page answered {status}")
            visit.load_ms = (time.perf_counter() - started) * 1000
            visit.load_server = _server_timing(headers)
            if b"?view=cancel" in body:  # booked on an earlier try; the answer was lost
                visit.outcome = "booked"
                return visit
            booking_started = time.perf_counter()
            status, headers, _ = await asyncio.wait_for(
                browser.request("POST", f"{path}/book", {"slot": str(slot_id)}), timeout
            )
            visit.book_ms = (time.perf_counter() - booking_started) * 1000
            visit.book_at = booking_started
            visit.book_server = _server_timing(headers)
            answered()
            if status != 303:
                raise RuntimeError(f"booking answered {status}")
            done = parse_qs(urlsplit(headers["location"]).query).get("done", [""])[0]
            visit.notice = done
            if done in ("booked", "already_booked"):
                visit.outcome = "booked"
            elif done in ("taken", "unavailable"):
                visit.outcome = "taken"
            else:
                raise RuntimeError(f"booking ended with {done!r}")
            return visit
        except Exception as exc:  # noqa: BLE001 - every failure is a retry, and counted
            visit.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            await asyncio.sleep(min(2**attempt * 0.25, 4))
    return visit


def _server_timing(headers) -> dict:  # type: ignore[no-untyped-def]
    """The Server-Timing header's durations (ms) by name."""
    found = {}
    for part in headers.get("server-timing", "").split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            found[name] = float(rest)
    return found


# --- the soak -----------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 1)


def _seed(engine, radicale_url: str, calendar_url: str, candidates: int, racers: int):  # type: ignore[no-untyped-def]
    """An account; an organiser and a participant whose CalDAV calendar gets every booked
    interview; `candidates` invitations to distinct slots (GROUP per interview) and
    `racers` invitations to one interview of a single slot. Returns ([(token, slot)] for
    the distinct bookers, [(token, slot)] for the racers)."""
    from sqlmodel import Session

    from planner.domain.vocabulary import Role
    from planner.integrations.calendar.base import Credentials
    from planner.integrations.crypto import encrypt_credentials
    from planner.models import Account, CalendarConnection, Candidate, StaffUser
    from planner.services import scheduling
    from planner.services.actor import Actor
    from planner.settings import get_settings

    now = datetime.now(UTC)
    first = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    with Session(engine, expire_on_commit=False) as session:
        account = Account(name="Soak")
        session.add(account)
        session.flush()
        organiser = StaffUser(account_id=account.id, name="Olga Organiser", role=Role.ADMIN.value,
                              email="olga@soak.example")  # fmt: skip
        panel = StaffUser(account_id=account.id, name="Pia Panel",
                          role=Role.HIRING_MANAGER.value, email="pia@soak.example")  # fmt: skip
        session.add_all([organiser, panel])
        session.flush()
        session.add(
            CalendarConnection(
                account_id=account.id,
                staff_user_id=panel.id,
                provider="caldav",
                server_url=radicale_url,
                calendar_id=calendar_url,
                encrypted_credentials=encrypt_credentials(
                    Credentials(username="pia", password="x"), get_settings()
                ),
            )  # fmt: skip
        )
        people = [
            Candidate(account_id=account.id, name=f"Candidate {n}", email=f"c{n}@mail.example")
            for n in range(candidates + racers)
        ]
        session.add_all(people)
        session.commit()
        actor = Actor(
            user_id=organiser.id, account_id=account.id, account_name="Soak",
            name=organiser.name, email=organiser.email, role=Role.ADMIN,
            time_zone="UTC", locale="en",
        )  # fmt: skip
        index = 0

        def interview(invited: list[Candidate], slots: int):  # type: ignore[no-untyped-def]
            nonlocal index
            times = [first + timedelta(minutes=30 * (index + n)) for n in range(slots)]
            index += slots
            made = scheduling.create_interview(
                session=session, actor=actor, now=now,
                data={"title": "Soak interview", "duration_minutes": 30,
                      "participant_ids": [panel.id], "slots": times},
            )  # fmt: skip
            tokens = scheduling.invite_candidates(
                session=session, actor=actor, interview_id=made.id,
                candidate_ids=[c.id for c in invited], now=now,
            )  # fmt: skip
            return made, tokens

        distinct = []
        for start in range(0, candidates, GROUP):
            group = people[start : start + GROUP]
            made, tokens = interview(group, len(group))
            distinct += [(tokens[c.id], made.slots[n].id) for n, c in enumerate(group)]
        race = []
        if racers:
            made, tokens = interview(people[candidates:], 1)
            race = [(tokens[c.id], made.slots[0].id) for c in people[candidates:]]
    return distinct, race


def _drain(engine, timeout: float) -> int:  # type: ignore[no-untyped-def]
    """Wait until the outbox has nothing left to do (or the time is up); returns what is
    left."""
    from sqlalchemy import text

    def left() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM outbox_message WHERE done_at IS NULL")
                ).scalar()
                or 0
            )

    deadline = time.monotonic() + timeout
    while (remaining := left()) and time.monotonic() < deadline:
        time.sleep(1)
    return remaining


def _calendar_uids(calendar_url: str) -> Counter:
    import caldav

    client = caldav.DAVClient(url=calendar_url, username="pia", password="x")
    calendar = client.calendar(url=calendar_url)
    return Counter(str(event.icalendar_component["UID"]) for event in calendar.events())


def run() -> Iterator[dict]:
    """One JSON line (see the module docstring)."""
    candidates = int(os.environ.get("PLANNER_SOAK_CANDIDATES") or 200)
    racers = int(os.environ.get("PLANNER_SOAK_RACERS") or 10)
    yield soak(candidates=candidates, racers=racers)


def soak(
    *, candidates: int, racers: int, concurrency: int | None = None, mail_lease_seconds: int = 60
) -> dict:  # noqa: C901, PLR0915 - one scenario, read top to bottom
    """Run the whole scenario and return its figures. `mail_lease_seconds`: how long the
    killed worker's claimed mails wait; shorter than a loaded machine needs to send a batch,
    a live worker's batch is sent twice (same Message-IDs)."""
    from cryptography.fernet import Fernet

    name = f"planner_soak_{secrets.token_hex(4)}"
    base = ADMIN_DSN.rsplit("/", 1)[0]
    folder = Path(tempfile.mkdtemp(prefix="planner-soak-"))
    env = dict(os.environ)
    # The processes cache their compiled modules, as an installed app does: without it, each
    # restarted web process and worker compiled every module again (about 3 CPU-seconds more
    # per restart on this 2-core machine, spent in the middle of the bookings).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PLANNER_ENV="production",
        PLANNER_SECRET_KEY=secrets.token_urlsafe(48),
        PLANNER_CREDENTIAL_KEYS=Fernet.generate_key().decode(),
        PLANNER_DATABASE_URL=f"{base}/{name}",
        PLANNER_CALENDAR_LEASE_SECONDS="15",
        PLANNER_MAIL_LEASE_SECONDS=str(mail_lease_seconds),
        PLANNER_SYNC_POLL_MINUTES="60",
        PLANNER_WORKER_HEALTH_SECONDS="5",
        # The soak's Radicale runs on loopback: a CalDAV server on the customer's own network.
        PLANNER_CALDAV_ALLOW_PRIVATE="true",
        REFLEX_TELEMETRY_ENABLED="false",
        GRANIAN_WORKERS="1",
        PATH=f"{ROOT / '.tools/node_modules/.bin'}:{env.get('PATH', '')}",
    )
    # This process seeds the database with the children's settings (restored at the end).
    own_keys = ("PLANNER_ENV", "PLANNER_SECRET_KEY", "PLANNER_CREDENTIAL_KEYS",
                "PLANNER_DATABASE_URL", "PLANNER_CALDAV_ALLOW_PRIVATE")  # fmt: skip
    saved = {key: os.environ.get(key) for key in own_keys}
    for key in own_keys:
        os.environ[key] = env[key]
    from planner.settings import get_settings

    get_settings.cache_clear()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis_server = RedisServer(folder)
    mail = MailSink()
    children: list[Child] = []
    proxy: Proxy | None = None
    radicale: subprocess.Popen | None = None
    try:
        from alembic.config import Config

        from alembic import command
        from planner.db import make_engine

        config = Config(str(ROOT / "alembic.ini"))
        config.attributes["database_url"] = env["PLANNER_DATABASE_URL"]
        command.upgrade(config, "head")
        engine = make_engine(env["PLANNER_DATABASE_URL"])

        radicale_port = _free_port()
        radicale = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{radicale_port}",
             "--storage-filesystem-folder", str(folder / "radicale"), "--auth-type", "none",
             "--logging-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        _wait(lambda: _port_open(radicale_port), 30, "Radicale")
        import caldav

        radicale_url = f"http://127.0.0.1:{radicale_port}/"
        calendar = (
            caldav.DAVClient(url=radicale_url, username="pia", password="x")
            .principal()
            .make_calendar(name="pia", cal_id="pia")
        )
        calendar_url = str(calendar.url)
        distinct, race = _seed(engine, radicale_url, calendar_url, candidates, racers)

        redis_server.start()
        mail.start()
        env.update(PLANNER_REDIS_URL=redis_server.url, PLANNER_SMTP_PORT=str(mail.port))
        web_ports = [_free_port(), _free_port()]
        proxy = Proxy(web_ports, folder / "proxy.log")
        env["PLANNER_PUBLIC_URL"] = f"http://127.0.0.1:{proxy.port}"
        reflex = str(Path(sys.executable).parent / "reflex")
        for n, port in enumerate(web_ports, 1):
            children.append(
                Child(
                    f"web{n}",
                    [reflex, "run", "--env", "prod", "--backend-only", "--backend-port", str(port)],
                    dict(env),
                    folder / f"web{n}.log",
                )  # fmt: skip
            )
        for n in (1, 2):
            children.append(
                Child(
                    f"worker{n}",
                    [sys.executable, "-m", "planner.jobs"],
                    {**env, "PLANNER_WORKER_NAME": f"soak-{n}"},
                    folder / f"worker{n}.log",
                )  # fmt: skip
            )
        for child in children:
            child.start()
        proxy.start()
        # A first start after a change to the pages compiles the front end: minutes on 2 cores.
        for port in web_ports:
            _wait(lambda port=port: _http_status(f"http://127.0.0.1:{port}/healthz") == 200,
                  600, f"web process on {port}")  # fmt: skip
        base_url = f"http://127.0.0.1:{proxy.port}"
        web1, _web2, worker1, _worker2 = children

        http_5xx = 0
        visits: list[Visit] = []
        race_outcomes: list[str] = []
        refused: list[str] = []  # candidates of a time of their own who did not get it
        racer_tokens = {token for token, _ in race}
        done = threading.Semaphore(0)

        def chaos() -> None:
            """Once a third of the bookings are answered (the others being made or on their
            way): SIGKILL a web process and a worker, start them again; after two thirds:
            restart Redis."""
            for _ in range(max(1, len(distinct) // 3)):
                done.acquire()
            events.append(("kill", time.perf_counter()))
            web1.kill()
            worker1.kill()
            time.sleep(2)
            web1.start()
            worker1.start()
            events.append(("restarted", time.perf_counter()))
            for _ in range(max(1, len(distinct) // 3)):
                done.acquire()
            events.append(("redis_stop", time.perf_counter()))
            redis_server.stop()
            time.sleep(1)
            redis_server.start()
            events.append(("redis_up", time.perf_counter()))

        load_before = os.getloadavg()[0]
        events: list[tuple[str, float]] = [("start", time.perf_counter())]
        chaos_thread = threading.Thread(target=chaos, name="soak-chaos", daemon=True)
        chaos_thread.start()
        # The racers go in the middle of the crowd, all at once.
        half = len(distinct) // 2
        order = distinct[:half] + race + distinct[half:]

        async def crowd() -> None:
            limit = asyncio.Semaphore(concurrency or len(order))

            async def candidate(pair: tuple[str, int]) -> None:
                nonlocal http_5xx
                browser = Browser(base_url)
                async with limit:
                    visit = await visit_booking_page_async(browser, *pair, answered=done.release)
                    try:
                        status, _, _ = await asyncio.wait_for(
                            browser.request("GET", f"/book/{pair[0]}/interview.ics"), 60
                        )
                    except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError):
                        status = 0
                    await browser.close()
                visits.append(visit)
                if pair[0] in racer_tokens:
                    race_outcomes.append(visit.outcome)
                elif visit.outcome != "booked":
                    refused.append(visit.notice or visit.outcome)
                http_5xx += status >= 500

            await asyncio.gather(*(candidate(pair) for pair in order))

        asyncio.run(crowd())
        chaos_thread.join(120)
        proxy_book_ms = [
            float(line.split(" ", 1)[0])
            for line in (folder / "proxy.log").read_text().splitlines()
            if line.split(" ")[1:2] == ["POST"] and line.split(" ")[2].endswith("/book")
        ]
        events.append(("visits_done", time.perf_counter()))
        if details := os.environ.get("PLANNER_SOAK_DETAILS"):
            import json

            zero = events[0][1]
            Path(details).write_text(
                json.dumps(
                    {
                        "events": [(name, round(at - zero, 3)) for name, at in events],
                        "visits": [
                            {**v.__dict__, "book_at": v.book_at and round(v.book_at - zero, 3)}
                            for v in visits
                        ],
                    }
                )
            )
        web_rss = max(child.rss_mb() for child in children[:2])
        left = _drain(engine, timeout=180)

        from sqlalchemy import text

        with engine.connect() as conn:
            bookings = int(
                conn.execute(text("SELECT count(*) FROM booking WHERE status = 'active'")).scalar()
                or 0
            )
            double = int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT slot_id FROM booking WHERE status = "
                        "'active' GROUP BY slot_id HAVING count(*) > 1) AS d"
                    )
                ).scalar()
                or 0
            )
            sent = [
                row[0]
                for row in conn.execute(
                    text(
                        "SELECT message_id FROM outbox_message WHERE kind = 'mail' AND "
                        "done_at IS NOT NULL AND last_error IS NULL"
                    )
                )
            ]
            mails_expected = int(
                conn.execute(
                    text("SELECT count(*) FROM outbox_message WHERE kind = 'mail'")
                ).scalar()
                or 0
            )
            links = [
                row[0]
                for row in conn.execute(
                    text("SELECT event_key FROM provider_event_link WHERE status = 'created'")
                )
            ]
            pending_links = int(
                conn.execute(
                    text("SELECT count(*) FROM provider_event_link WHERE status <> 'created'")
                ).scalar()
                or 0
            )
        engine.dispose()
        received = Counter(mail.received)
        # What the workers measured: the longest time between an SMTP server's "250" and the
        # done mark's commit, and how many mails were sent again after a worker died mid-send.
        windows, resent = [], 0
        for log_file in folder.glob("worker*.log"):
            for line in log_file.read_text(errors="replace").splitlines():
                if found := re.search(r"(\d+) sent again after a crash.*window ([\d.]+) ms", line):
                    resent += int(found.group(1))
                    windows.append(float(found.group(2)))
        uids = _calendar_uids(calendar_url)
        booked = [v for v in visits if v.outcome == "booked"]
        return {
            "bench": "soak",
            "candidates": len(distinct),
            "racers": len(race),
            "bookings": bookings,
            "booked_visits": len(booked),
            "failed_visits": sum(1 for v in visits if v.outcome == "failed"),
            "reconnects": sum(v.tries - 1 for v in visits),
            "race_winners": race_outcomes.count("booked"),
            "double_bookings": double,
            "mails": mails_expected,
            "lost_mails": (mails_expected - len(sent)) + sum(1 for m in sent if m not in received),
            # A worker killed between the SMTP server's "250" and its done mark sends the
            # same bytes again: receivers drop it by Message-ID (at-least-once delivery).
            "duplicate_mails": sum(count - 1 for count in received.values() if count > 1),
            "mails_resent_after_kill": resent,
            "mail_window_ms_max": max(windows, default=None),
            "distinct_mails_received": sum(1 for m in set(sent) if m in received),
            "calendar_events": len(uids),
            "lost_events": pending_links + sum(1 for key in links if key not in uids),
            "duplicate_events": sum(count - 1 for count in uids.values() if count > 1)
            + sum(1 for uid in uids if uid not in set(links)),
            "outbox_left": left,
            "http_5xx": http_5xx,
            "p95_load_ms": _percentile([v.load_ms for v in visits if v.load_ms], 0.95),
            "p95_book_ms": _percentile([v.book_ms for v in visits if v.book_ms], 0.95),
            # The same bookings as the proxy saw them (request's first byte in, answer's first
            # byte out: server and network) and as the app's handler timed them
            # (Server-Timing total): the differences are the client's and the server's queues.
            "p95_book_proxy_ms": _percentile(proxy_book_ms, 0.95),
            "p95_book_handler_ms": _percentile(
                [v.book_server["total"] for v in visits if "total" in v.book_server], 0.95
            ),
            "p50_book_ms": round(statistics.median([v.book_ms for v in visits if v.book_ms]), 1)
            if any(v.book_ms for v in visits)
            else None,
            "web_rss_mb": round(web_rss, 1),
            # The machine's 1-minute load average as the crowd arrived and once the outbox
            # drained (the figures above depend on it: the machine has 2 cores).
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "refused": Counter(refused).most_common(5),
            "errors": Counter(e.split(":")[0] for v in visits for e in v.errors).most_common(5),
        }
    finally:
        if proxy is not None:
            proxy.stop()
        for child in children:
            child.stop()
        mail.stop()
        redis_server.stop()
        if radicale is not None:
            os.killpg(radicale.pid, signal.SIGTERM)
            radicale.wait(10)
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


if __name__ == "__main__" and sys.argv[1:2] == ["proxy"]:
    asyncio.run(_proxy_main(int(sys.argv[3]), [int(port) for port in sys.argv[4:]], sys.argv[2]))
