"""A Reflex app started in production mode (`reflex run --env prod`) for a benchmark."""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_BIN = ROOT / ".tools" / "node_modules" / ".bin"
STARTUP_TIMEOUT = 600


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str) -> dict[str, str]:
    """The environment of a throwaway Planner: test mode, its own database, no Redis."""
    env = dict(os.environ)
    for name in ("PLANNER_REDIS_URL", "PLANNER_PUBLIC_URL", "PLANNER_PORT"):
        env.pop(name, None)
    env.update(
        PLANNER_ENV="test",
        PLANNER_SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        PLANNER_DATABASE_URL=database_url,
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


@contextlib.contextmanager
def reflex_server(app_dir: Path, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Build and serve the Reflex app in `app_dir` on one free port; yields its base URL once
    its root answers, stops it (the whole process group) afterwards."""
    port = free_port()
    env = dict(env, PLANNER_PORT=str(port))
    reflex = Path(sys.executable).parent / "reflex"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own executable
            [str(reflex), "run", "--env", "prod", "--frontend-port", str(port),
             "--backend-port", str(port)],
            cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"reflex in {app_dir} exited; see {log_path}")
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"reflex in {app_dir} did not start; see {log_path}")
            time.sleep(0.5)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
