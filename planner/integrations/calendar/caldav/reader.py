"""Untrusted iCalendar objects read into busy and unknown times in child processes, off the
event loop, with a hard time budget per object and per poll (issue: a rule that never occurs,
such as FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30, costs dateutil seconds of CPU per event).

Run as `python -m planner.integrations.calendar.caldav.reader` it is the child: one JSON
request per line on stdin, answered on stdout by a line with the object's extent (read
without expanding anything) and then a line with its busy and unknown times."""

import atexit
import hashlib
import json
import logging
import os
import selectors
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from planner.domain.availability import BusyPeriod
from planner.domain.busy import CalendarDataError, calendar_extent, read_events
from planner.domain.intervals import SchedulingInputError, TimeInterval
from planner.integrations.calendar.base import BusyTime, EventChange, UnknownTime

log = logging.getLogger(__name__)

# One object may take this long to read (parse and expand) before it is unreadable data;
# ordinary objects take milliseconds.
PER_OBJECT_SECONDS = 3.0
# All objects of one poll together; what is left is read at the next poll.
PER_POLL_SECONDS = 20.0
# Busy periods one poll may produce (after merging); past that, objects are unknown.
MAX_BUSY_PER_POLL = 50_000
# Address space of a child: a memory bomb fails the object, not the worker's host.
CHILD_MEMORY_BYTES = 1_500_000_000
# Children reading at once (each a process with one CPU-bound thread).
CHILDREN = 2
# How long a child may take to start (imports), on a loaded machine.
STARTUP_SECONDS = 60.0
# Objects known to exceed the time budget, by content hash: not read again by this process.
KNOWN_SLOW = 2_000

TOO_SLOW = "reading it took longer than {seconds:g} s (e.g. a repeat rule that never occurs)"
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


def _answer(request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two answer lines for one request (pure; the child's work)."""
    window = TimeInterval(
        datetime.fromisoformat(request["start"]), datetime.fromisoformat(request["end"])
    )
    zone, data = request["time_zone"], request["data"]
    start, end = calendar_extent(data, window=window, time_zone=zone)
    extent = {"extent": [start.isoformat(), end.isoformat()]}
    try:
        reading = read_events(
            data, window=window, time_zone=zone, owner_email=request.get("owner_email")
        )
    except (CalendarDataError, SchedulingInputError) as error:
        return extent, {"error": str(error)[:400]}
    return extent, {
        "busy": [
            [p.start.isoformat(), p.end.isoformat(), p.tentative] for p in _merge(reading.busy)
        ],
        "unknown": [[u.start.isoformat(), u.end.isoformat(), u.reason] for u in reading.unknown],
        "unreadable": reading.unreadable,
    }


def serve() -> None:
    """The child's loop: a request per stdin line, two answer lines on stdout each."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform; the time budget still holds
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            extent, result = _answer(request)
        except MemoryError:
            extent, result = {"extent": None}, {"error": "the calendar data needs too much memory"}
        except Exception as error:  # noqa: BLE001 - the sandbox answers whatever happens
            extent, result = {"extent": None}, {"error": f"unreadable: {error}"[:400]}
        out.write(json.dumps(extent) + "\n")
        out.flush()
        out.write(json.dumps(result) + "\n")
        out.flush()


# ------------------------------------------------------------------------------- parent


class _ChildGone(Exception):
    """The child died or the deadline passed before it answered."""


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

    def line(self, deadline: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.selector.select(remaining):
                raise _ChildGone("deadline")
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
        self, *, per_object_seconds: float = PER_OBJECT_SECONDS, children: int = CHILDREN
    ) -> None:
        self.per_object_seconds = per_object_seconds
        self._idle: list[_Child] = []
        self._slots = threading.Semaphore(children)
        self._lock = threading.Lock()
        self._slow: OrderedDict[str, tuple[str, str, bool]] = OrderedDict()

    def close(self) -> None:
        """Stop the idle children (busy ones stop when their read finishes)."""
        with self._lock:
            children, self._idle = self._idle, []
        for child in children:
            child.kill()

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
        timeout = min(self.per_object_seconds, budget.seconds)
        request = {
            "data": data,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "time_zone": time_zone,
            "owner_email": owner_email,
        }
        began = time.monotonic()
        deadline = began + timeout
        extent: tuple[datetime, datetime] | None = None
        with self._slots:
            try:
                child = self._take()
            except _ChildGone as gone:
                log.warning("calendar reader could not start: %s", gone)
                return self._unknown(url, window.start, window.end, READER_FAILED, deferred=True)
            try:
                child.send(request)
                first = child.line(deadline)
                if first.get("extent"):
                    extent = _times(first["extent"])
                answer = child.line(deadline)
            except _ChildGone as gone:
                child.kill()
                budget.seconds -= time.monotonic() - began
                start, end = extent or (window.start, window.end)
                if str(gone) != "deadline":
                    log.warning("calendar reader failed on %s: %s", url, gone)
                    return self._unknown(url, start, end, READER_FAILED)
                if timeout < self.per_object_seconds:
                    # Cut short by the poll's budget, not its own: read again next poll.
                    return self._unknown(url, start, end, DEFERRED, deferred=True)
                log.warning("calendar object %s took more than %ss to read", url, timeout)
                with self._lock:
                    self._slow[digest] = (start.isoformat(), end.isoformat(), end >= window.end)
                    while len(self._slow) > KNOWN_SLOW:
                        self._slow.popitem(last=False)
                return self._unknown(url, start, end, slow_reason(self.per_object_seconds))
            self._give_back(child)
        budget.seconds -= time.monotonic() - began
        if "error" in answer:
            start, end = extent or (window.start, window.end)
            return self._unknown(url, start, end, str(answer["error"])[:400])
        busy = [
            BusyTime(*_times(item[:2]), tentative=bool(item[2]), source_event_id=url)
            for item in answer.get("busy", [])
        ]
        if len(busy) > budget.busy:
            start, end = extent or (window.start, window.end)
            return self._unknown(url, start, end, TOO_MANY.format(count=MAX_BUSY_PER_POLL))
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
    def _unknown(
        url: str, start: datetime, end: datetime, reason: str, *, deferred: bool = False
    ) -> EventChange:
        unknown = (UnknownTime(start, end, reason, url),) if end > start else ()
        return EventChange(external_id=url, unknown=unknown, unreadable=1, deferred=deferred)

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
        budget = budget or ReadBudget()
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
