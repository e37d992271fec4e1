"""A real Radicale CalDAV server in a subprocess on a free loopback port, for integration tests."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RadicaleServer:
    """Where a started Radicale listens, and the login it accepts (empty: no auth)."""

    url: str
    username: str
    password: str


@contextmanager
def run_radicale(folder: Path, *, users: dict[str, str] | None = None) -> Iterator[RadicaleServer]:
    """Start Radicale with storage under `folder`; with `users`, htpasswd auth (plain text).

    Without `users` Radicale accepts any login (auth type none). Radicale 3.9 reads a
    plain-text htpasswd file with `htpasswd_encryption = plain` ("user:password" lines)."""
    port = free_port()
    storage = folder / "collections"
    storage.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "radicale",
        "--server-hosts",
        f"127.0.0.1:{port}",
        "--storage-filesystem-folder",
        str(storage),
        "--logging-level",
        "warning",
    ]
    if users:
        htpasswd = folder / "users"
        htpasswd.write_text("".join(f"{name}:{secret}\n" for name, secret in users.items()))
        args += [
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(htpasswd),
            "--auth-htpasswd-encryption",
            "plain",
        ]
        username, password = next(iter(users.items()))
    else:
        args += ["--auth-type", "none"]
        username, password = "planner", ""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"radicale exited: {process.stderr.read().decode()[-2000:]}")
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("radicale did not start within 15 s") from None
                time.sleep(0.05)
        yield RadicaleServer(url=url, username=username, password=password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
