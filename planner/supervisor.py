"""Keeps `make run`'s processes alive: each one that dies (or, for the worker, stops
reporting health) is started again, with a growing pause if it keeps dying."""

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

# What a person at the console needs from a child's output: errors, nothing per cron tick.
CONSOLE_WORTHY = re.compile(r"\b(ERROR|CRITICAL|Traceback)\b|Error:")
RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)
# A process that ran this long before dying starts again after the shortest pause.
STABLE_SECONDS = 60.0


def pump(
    stream: IO[bytes], log_path: Path, *, prefix: str, show: Callable[[str], bool]
) -> threading.Thread:
    """Copy a child's output to `log_path`, echoing to the console the lines `show` picks
    (prefixed with the child's name), in a daemon thread."""

    def copy() -> None:
        with log_path.open("ab") as sink:
            for raw in iter(stream.readline, b""):
                sink.write(raw)
                sink.flush()
                line = raw.decode("utf-8", "replace").rstrip()
                if line and show(line):
                    print(f"{prefix}: {line}", flush=True)

    thread = threading.Thread(target=copy, name=f"pump-{prefix}", daemon=True)
    thread.start()
    return thread


def start_child(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log_dir: Path,
    name: str,
    show: Callable[[str], bool] | None = None,
) -> subprocess.Popen:
    """Start a child in its own session with its output going to `log_dir/<name>.log`;
    lines `show` picks (default: errors) are echoed to the console."""
    log_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 - our own executables
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    pump(
        process.stdout,
        log_dir / f"{name}.log",
        prefix=name,
        show=show or (lambda line: bool(CONSOLE_WORTHY.search(line))),
    )
    return process


@dataclass
class Supervised:
    """One thing to keep alive. `start` starts it and returns a handle; `alive(handle)`
    says whether it still runs and is healthy; `stop(handle)` ends it."""

    name: str
    start: Callable[[], object]
    alive: Callable[[object], bool]
    stop: Callable[[object], None]
    handle: object = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    """Starts every `Supervised` and, until `stop()`, restarts the ones that die."""

    def __init__(self, children: list[Supervised], *, say: Callable[[str], None] = print):
        self.children = children
        self.say = say
        self._stopping = threading.Event()

    def start_all(self) -> None:
        """Start every child in order."""
        for child in self.children:
            self._start(child)

    def add(self, child: Supervised) -> None:
        """Start one more child and keep it alive from now on."""
        self.children.append(child)
        self._start(child)

    @property
    def stopping(self) -> bool:
        """Whether stop() was called."""
        return self._stopping.is_set()

    def _start(self, child: Supervised) -> None:
        child.handle = child.start()
        child.started_at = time.monotonic()
        child.restart_at = None

    def check(self) -> None:
        """One round: restart children that died, after their pause."""
        now = time.monotonic()
        for child in self.children:
            if self._stopping.is_set():
                return
            if child.restart_at is not None:
                if now >= child.restart_at:
                    try:
                        self._start(child)
                    except Exception as exc:  # noqa: BLE001 - any start failure is retried
                        self._schedule(child, f"could not start ({type(exc).__name__}: {exc})")
                continue
            if child.handle is None or child.alive(child.handle):
                continue
            try:
                child.stop(child.handle)
            except Exception as exc:  # noqa: BLE001 - it is gone or going anyway
                log.info("stopping %s: %s", child.name, exc)
            child.handle = None
            self._schedule(child, "stopped")

    def _schedule(self, child: Supervised, what: str) -> None:
        now = time.monotonic()
        if now - child.started_at >= STABLE_SECONDS:
            child.failures = 0
        pause = RESTART_PAUSES[min(child.failures, len(RESTART_PAUSES) - 1)]
        child.failures += 1
        child.restarts += 1
        child.restart_at = now + pause
        self.say(f"{child.name} {what}; starting it again in {pause:g} s")

    def run(self, *, interval: float = 0.5) -> None:
        """Check every `interval` seconds until stop() is called."""
        while not self._stopping.wait(interval):
            self.check()

    def stop(self) -> None:
        """End the run loop (children are stopped by stop_all)."""
        self._stopping.set()

    def stop_all(self) -> None:
        """Stop every running child, the last started first."""
        for child in reversed(self.children):
            if child.handle is not None:
                try:
                    child.stop(child.handle)
                except Exception as exc:  # noqa: BLE001 - stop the others anyway
                    log.info("stopping %s: %s", child.name, exc)
                child.handle = None


def process_alive(process: object) -> bool:
    """Whether a subprocess still runs."""
    assert isinstance(process, subprocess.Popen)
    return process.poll() is None


def stop_process_group(process: object, timeout: float = 15) -> None:
    """Terminate a child started in its own session, killing it if it does not stop."""
    assert isinstance(process, subprocess.Popen)
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on the port."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def python_child(module: str) -> list[str]:
    """The command line running `python -m module` with this interpreter."""
    return [sys.executable, "-m", module]


def respawn_failed_web_workers() -> None:
    """Make granian (the web server `reflex run --env prod` starts) start a web worker
    process again when it dies, instead of shutting the whole server down (granian's
    `respawn_failed_workers`, off by default, which Reflex does not pass). Called from
    rxconfig.py, which Reflex imports before it creates the server."""
    try:
        from granian.server.common import AbstractServer
    except ImportError:  # another server (uvicorn) is in use
        return
    original = AbstractServer.__init__
    if getattr(original, "_planner_respawns", False):
        return

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("respawn_failed_workers", True)
        original(self, *args, **kwargs)

    init._planner_respawns = True  # type: ignore[attr-defined]
    AbstractServer.__init__ = init  # type: ignore[method-assign]
