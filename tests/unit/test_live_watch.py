"""The live loop of the calendar and the candidate page: refreshes when the account's
activity marker moves, stops when the tab shows another page, and one loop per tab."""

import asyncio
from types import SimpleNamespace

import pytest

from planner.state import live


class FakeState:
    """Just what watch_activity touches of a Reflex state."""

    def __init__(self, path: str = "/calendar") -> None:
        self._watching = False
        self._watch_beat = 0.0
        self._watch_run = 0
        self._marker = 1
        self.router = SimpleNamespace(
            url=SimpleNamespace(path=path),
            headers=SimpleNamespace(cookie="planner_session=x"),
            session=SimpleNamespace(client_token="tab-1"),
        )

    async def __aenter__(self) -> "FakeState":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None


@pytest.fixture
def account(monkeypatch):
    """The account's marker (set `marker["value"]`), a signed-in actor, a connected tab."""
    marker = {"value": 1}
    monkeypatch.setattr(live, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(live, "actor_from_cookie", lambda cookie: "actor")
    monkeypatch.setattr(live, "activity_marker", lambda actor: marker["value"])
    monkeypatch.setattr(live, "_tab_connected", lambda token: True)
    return marker


def on_calendar(path: str) -> bool:
    return path == "/calendar"


async def test_a_moved_marker_refreshes_once_and_leaving_the_page_stops(account):
    state = FakeState()
    refreshed: list[str] = []

    async def refresh(actor: str) -> None:
        refreshed.append(actor)

    task = asyncio.create_task(live.watch_activity(state, on_page=on_calendar, refresh=refresh))
    await asyncio.sleep(0.05)
    assert refreshed == [] and state._watching
    assert not live.needs_watch(state)  # a second load starts no second loop
    account["value"] = 2
    await asyncio.sleep(0.05)
    assert refreshed == ["actor"]  # once, not at every tick
    state.router.url.path = "/candidates"
    await asyncio.wait_for(task, timeout=1)
    assert not state._watching
    assert live.needs_watch(state)


async def test_a_newer_loop_stops_the_older_one(account):
    state = FakeState()

    async def refresh(_actor: str) -> None:
        return None

    older = asyncio.create_task(live.watch_activity(state, on_page=on_calendar, refresh=refresh))
    await asyncio.sleep(0.03)
    newer = asyncio.create_task(live.watch_activity(state, on_page=on_calendar, refresh=refresh))
    await asyncio.wait_for(older, timeout=1)
    assert not newer.done() and state._watching  # the older one left the flag to the newer
    state.router.url.path = "/admin"
    await asyncio.wait_for(newer, timeout=1)


async def test_a_signed_out_tab_stops(account, monkeypatch):
    state = FakeState()
    monkeypatch.setattr(live, "actor_from_cookie", lambda cookie: None)

    async def refresh(_actor: str) -> None:
        raise AssertionError("nothing to show a signed-out tab")

    await asyncio.wait_for(
        live.watch_activity(state, on_page=on_calendar, refresh=refresh), timeout=1
    )


async def test_a_failed_refresh_or_marker_read_is_retried_and_the_loop_goes_on(
    account, monkeypatch
):
    # A passing database error (a lock, a dropped connection) must not end the tab's live
    # updates until the next reload: the next tick tries again.
    state = FakeState()
    calls: list[str] = []

    async def refresh(actor: str) -> None:
        calls.append(actor)
        if len(calls) == 1:
            raise RuntimeError("database is locked")

    task = asyncio.create_task(live.watch_activity(state, on_page=on_calendar, refresh=refresh))
    account["value"] = 2
    await asyncio.sleep(0.08)
    assert calls[:2] == ["actor", "actor"]  # failed once, shown at the next tick
    assert not task.done() and state._marker == 2

    def broken_marker(actor: str) -> int:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(live, "activity_marker", broken_marker)
    await asyncio.sleep(0.05)
    assert not task.done()
    monkeypatch.setattr(live, "activity_marker", lambda actor: 3)
    await asyncio.sleep(0.05)
    assert len(calls) == 3
    state.router.url.path = "/candidates"
    await asyncio.wait_for(task, timeout=1)
