"""Suggestions from the database: working hours, synced busy times, booked interviews,
unknown participants named, other accounts refused."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from planner.models import BusyInterval, CalendarConnection, StaffUser, WorkingHours
from planner.services import availability
from planner.services.errors import InvalidInput
from tests.factories import account_with_admin, actor_for

# Monday 30 November 2026, 07:00 UTC = 08:00 in Copenhagen.
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
def people(session):
    account, admin = account_with_admin(session, "Alpha", email="admin@alpha.example")
    synced = StaffUser(
        account_id=account.id,
        name="Sara Synced",
        email="sara@alpha.example",
        role="recruiter",
        time_zone="Europe/Copenhagen",
    )
    unknown = StaffUser(
        account_id=account.id,
        name="Ulf Unknown",
        role="hiring_manager",
        time_zone="Europe/Helsinki",
    )
    session.add_all([synced, unknown])
    session.flush()
    for user in (synced,):
        session.add_all(
            WorkingHours(account_id=account.id, staff_user_id=user.id, weekday=d,
                         start_minute=9 * 60, end_minute=12 * 60)
            for d in range(5)
        )  # fmt: skip
    connection = CalendarConnection(
        account_id=account.id,
        staff_user_id=synced.id,
        provider="caldav",
        status="synced",
        last_synced_at=NOW,
    )
    session.add(connection)
    session.flush()
    # Busy 09:00-10:30 Copenhagen on Monday.
    session.add(
        BusyInterval(
            account_id=account.id,
            connection_id=connection.id,
            start_at=NOW + timedelta(hours=1),
            end_at=NOW + timedelta(hours=2, minutes=30),
        )
    )
    session.commit()
    return actor_for(admin, account), synced, unknown


def test_suggestions_avoid_busy_times_and_name_unknown_participants(session, people):
    actor, synced, unknown = people
    found = availability.suggest_times(
        session=session, actor=actor, participant_ids=[synced.id, unknown.id],
        duration_minutes=60, now=NOW, horizon_days=2,
    )  # fmt: skip
    assert found
    busy_end = NOW + timedelta(hours=2, minutes=30)
    for suggestion in found:
        assert suggestion.unknown == ["Ulf Unknown"]
        assert suggestion.start >= busy_end or suggestion.end <= NOW + timedelta(hours=1)
        local = suggestion.start.astimezone(ZoneInfo("Europe/Copenhagen"))
        assert 9 <= local.hour and (local + timedelta(hours=1)).hour <= 12
    assert found[0].start == busy_end  # Monday 10:30 Copenhagen is the first free hour


def test_only_synced_participants_are_all_known_free(session, people):
    actor, synced, _unknown = people
    found = availability.suggest_times(
        session=session, actor=actor, participant_ids=[synced.id], duration_minutes=30,
        now=NOW, horizon_days=1,
    )  # fmt: skip
    assert found and all(s.unknown == [] for s in found)


def test_bad_input_names_the_field(session, people):
    actor, synced, _ = people
    with pytest.raises(InvalidInput) as caught:
        availability.suggest_times(session=session, actor=actor, participant_ids=[synced.id],
                                   duration_minutes=0, now=NOW)  # fmt: skip
    assert caught.value.field == "duration"
    other_account, other_admin = account_with_admin(session, "Beta", email="b@beta.example")
    with pytest.raises(InvalidInput) as caught:
        availability.suggest_times(session=session, actor=actor, participant_ids=[other_admin.id],
                                   duration_minutes=30, now=NOW)  # fmt: skip
    assert caught.value.field == "participant_ids"


def test_free_busy_grid_shows_busy_without_titles(session, people):
    actor, synced, unknown = people
    grid = availability.free_busy(session=session, actor=actor,
                                  participant_ids=[synced.id, unknown.id], start=NOW, days=1,
                                  now=NOW)  # fmt: skip
    states = {row.participant_id: {seg.state for seg in row.segments} for row in grid}
    assert "busy" in states[synced.id]
    assert states[unknown.id] >= {"unknown"}
