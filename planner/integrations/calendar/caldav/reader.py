"""Untrusted iCalendar objects read into busy and unknown times in child processes, off the
event loop, with a hard time budget per object and per poll (issue: a rule that never occurs,
such as FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30, costs dateutil seconds of CPU per event).

Run as `python -m planner.integrations.calendar.caldav.reader` it is the child: one JSON
request per line on stdin, answered on stdout by a line with the object's extent (read
without expanding anything) and then a line with its busy and unknown times."""

import asyncio
import atexit
import functools
import hashlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from planner.domain.availability import BusyPeriod
from planner.domain.busy import CalendarDataError, calendar_extent, read_events
from planner.domain.intervals import SchedulingInputError, TimeInterval
from planner.integrations.calendar.base import BusyTime, EventChange, UnknownTime

log = logging.getLogger(__name__)

# CPU seconds one object may take to read (parse and expand) before it is unreadable data;
# ordinary objects take milliseconds. Counted as the child's CPU time, so that a machine
# busy with other work does not turn good data into unreadable data.
PER_OBJECT_SECONDS = 2.0
# CPU seconds for all objects of one poll together; what is left is read at the next poll.
PER_POLL_SECONDS = 20.0
# Wall-clock time an object may take, as a multiple of its CPU budget (plus a second): past
# it the machine is too busy, and the object is read again at the next poll.
WALL_FACTOR = 5.0
# Busy periods one poll may produce (after merging); past that, objects are unknown.
MAX_BUSY_PER_POLL = 50_000
# Address space of a child: a memory bomb fails the object, not the worker's host.
CHILD_MEMORY_BYTES = 1_500_000_000
# Children reading at once (each a process with one CPU-bound thread).
CHILDREN = 2
# How long an interrupted child may take to give up its object before it is killed.
INTERRUPT_GRACE_SECONDS = 2.0
# How long a child may take to start (imports), on a loaded machine.
STARTUP_SECONDS = 60.0
# Objects known to exceed the time budget, by content hash: not read again by this process.
KNOWN_SLOW = 2_000

TOO_SLOW = (
    "reading it needed more than {seconds:g} s of CPU time (e.g. a repeat rule that never occurs)"
)
DEFERRED = "not read yet: this poll's time for reading calendar data was used up"
TOO_MANY = "more than {count} busy times in one poll"
READER_FAILED = "the calendar reader stopped while reading it"


@dataclass
class ReadBudget:
    """What is left of one poll's reading time (seconds) and busy periods."""

    seconds: float = PER_POLL_SECONDS
    busy: int = MAX_BUSY_PER_POLL


def _merge(periods: Sequence[BusyPeriod]) -> list[BusyPeriod]:
    """Overlapping or touching periods of the same kind (hard or soft) joined."""
    merged: list[BusyPeriod] = []
    for kind in (False, True):
        current: BusyPeriod | None = None
        for period in sorted((p for p in periods if p.tentative is kind), key=lambda p: p.start):
            if current is not None and period.start <= current.end:
                if period.end > current.end:
                    current = BusyPeriod(current.start, period.end, kind)
            else:
                if current is not None:
                    merged.append(current)
                current = period
        if current is not None:
            merged.append(current)
    merged.sort(key=lambda p: (p.start, p.end, p.tentative))
    return merged


# ------------------------------------------------------------------------------- child


def _answer(request: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
    """Answer one request with two lines: the object's extent (cheap: no expansion), then
    its busy and unknown times (the expensive part, which may be interrupted)."""
    window = TimeInterval(
        datetime.fromisoformat(request["start"]), datetime.fromisoformat(request["end"])
    )
    zone, data = request["time_zone"], request["data"]
    start, end = calendar_extent(data, window=window, time_zone=zone)
    send({"extent": [start.isoformat(), end.isoformat()]})
    try:
        reading = read_events(
            data, window=window, time_zone=zone, owner_email=request.get("owner_email")
        )
    except (CalendarDataError, SchedulingInputError) as error:
        send({"error": str(error)[:400]})
        return
    send(
        {
            "busy": [
                [p.start.isoformat(), p.end.isoformat(), p.tentative] for p in _merge(reading.busy)
            ],
            "unknown": [
                [u.start.isoformat(), u.end.isoformat(), u.reason] for u in reading.unknown
            ],
            "unreadable": reading.unreadable,
        }
    )


_WARM_UP = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Planner//warm-up//EN\r\nBEGIN:VEVENT\r\n"
    "UID:w\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Paris:20260105T090000\r\n"
    "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


class _Interrupted(BaseException):
    """The parent's signal that the current object used up its time (a BaseException, so
    that no library's `except Exception` swallows it)."""


def _interrupt(_signal: int, _frame: object) -> None:
    raise _Interrupted


def serve() -> None:
    """The child's loop: a request per stdin line, two answer lines on stdout each. SIGUSR1
    abandons the current object (answered as interrupted) and keeps the child alive."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform; the time budget still holds
    out = sys.stdout
    sent: list[int] = []
    current: list[object] = [None]

    def send(answer: dict[str, Any]) -> None:
        # Every line names its request: the parent skips lines of an abandoned one.
        out.write(json.dumps({**answer, "id": current[0]}) + "\n")
        out.flush()
        sent.append(1)

    # First-call costs (lazy imports, zone data) are paid before the child says it is ready.
    warm_up = {
        "data": _WARM_UP,
        "start": "2026-01-01T00:00:00+00:00",
        "end": "2026-02-01T00:00:00+00:00",
        "time_zone": "America/Los_Angeles",
    }
    _answer(warm_up, lambda answer: None)
    signal.signal(signal.SIGUSR1, _interrupt)
    send({"ready": True})
    stdin = sys.stdin.buffer
    while True:
        try:
            line = stdin.readline()
        except _Interrupted:
            continue  # the answer was already on its way
        if not line:
            return
        sent.clear()
        try:
            try:
                request = json.loads(line)
                current[0] = request.get("id") if isinstance(request, dict) else None
                _answer(request, send)
            except MemoryError:
                send({"error": "the calendar data needs too much memory"})
            except Exception as error:  # noqa: BLE001 - the sandbox answers whatever happens
                send({"error": f"unreadable: {error}"[:400]})
        except _Interrupted:
            pass
        # Always two lines per request, whatever was interrupted where.
        while len(sent) < 2:
            try:
                send({"extent": None} if not sent else {"interrupted": True})
            except _Interrupted:
                continue


# ------------------------------------------------------------------------------- parent


class _ChildGone(Exception):
    """The child died, or used up its CPU ("cpu") or wall-clock ("wall") time, before it
    answered."""


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used, from /proc; None where there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


class _Child:
    """One reader process and a line buffer over its stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "planner.integrations.calendar.caldav.reader"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.buffer = b""
        assert self.process.stdout is not None
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        try:
            # Start-up (imports) is not charged to the first object's time.
            ready = self.line(time.monotonic() + STARTUP_SECONDS)
        except _ChildGone:
            self.kill()
            raise
        if not ready.get("ready"):
            self.kill()
            raise _ChildGone("the reader did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, request: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            raise _ChildGone(str(error)) from None

    def cpu(self) -> float | None:
        """CPU seconds the child has used so far (None where it cannot be measured)."""
        return _cpu_seconds(self.process.pid)

    def line(
        self,
        wall_deadline: float,
        cpu_deadline: float | None = None,
        request_id: int | None = None,
    ) -> dict[str, Any]:
        """The next answer line (of request `request_id`, skipping older ones), unless the
        child's CPU time passes `cpu_deadline` or the clock passes `wall_deadline` first
        (then _ChildGone "cpu" or "wall")."""
        while True:
            answer = self._next_line(wall_deadline, cpu_deadline)
            if request_id is None or answer.get("id") == request_id:
                return answer

    def interrupt(self) -> None:
        """Ask the child to abandon the object it is reading (it stays alive)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)

    def _next_line(self, wall_deadline: float, cpu_deadline: float | None) -> dict[str, Any]:
        assert self.process.stdout is not None
        while b"\n" not in self.buffer:
            remaining = wall_deadline - time.monotonic()
            if remaining <= 0:
                raise _ChildGone("wall")
            if not self.selector.select(min(remaining, 0.05)):
                if cpu_deadline is not None:
                    used = self.cpu()
                    if used is not None and used >= cpu_deadline:
                        raise _ChildGone("cpu")
                continue
            chunk = os.read(self.process.stdout.fileno(), 1 << 20)
            if not chunk:
                raise _ChildGone("closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            answer = json.loads(line)
        except ValueError as error:
            raise _ChildGone(f"unreadable answer: {error}") from None
        if not isinstance(answer, dict):
            raise _ChildGone("unreadable answer")
        return answer

    def kill(self) -> None:
        self.selector.close()
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.warning("calendar reader %s did not stop", self.process.pid)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@dataclass
class _Outcome:
    busy: list[tuple[datetime, datetime, bool]] = field(default_factory=list)
    unknown: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    unreadable: int = 0


def _times(pair: Sequence[str]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(pair[0]), datetime.fromisoformat(pair[1])


class CalendarReader:
    """Reads untrusted calendar objects in child processes (a few at once), never on the
    caller's thread: each object gets at most `per_object_seconds`, after which its child
    is killed and the object is unreadable data (unknown over the times it could occupy,
    remembered by content hash so that the same data is not paid for twice). Thread-safe;
    the blocking work is meant to run through `asyncio.to_thread`."""

    def __init__(
        self,
        *,
        per_object_seconds: float = PER_OBJECT_SECONDS,
        per_poll_seconds: float = PER_POLL_SECONDS,
        max_busy_per_poll: int = MAX_BUSY_PER_POLL,
        children: int = CHILDREN,
    ) -> None:
        self.per_object_seconds = per_object_seconds
        self.per_poll_seconds = per_poll_seconds
        self.max_busy_per_poll = max_busy_per_poll
        self._idle: list[_Child] = []
        self._slots = threading.Semaphore(children)
        # Its own threads, as many as children: polls waiting for a child queue here and
        # never occupy the event loop's default executor (database work, mail, webhooks).
        self._threads = ThreadPoolExecutor(max_workers=children, thread_name_prefix="ics-reader")
        self._lock = threading.Lock()
        self._slow: OrderedDict[str, tuple[str, str, bool]] = OrderedDict()
        self._requests = 0

    def budget(self) -> ReadBudget:
        """A fresh budget for one poll (or one busy-time query)."""
        return ReadBudget(self.per_poll_seconds, self.max_busy_per_poll)

    def close(self) -> None:
        """Stop the idle children (busy ones stop when their read finishes)."""
        with self._lock:
            children, self._idle = self._idle, []
        for child in children:
            child.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                child.kill()
        return _Child()

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            self._idle.append(child)

    def read_one(
        self,
        url: str,
        data: str,
        *,
        window: TimeInterval,
        time_zone: str,
        owner_email: str | None,
        budget: ReadBudget,
    ) -> EventChange:
        """One object's change: busy times, unknown times and unreadable count, read in a
        child within min(per-object time, what is left of the poll's budget). Blocks."""
        digest = hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            slow = self._slow.get(digest)
        if slow is not None:
            start, end = datetime.fromisoformat(slow[0]), datetime.fromisoformat(slow[1])
            start = max(start, window.start)
            end = window.end if slow[2] else min(end, window.end)
            return self._unknown(url, start, end, slow_reason(self.per_object_seconds))
        if budget.seconds <= 0:
            return self._unknown(url, window.start, window.end, DEFERRED, deferred=True)
        cpu_budget = min(self.per_object_seconds, budget.seconds)
        with self._lock:
            self._requests += 1
            request_id = self._requests
        request = {
            "id": request_id,
            "data": data,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "time_zone": time_zone,
            "owner_email": owner_email,
        }
        extent: tuple[datetime, datetime] | None = None
        with self._slots:
            try:
                child = self._take()
            except _ChildGone as gone:
                log.warning("calendar reader could not start: %s", gone)
                return self._unknown(url, window.start, window.end, READER_FAILED, deferred=True)
            began, cpu_before = time.monotonic(), child.cpu()
            wall_deadline = began + cpu_budget * WALL_FACTOR + 1.0
            cpu_deadline = None if cpu_before is None else cpu_before + cpu_budget
            if cpu_deadline is None:  # no CPU clock here: the wall clock decides
                wall_deadline = began + cpu_budget
            try:
                child.send(request)
                first = child.line(wall_deadline, cpu_deadline, request_id)
                if first.get("extent"):
                    extent = _times(first["extent"])
                answer = child.line(wall_deadline, cpu_deadline, request_id)
            except _ChildGone as gone:
                used = self._used(child, cpu_before, began)
                budget.seconds -= used
                if str(gone) in ("cpu", "wall") and self._recovered(child, request_id):
                    self._give_back(child)
                else:
                    child.kill()
                start, end = extent or (window.start, window.end)
                cause = str(gone)
                if cause == "wall" and cpu_deadline is not None:
                    # The machine is too busy to tell: read it again at the next poll.
                    log.info("calendar object %s: no CPU for it now, read next poll", url)
                    return self._unknown(url, start, end, DEFERRED, deferred=True)
                if cause not in ("cpu", "wall"):
                    log.warning("calendar reader failed on %s: %s", url, gone)
                    return self._unknown(url, start, end, READER_FAILED)
                if cpu_budget < self.per_object_seconds:
                    # Cut short by the poll's budget, not its own: read again next poll.
                    return self._unknown(url, start, end, DEFERRED, deferred=True)
                log.warning(
                    "calendar object %s needed more than %ss of CPU to read", url, cpu_budget
                )
                with self._lock:
                    self._slow[digest] = (start.isoformat(), end.isoformat(), end >= window.end)
                    while len(self._slow) > KNOWN_SLOW:
                        self._slow.popitem(last=False)
                return self._unknown(url, start, end, slow_reason(self.per_object_seconds))
            budget.seconds -= self._used(child, cpu_before, began)
            self._give_back(child)
        if "error" in answer:
            start, end = extent or (window.start, window.end)
            return self._unknown(url, start, end, str(answer["error"])[:400])
        busy = [
            BusyTime(*_times(item[:2]), tentative=bool(item[2]), source_event_id=url)
            for item in answer.get("busy", [])
        ]
        if len(busy) > budget.busy:
            start, end = extent or (window.start, window.end)
            return self._unknown(url, start, end, TOO_MANY.format(count=self.max_busy_per_poll))
        budget.busy -= len(busy)
        unknown = tuple(
            UnknownTime(*_times(item[:2]), reason=str(item[2])[:400], source_event_id=url)
            for item in answer.get("unknown", [])
        )
        return EventChange(
            external_id=url,
            busy=tuple(busy),
            unknown=unknown,
            unreadable=int(answer.get("unreadable", 0)),
        )

    @staticmethod
    def _recovered(child: _Child, request_id: int) -> bool:
        """Whether an interrupted child answered its abandoned request and can be reused
        (else it is stuck in C code or gone, and is killed)."""
        child.interrupt()
        try:
            while True:
                answer = child.line(time.monotonic() + INTERRUPT_GRACE_SECONDS, None, request_id)
                if "extent" not in answer:
                    return True
        except _ChildGone:
            return False

    @staticmethod
    def _used(child: _Child, cpu_before: float | None, began: float) -> float:
        """Seconds one read cost: the child's CPU time, or the wall clock without one."""
        cpu_after = child.cpu()
        if cpu_before is not None and cpu_after is not None:
            return cpu_after - cpu_before
        return time.monotonic() - began

    @staticmethod
    def _unknown(
        url: str, start: datetime, end: datetime, reason: str, *, deferred: bool = False
    ) -> EventChange:
        unknown = (UnknownTime(start, end, reason, url),) if end > start else ()
        return EventChange(external_id=url, unknown=unknown, unreadable=1, deferred=deferred)

    async def read(
        self,
        objects: Sequence[tuple[str, str]],
        *,
        window: TimeInterval,
        time_zone: str,
        owner_email: str | None,
        budget: ReadBudget | None = None,
    ) -> list[EventChange]:
        """`read_all` on the reader's own threads, awaited without blocking the loop."""
        call = functools.partial(
            self.read_all,
            objects,
            window=window,
            time_zone=time_zone,
            owner_email=owner_email,
            budget=budget,
        )
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    def read_all(
        self,
        objects: Sequence[tuple[str, str]],
        *,
        window: TimeInterval,
        time_zone: str,
        owner_email: str | None,
        budget: ReadBudget | None = None,
    ) -> list[EventChange]:
        """Each (url, iCalendar text) object as a change, in order, within one budget."""
        budget = budget or self.budget()
        return [
            self.read_one(
                url,
                data,
                window=window,
                time_zone=time_zone,
                owner_email=owner_email,
                budget=budget,
            )
            for url, data in objects
        ]


def slow_reason(seconds: float) -> str:
    """The admin's reason for an object that exceeded the per-object time."""
    return TOO_SLOW.format(seconds=seconds)


_shared: CalendarReader | None = None
_shared_lock = threading.Lock()


def shared_reader() -> CalendarReader:
    """The process-wide reader (its children are started on first use, stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CalendarReader()
            atexit.register(_shared.close)
        return _shared


if __name__ == "__main__":
    serve()
