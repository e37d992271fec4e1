"""Importing the previous calendar on SQLite and PostgreSQL: preview with matches and
duplicates, the worker job with progress, idempotence, changed events, refused files, the
account switch and appointments typed in by hand."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from planner.domain.ics_import import IcsImportError, Problem
from planner.domain.vocabulary import Role
from planner.models import (
    CalendarImport,
    Candidate,
    PreviousAppointment,
    PreviousAppointmentPerson,
    StaffUser,
)
from planner.services import previous_calendar
from planner.services.errors import NotFound, PermissionDenied
from tests.factories import account_with_admin, actor_for

FILES = Path(__file__).parent.parent / "unit" / "ics"
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
def world(session):
    account, admin = account_with_admin(session, "Acme", email="astrid.holm@demo.example")
    admin.time_zone = "Europe/Copenhagen"
    session.add(
        Candidate(account_id=account.id, name="Freja Nielsen", email="freja.nielsen@example.com")
    )
    session.add(
        StaffUser(
            account_id=account.id,
            name="No Mail",
            role=Role.HIRING_MANAGER.value,
        )
    )
    session.commit()
    return account, actor_for(admin, account)


def run_worker(session) -> int:
    return previous_calendar.run_due_imports(session=session, now=NOW)


def import_file(session, actor, data: bytes):
    preview = previous_calendar.preview_import(
        session=session, actor=actor, filename="export.ics", data=data, now=NOW
    )
    previous_calendar.start_import(
        session=session, actor=actor, import_id=preview.import_id, now=NOW
    )
    assert run_worker(session) == 1
    return preview


def test_preview_matches_people_by_email_and_names_the_unmatched(session, world):
    _account, actor = world
    data = (FILES / "outlook.ics").read_bytes()
    preview = previous_calendar.preview_import(
        session=session, actor=actor, filename="outlook.ics", data=data, now=NOW
    )
    assert (preview.total, preview.new, preview.changed, preview.unchanged) == (8, 8, 0, 0)
    interview = next(r for r in preview.rows if r.title == "Samtale med Freja Nielsen")
    assert interview.staff == ("Acme Admin",)
    assert interview.candidates == ("Freja Nielsen",)
    assert interview.unmatched == ("Bo Ukendt <bo@elsewhere.example>",)
    assert "James Carter <james.carter@example.com>" in preview.unmatched
    assert sum(r.recurring for r in preview.rows) == 5
    # Previewing imports nothing.
    assert session.exec(select(PreviousAppointment)).all() == []


def test_import_runs_in_the_worker_with_progress_and_twice_adds_nothing(session, world):
    account, actor = world
    data = (FILES / "outlook.ics").read_bytes()
    preview = import_file(session, actor, data)

    progress = previous_calendar.import_progress(
        session=session, actor=actor, import_id=preview.import_id
    )
    assert (progress.status, progress.processed, progress.total, progress.created) == (
        "done",
        8,
        8,
        8,
    )
    rows = session.exec(select(PreviousAppointment)).all()
    assert len(rows) == 8
    # The file is not kept once imported.
    assert session.get(CalendarImport, preview.import_id).content is None
    freja = session.exec(select(Candidate)).first()
    linked = session.exec(
        select(PreviousAppointmentPerson).where(PreviousAppointmentPerson.candidate_id == freja.id)
    ).all()
    assert len(linked) == 1

    again = import_file(session, actor, data)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 8)
    assert len(session.exec(select(PreviousAppointment)).all()) == 8
    second = previous_calendar.import_progress(
        session=session, actor=actor, import_id=again.import_id
    )
    assert (second.created, second.updated, second.unchanged) == (0, 0, 8)
    # Starting a finished import again does nothing.
    previous_calendar.start_import(session=session, actor=actor, import_id=again.import_id, now=NOW)
    assert run_worker(session) == 0


def test_a_changed_event_updates_its_copy(session, world):
    _account, actor = world
    data = (FILES / "google.ics").read_bytes()
    import_file(session, actor, data)
    changed = data.replace(b"DTSTART:20261207T130000Z", b"DTSTART:20261207T140000Z").replace(
        b"DTEND:20261207T134500Z", b"DTEND:20261207T144500Z"
    )
    preview = import_file(session, actor, changed)
    assert (preview.new, preview.changed, preview.unchanged) == (0, 1, 4)
    row = session.exec(
        select(PreviousAppointment).where(
            PreviousAppointment.uid == "5k2v1q0h7n3m9c8b6x4z2l1a0p@google.com"
        )
    ).one()
    session.refresh(row)
    assert row.start_at == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert len(session.exec(select(PreviousAppointment)).all()) == 5


def test_a_refused_file_stores_nothing(session, world):
    _account, actor = world
    hostile = (FILES / "google.ics").read_bytes().replace(b"DTSTART:20261207T130000Z\r\n", b"")
    with pytest.raises(IcsImportError) as caught:
        previous_calendar.preview_import(
            session=session, actor=actor, filename="x.ics", data=hostile, now=NOW
        )
    assert caught.value.problem is Problem.NO_START
    assert session.exec(select(CalendarImport)).all() == []
    assert session.exec(select(PreviousAppointment)).all() == []


def test_imports_belong_to_their_account_and_hiring_managers_cannot_import(session, world):
    _account, actor = world
    preview = previous_calendar.preview_import(
        session=session,
        actor=actor,
        filename="a.ics",
        data=(FILES / "apple.ics").read_bytes(),
        now=NOW,
    )
    other, other_admin = account_with_admin(session, "Other", email="o@other.example")
    outsider = actor_for(other_admin, other)
    with pytest.raises(NotFound):
        previous_calendar.import_progress(
            session=session, actor=outsider, import_id=preview.import_id
        )
    with pytest.raises(NotFound):
        previous_calendar.start_import(
            session=session, actor=outsider, import_id=preview.import_id, now=NOW
        )
    manager = session.exec(select(StaffUser).where(StaffUser.name == "No Mail")).one()
    with pytest.raises(PermissionDenied):
        previous_calendar.preview_import(
            session=session,
            actor=actor_for(manager, world[0]),
            filename="a.ics",
            data=b"BEGIN:VCALENDAR",
            now=NOW,
        )


def test_appointments_show_in_the_calendar_and_on_the_candidate(session, world):
    _account, actor = world
    import_file(session, actor, (FILES / "outlook.ics").read_bytes())
    entries = previous_calendar.calendar_entries(
        session=session,
        actor=actor,
        start=datetime(2026, 12, 1, tzinfo=UTC),
        end=datetime(2026, 12, 8, tzinfo=UTC),
    )
    assert [(e.kind, e.title) for e in entries] == [
        ("previous", "Samtale med Freja Nielsen"),
        ("previous", "Interview James Carter"),
    ]
    freja = session.exec(select(Candidate)).first()
    rows = previous_calendar.for_candidate(session=session, actor=actor, candidate_id=freja.id)
    assert [r.title for r in rows] == ["Samtale med Freja Nielsen"]
    assert previous_calendar.delete_appointment(
        session=session, actor=actor, appointment_id=rows[0].id
    )
    assert not previous_calendar.delete_appointment(
        session=session, actor=actor, appointment_id=rows[0].id
    )


def test_switch_both_ways_and_typing_in_by_hand_loses_nothing(session, world):
    _account, actor = world
    assert not previous_calendar.uses_previous_calendar(session=session, actor=actor)
    previous_calendar.set_previous_calendar(session=session, actor=actor, on=True)
    assert previous_calendar.uses_previous_calendar(session=session, actor=actor)
    freja = session.exec(select(Candidate)).first()
    values = previous_calendar.AppointmentInput(
        title="Phone screen",
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, minutes=30),
        staff_ids=(actor.user_id,),
        candidate_ids=(freja.id,),
    )
    first = previous_calendar.save_appointment(
        session=session, actor=actor, values=values, now=NOW, request_key="k1"
    )
    twice = previous_calendar.save_appointment(
        session=session, actor=actor, values=values, now=NOW, request_key="k1"
    )
    assert first == twice
    previous_calendar.save_appointment(
        session=session,
        actor=actor,
        values=previous_calendar.AppointmentInput(
            title="Phone screen (moved)",
            start=NOW + timedelta(days=2),
            end=NOW + timedelta(days=2, minutes=30),
            candidate_ids=(freja.id,),
        ),
        now=NOW,
        appointment_id=first,
    )
    previous_calendar.set_previous_calendar(session=session, actor=actor, on=False)
    entries = previous_calendar.calendar_entries(
        session=session, actor=actor, start=NOW, end=NOW + timedelta(days=7)
    )
    assert [(e.title, e.candidates) for e in entries] == [
        ("Phone screen (moved)", ("Freja Nielsen",))
    ]


def test_an_import_interrupted_by_a_crash_runs_again_and_then_completes(
    session, world, monkeypatch
):
    _account, actor = world
    data = (FILES / "outlook.ics").read_bytes()
    preview = previous_calendar.preview_import(
        session=session, actor=actor, filename="o.ics", data=data, now=NOW
    )
    previous_calendar.start_import(
        session=session, actor=actor, import_id=preview.import_id, now=NOW
    )
    monkeypatch.setattr(previous_calendar, "BATCH", 3)
    real = previous_calendar._set_people
    calls = {"n": 0}

    def dies_in_the_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(previous_calendar, "_set_people", dies_in_the_second_batch)
    with pytest.raises(RuntimeError):
        run_worker(session)
    session.rollback()
    assert len(session.exec(select(PreviousAppointment)).all()) == 3  # the first batch
    assert run_worker(session) == 0  # the dead worker's claim has not expired yet

    later = NOW + previous_calendar.IMPORT_LEASE + timedelta(seconds=1)
    assert previous_calendar.run_due_imports(session=session, now=later) == 1
    progress = previous_calendar.import_progress(
        session=session, actor=actor, import_id=preview.import_id
    )
    assert (progress.status, progress.processed, progress.created) == ("done", 8, 5)
    assert progress.unchanged == 3
    assert len(session.exec(select(PreviousAppointment)).all()) == 8


def test_editing_an_imported_appointment_keeps_the_people_it_names(session, world):
    _account, actor = world
    import_file(session, actor, (FILES / "outlook.ics").read_bytes())
    row = session.exec(
        select(PreviousAppointment).where(PreviousAppointment.title == "Samtale med Freja Nielsen")
    ).one()
    previous_calendar.save_appointment(
        session=session,
        actor=actor,
        values=previous_calendar.AppointmentInput(
            title="Samtale (flyttet)",
            start=row.start_at + timedelta(hours=1),
            end=row.end_at + timedelta(hours=1),
        ),
        now=NOW,
        appointment_id=row.id,
    )
    edited = previous_calendar.get_appointment(session=session, actor=actor, appointment_id=row.id)
    assert edited.title == "Samtale (flyttet)"
    assert edited.staff == ("Acme Admin",)
    assert edited.candidates == ()  # no candidate chosen any more
    assert edited.others == ("Bo Ukendt",)


def test_an_unstarted_preview_drops_its_file_after_a_day(session, world):
    _account, actor = world
    preview = previous_calendar.preview_import(
        session=session,
        actor=actor,
        filename="a.ics",
        data=(FILES / "apple.ics").read_bytes(),
        now=NOW,
    )
    previous_calendar.run_due_imports(session=session, now=NOW + timedelta(hours=23))
    session.expire_all()
    assert session.get(CalendarImport, preview.import_id).content is not None
    previous_calendar.run_due_imports(session=session, now=NOW + timedelta(hours=25))
    session.expire_all()
    assert session.get(CalendarImport, preview.import_id).content is None


def test_the_worker_runs_imports_and_completes_erasures():
    from planner.jobs.worker import WorkerSettings

    functions = {f.__name__ for f in WorkerSettings.functions}
    crons = {c.name.rsplit(":", 1)[-1] for c in WorkerSettings.cron_jobs}
    assert {"run_calendar_imports", "complete_candidate_erasures"} <= functions
    assert {"run_calendar_imports", "complete_candidate_erasures"} <= crons
