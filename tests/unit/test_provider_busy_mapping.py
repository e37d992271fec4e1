"""Provider JSON whose date-times are not instants (issue #9, kind 2): Graph all-day events and
Google all-day dates are the owner's local days; an unreadable event is unknown, not free."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from planner.integrations.calendar.google.mapping import event_change
from planner.integrations.calendar.microsoft.mapping import delta_change

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
WINDOW = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def graph_all_day(start: str, end: str, **fields) -> dict:
    return {
        "id": "day",
        "isAllDay": True,
        "start": {"dateTime": f"{start}T00:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"{end}T00:00:00.0000000", "timeZone": "UTC"},
        **fields,
    }


def test_graph_all_day_oof_is_the_owners_local_day():
    change = delta_change(graph_all_day("2030-01-07", "2030-01-08", showAs="oof"), LOS_ANGELES)
    assert [(b.start, b.end, b.tentative) for b in change.busy] == [
        (utc(2030, 1, 7, 8), utc(2030, 1, 8, 8), False)
    ]


def test_graph_all_day_whatever_zone_graph_names_and_across_dst():
    # Graph may name the zone it was asked for; the dates still mean the owner's days.
    item = graph_all_day("2026-03-07", "2026-03-09", showAs="busy")
    item["start"]["timeZone"] = item["end"]["timeZone"] = "Pacific Standard Time"
    change = delta_change(item, LOS_ANGELES)
    # 2026-03-08 springs forward in Los Angeles: 8 h before, 7 h after.
    assert [(b.start, b.end) for b in change.busy] == [(utc(2026, 3, 7, 8), utc(2026, 3, 9, 7))]


def test_graph_timed_event_is_still_an_instant_and_free_all_day_takes_no_time():
    timed = {
        "id": "t",
        "start": {"dateTime": "2030-01-07T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-07T10:00:00.0000000", "timeZone": "UTC"},
    }
    assert [(b.start, b.end) for b in delta_change(timed, LOS_ANGELES).busy] == [
        (utc(2030, 1, 7, 9), utc(2030, 1, 7, 10))
    ]
    free = graph_all_day("2030-01-07", "2030-01-08", showAs="free")
    assert delta_change(free, LOS_ANGELES).busy == ()


def test_graph_event_with_unreadable_times_is_unknown_over_the_window():
    item = {"id": "x", "start": {"dateTime": "someday", "timeZone": "UTC"}, "end": {}}
    change = delta_change(item, LOS_ANGELES).clipped(*WINDOW)
    assert change.busy == () and change.unreadable == 1
    assert [(u.start, u.end) for u in change.unknown] == [WINDOW]


def test_google_all_day_date_is_the_owners_local_day():
    body = {"id": "g", "start": {"date": "2030-01-07"}, "end": {"date": "2030-01-08"}}
    change = event_change(body, LOS_ANGELES)
    assert [(b.start, b.end) for b in change.busy] == [(utc(2030, 1, 7, 8), utc(2030, 1, 8, 8))]


def test_google_event_with_unreadable_times_is_unknown_over_the_window():
    body = {"id": "g", "start": {"dateTime": "not a time"}, "end": {"date": "2030-01-08"}}
    change = event_change(body, LOS_ANGELES).clipped(*WINDOW)
    assert change.busy == () and change.unreadable == 1
    assert [(u.start, u.end) for u in change.unknown] == [WINDOW]
