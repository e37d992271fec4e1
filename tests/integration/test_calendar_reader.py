"""The reader of untrusted calendar objects (issue #15 item 4): child processes, CPU budgets per
object and per poll, the event loop never blocked, and hostile data paid for once."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from planner.domain.intervals import TimeInterval
from planner.integrations.calendar.caldav.reader import DEFERRED, CalendarReader

NOW = datetime.now(UTC).replace(microsecond=0)
WINDOW = TimeInterval(NOW, NOW + timedelta(days=28))
HOSTILE_RULE = "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
FMT = "%Y%m%dT%H%M%SZ"


def ics(uid: str, start: datetime, *extra: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start.strftime(FMT)}",
            f"DTEND:{(start + timedelta(hours=1)).strftime(FMT)}",
            *extra,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def day(n: int) -> datetime:
    return (NOW + timedelta(days=n)).replace(hour=9, minute=0, second=0)


@pytest.fixture
def reader():
    made: list[CalendarReader] = []

    def make(**budgets) -> CalendarReader:
        made.append(CalendarReader(**budgets))
        return made[-1]

    yield make
    for created in made:
        created.close()


async def test_six_hostile_events_neither_block_the_loop_nor_hide_the_others(reader):
    calendar_reader = reader(per_object_seconds=0.5, per_poll_seconds=30.0)
    objects = []
    for n in range(6):  # six such events stopped a worker for 53 s
        objects.append((f"hostile-{n}", ics(f"hostile-{n}", day(1 + n), HOSTILE_RULE)))
        objects.append((f"meeting-{n}", ics(f"meeting-{n}", day(1 + n))))
    lag = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal lag
        while not done.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.02)
            lag = max(lag, time.monotonic() - before - 0.02)

    task = asyncio.create_task(ticker())
    changes = await calendar_reader.read(objects, window=WINDOW, time_zone="UTC", owner_email=None)
    done.set()
    await task

    assert lag < 1.0, f"the event loop stalled for {lag:.1f} s"
    by_id = {change.external_id: change for change in changes}
    for n in range(6):
        meeting = by_id[f"meeting-{n}"]
        assert [(b.start, b.end) for b in meeting.busy] == [
            (day(1 + n), day(1 + n) + timedelta(hours=1))
        ]
        assert meeting.unknown == () and not meeting.deferred
        hostile = by_id[f"hostile-{n}"]
        assert hostile.busy == () and hostile.unreadable == 1 and not hostile.deferred
        # Unknown from its first possible occurrence to the end of the window, never free.
        [unknown] = hostile.unknown
        assert (unknown.start, unknown.end) == (day(1 + n), WINDOW.end)
        assert "CPU time" in unknown.reason
    # An interrupted child is reused, not replaced.
    assert len(calendar_reader._idle) == 1

    # The same hostile data again costs no child at all.
    requests = calendar_reader._requests
    again = await calendar_reader.read(
        objects[:1], window=WINDOW, time_zone="UTC", owner_email=None
    )
    assert calendar_reader._requests == requests
    assert again[0].unknown[0].start == day(1)


async def test_a_polls_budget_leaves_the_rest_for_later_polls_which_finish_the_work(reader):
    calendar_reader = reader(per_object_seconds=0.5, per_poll_seconds=0.8)
    objects = []
    for n in range(3):
        objects.append((f"hostile-{n}", ics(f"hostile-{n}", day(1 + n), HOSTILE_RULE)))
        objects.append((f"meeting-{n}", ics(f"meeting-{n}", day(1 + n))))

    polls = []
    for _ in range(8):
        changes = await calendar_reader.read(
            objects, window=WINDOW, time_zone="UTC", owner_email=None
        )
        polls.append(changes)
        for change in changes:
            # Whatever was not read is unknown (at least over its own times): never free.
            if change.deferred:
                [unknown] = change.unknown
                own_start = day(1 + int(change.external_id.rsplit("-", 1)[1]))
                assert unknown.reason == DEFERRED
                assert unknown.start <= own_start < unknown.end
        if not any(change.deferred for change in changes):
            break
    assert any(change.deferred for change in polls[0]), "the budget never ran out"
    final = {change.external_id: change for change in polls[-1]}
    assert not any(change.deferred for change in final.values())
    assert all(final[f"meeting-{n}"].busy for n in range(3))
    assert all(final[f"hostile-{n}"].unreadable == 1 for n in range(3))


async def test_data_that_is_not_a_calendar_is_unreadable_over_the_whole_window(reader):
    calendar_reader = reader()
    [change] = await calendar_reader.read(
        [("junk", "this is not iCalendar")], window=WINDOW, time_zone="UTC", owner_email=None
    )
    assert change.busy == () and change.unreadable == 1 and not change.deferred
    assert (change.unknown[0].start, change.unknown[0].end) == (WINDOW.start, WINDOW.end)
    assert "iCalendar" in change.unknown[0].reason
