"""The previous, manual calendar (spec 7): importing its .ics export (preview, then a worker
job with progress; idempotent by UID and occurrence), typing appointments in by hand, and
the account switch that makes it the staff's calendar during the trial."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from planner.db import begin_write
from planner.domain.ics_import import (
    Appointment,
    IcsImportError,
    decode_text,
    one_line,
    parse_ics,
)
from planner.domain.vocabulary import Role
from planner.models import (
    Account,
    CalendarImport,
    Candidate,
    OutboxMessage,
    PreviousAppointment,
    PreviousAppointmentPerson,
    StaffUser,
)
from planner.models.base import utcnow
from planner.services import outbox
from planner.services.actor import Actor, owned, require_admin
from planner.services.errors import InvalidInput, PermissionDenied
from planner.services.interviews import CalendarEntry

log = logging.getLogger(__name__)

IMPORT_KIND = "calendar_import"
IMPORT_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
BATCH = 100
PREVIEW_ROWS = 300  # rows the preview lists; the counts cover the whole file
UNFINISHED_PREVIEW = timedelta(days=1)  # an unstarted preview's file is dropped after this


@dataclass(frozen=True)
class PreviewRow:
    """One appointment as the preview lists it (times UTC; the page shows them in the
    reader's zone). `status`: new, changed (its imported copy will be updated) or
    unchanged (already imported: a duplicate by UID)."""

    title: str
    start: datetime
    end: datetime
    all_day: bool
    recurring: bool
    status: str
    staff: tuple[str, ...]
    candidates: tuple[str, ...]
    unmatched: tuple[str, ...]


@dataclass(frozen=True)
class ImportPreview:
    """What an uploaded file would import: counts over the whole file, the first rows."""

    import_id: int
    filename: str
    total: int
    new: int
    changed: int
    unchanged: int
    duplicates_in_file: int
    unmatched: tuple[str, ...]
    rows: tuple[PreviewRow, ...]


@dataclass(frozen=True)
class ImportProgress:
    """An import run as the page shows it."""

    import_id: int
    status: str  # previewed | queued | running | done | failed
    total: int
    processed: int
    created: int
    updated: int
    unchanged: int
    error: str


@dataclass(frozen=True)
class AppointmentRow:
    """A previous-calendar appointment with the people it names."""

    id: int
    title: str
    start: datetime
    end: datetime
    all_day: bool
    location: str
    source: str  # import | manual
    staff: tuple[str, ...]
    candidates: tuple[str, ...]
    others: tuple[str, ...]
    staff_ids: tuple[int, ...]
    candidate_ids: tuple[int, ...]


def _require_importer(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.RECRUITER):
        raise PermissionDenied("Only an admin or a recruiter can import a calendar.")


@dataclass(frozen=True)
class _Match:
    staff: dict[str, tuple[int, str]]
    candidates: dict[str, tuple[int, str]]


def _match(session: Session, account_id: int, emails: Iterable[str]) -> _Match:
    """Staff users and (not erased) candidates of the account by lower-case e-mail."""
    wanted = sorted({e for e in emails if e})
    staff: dict[str, tuple[int, str]] = {}
    candidates: dict[str, tuple[int, str]] = {}
    for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
        for user_id, email, name in session.exec(
            select(StaffUser.id, StaffUser.email, StaffUser.name).where(
                StaffUser.account_id == account_id,
                func.lower(col(StaffUser.email)).in_(chunk),
            )
        ).all():
            staff[(email or "").lower()] = (int(user_id or 0), name)
        for candidate_id, email, name in session.exec(
            select(Candidate.id, Candidate.email, Candidate.name).where(
                Candidate.account_id == account_id,
                col(Candidate.erased_at).is_(None),
                func.lower(col(Candidate.email)).in_(chunk),
            )
        ).all():
            candidates.setdefault(email.lower(), (int(candidate_id or 0), name))
    return _Match(staff=staff, candidates=candidates)


def _existing(
    session: Session, account_id: int, appointments: Sequence[Appointment]
) -> dict[tuple[str, str], tuple[int, str]]:
    """(uid, occurrence) -> (id, fingerprint) of the account's copies of these events."""
    uids = sorted({a.uid for a in appointments})
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for chunk in (uids[i : i + 500] for i in range(0, len(uids), 500)):
        for row_id, uid, occurrence, fingerprint in session.exec(
            select(
                PreviousAppointment.id,
                PreviousAppointment.uid,
                PreviousAppointment.occurrence,
                PreviousAppointment.fingerprint,
            ).where(
                PreviousAppointment.account_id == account_id,
                col(PreviousAppointment.uid).in_(chunk),
            )
        ).all():
            found[(uid, occurrence)] = (int(row_id or 0), fingerprint)
    return found


def _parse(data: bytes, zone: str, now: datetime):  # type: ignore[no-untyped-def]
    return parse_ics(data, default_zone=zone, now=now)


def preview_import(
    *, session: Session, actor: Actor, filename: str, data: bytes, now: datetime
) -> ImportPreview:
    """Read an uploaded .ics file and say what importing it would do; keeps the file for
    the import (`start_import`). Admins and recruiters only.

    Raises IcsImportError for a broken or hostile file (nothing is stored then),
    PermissionDenied for other roles."""
    _require_importer(actor)
    parsed = _parse(data, actor.time_zone, now)
    text = decode_text(data)
    existing = _existing(session, actor.account_id, parsed.appointments)
    matched = _match(
        session, actor.account_id, (p.email for a in parsed.appointments for p in a.people)
    )
    begin_write(session)
    job = CalendarImport(
        account_id=actor.account_id,
        created_by_id=actor.user_id,
        filename=one_line(filename, 255),
        time_zone=actor.time_zone,
        content=text,
        status="previewed",
        total=len(parsed.appointments),
        created_at=now,
    )
    session.add(job)
    session.commit()
    assert job.id is not None
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    rows: list[PreviewRow] = []
    unmatched: dict[str, str] = {}
    for appointment in parsed.appointments:
        known = existing.get((appointment.uid, appointment.occurrence))
        status = (
            "new"
            if known is None
            else "unchanged"
            if known[1] == appointment.fingerprint
            else "changed"
        )
        counts[status] += 1
        staff, candidates, others = [], [], []
        for person in appointment.people:
            if person.email in matched.staff:
                staff.append(matched.staff[person.email][1])
            elif person.email in matched.candidates:
                candidates.append(matched.candidates[person.email][1])
            else:
                label = person.name or person.email
                if person.name and person.email and person.name.lower() != person.email:
                    label = f"{person.name} <{person.email}>"
                others.append(label)
                unmatched.setdefault((person.email or person.name).lower(), label)
        if len(rows) < PREVIEW_ROWS:
            rows.append(
                PreviewRow(
                    title=appointment.title,
                    start=appointment.start,
                    end=appointment.end,
                    all_day=appointment.all_day,
                    recurring=appointment.occurrence != "",
                    status=status,
                    staff=tuple(staff),
                    candidates=tuple(candidates),
                    unmatched=tuple(others),
                )
            )
    return ImportPreview(
        import_id=job.id,
        filename=job.filename,
        total=len(parsed.appointments),
        new=counts["new"],
        changed=counts["changed"],
        unchanged=counts["unchanged"],
        duplicates_in_file=parsed.duplicates_in_file,
        unmatched=tuple(sorted(unmatched.values(), key=str.lower)),
        rows=tuple(rows),
    )


def start_import(*, session: Session, actor: Actor, import_id: int, now: datetime) -> None:
    """Hand a previewed import to the worker. Starting it again changes nothing."""
    _require_importer(actor)
    begin_write(session)
    job = owned(actor, session.get(CalendarImport, import_id), "Import")
    if job.status != "previewed":
        session.rollback()
        return
    if job.content is None:
        session.rollback()
        raise InvalidInput("file", "the file is no longer kept; upload it again")
    job.status = "queued"
    _queue_job(session, account_id=actor.account_id, import_id=import_id, now=now)
    session.commit()
    log.info("calendar import %s queued by %s", import_id, actor.user_id)


def _queue_job(session: Session, *, account_id: int, import_id: int, now: datetime) -> None:
    """The worker's job as an outbox row (claimed with a lease, so a crash loses nothing)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.exec(  # type: ignore[call-overload]
        module.insert(OutboxMessage)
        .values(
            account_id=account_id,
            kind=IMPORT_KIND,
            payload={"import_id": import_id},
            dedupe_key=f"{IMPORT_KIND}:{import_id}",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


def import_progress(*, session: Session, actor: Actor, import_id: int) -> ImportProgress:
    """How far an import of the account has come (NotFound for another account's)."""
    owned(actor, session.get(CalendarImport, import_id), "Import")
    found = progress_of(session=session, account_id=actor.account_id, import_id=import_id)
    assert found is not None
    return found


def progress_of(*, session: Session, account_id: int, import_id: int) -> ImportProgress | None:
    """An import's progress for a page that already checked its reader (polling); None
    when it is not one of `account_id`'s."""
    job = session.get(CalendarImport, import_id, populate_existing=True)
    if job is None or job.account_id != account_id or job.id is None:
        return None
    return ImportProgress(
        import_id=job.id,
        status=job.status,
        total=job.total,
        processed=job.processed,
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        error=job.error or "",
    )


def _set_people(
    session: Session,
    appointment_id: int,
    account_id: int,
    appointment: Appointment,
    matched: _Match,
) -> None:
    session.exec(  # type: ignore[call-overload]
        delete(PreviousAppointmentPerson).where(
            col(PreviousAppointmentPerson.appointment_id) == appointment_id
        )
    )
    seen: set[str] = set()
    for person in appointment.people:
        key = person.email or f"name:{person.name.lower()}"
        if key in seen:
            continue
        seen.add(key)
        staff = matched.staff.get(person.email) if person.email else None
        candidate = (
            None if staff else matched.candidates.get(person.email) if person.email else None
        )
        session.add(
            PreviousAppointmentPerson(
                account_id=account_id,
                appointment_id=appointment_id,
                staff_user_id=staff[0] if staff else None,
                candidate_id=candidate[0] if candidate else None,
                email=person.email or key[:320],
                name=person.name[:200],
            )
        )


def run_import(*, session: Session, import_id: int, now: datetime) -> ImportProgress | None:
    """Worker: import a queued file in batches, committing progress after each. Each
    event's copy is found by (UID, occurrence): a new one is added, a changed one
    (another fingerprint) updated, an unchanged one left alone, so a run interrupted by a
    crash and run again completes without duplicates. The file was checked at preview;
    it is read again with the same zone and window, and dropped once imported."""
    begin_write(session)
    job = session.get(CalendarImport, import_id)
    if job is None or job.status not in ("queued", "running") or job.content is None:
        session.rollback()
        return None
    job.status = "running"
    account_id, zone, window_now = job.account_id, job.time_zone, job.created_at
    data = job.content.encode("utf-8")
    session.commit()
    try:
        parsed = _parse(data, zone, window_now)
    except IcsImportError as exc:
        begin_write(session)
        job = session.get(CalendarImport, import_id)
        assert job is not None
        job.status, job.content, job.finished_at = "failed", None, now
        job.error = f"{exc.problem.value}:{exc.line}"
        session.commit()
        return None
    appointments = parsed.appointments
    matched = _match(session, account_id, (p.email for a in appointments for p in a.people))
    created = updated = unchanged = 0
    for start in range(0, len(appointments), BATCH):
        batch = appointments[start : start + BATCH]
        begin_write(session)
        existing = _existing(session, account_id, batch)
        for appointment in batch:
            known = existing.get((appointment.uid, appointment.occurrence))
            if known is not None and known[1] == appointment.fingerprint:
                unchanged += 1
                continue
            if known is None:
                row = PreviousAppointment(
                    account_id=account_id,
                    uid=appointment.uid,
                    occurrence=appointment.occurrence,
                    title=appointment.title,
                    start_at=appointment.start,
                    end_at=appointment.end,
                    all_day=appointment.all_day,
                    location=appointment.location,
                    source="import",
                    fingerprint=appointment.fingerprint,
                    import_id=import_id,
                    created_by_id=job.created_by_id,
                    imported_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                created += 1
            else:
                row = session.get(PreviousAppointment, known[0])  # type: ignore[assignment]
                assert row is not None
                row.title, row.start_at, row.end_at = (
                    appointment.title,
                    appointment.start,
                    appointment.end,
                )
                row.all_day, row.location = appointment.all_day, appointment.location
                row.fingerprint, row.import_id, row.updated_at = (
                    appointment.fingerprint,
                    import_id,
                    now,
                )
                updated += 1
            assert row.id is not None
            _set_people(session, row.id, account_id, appointment, matched)
        session.exec(  # type: ignore[call-overload]
            update(CalendarImport)
            .where(col(CalendarImport.id) == import_id)
            .values(
                processed=start + len(batch),
                total=len(appointments),
                created=created,
                updated=updated,
                unchanged=unchanged,
            )
        )
        session.commit()
    begin_write(session)
    session.exec(  # type: ignore[call-overload]
        update(CalendarImport)
        .where(col(CalendarImport.id) == import_id)
        .values(
            status="done",
            content=None,
            finished_at=now,
            processed=len(appointments),
            total=len(appointments),
        )
    )
    session.commit()
    log.info(
        "calendar import %s: %d added, %d updated, %d unchanged",
        import_id,
        created,
        updated,
        unchanged,
    )
    return ImportProgress(
        import_id, "done", len(appointments), len(appointments), created, updated, unchanged, ""
    )


def _give_up(session: Session, import_id: int, now: datetime) -> None:
    """An import that failed on every attempt stops; what it imported stays (each row is
    whole), the file is dropped."""
    begin_write(session)
    session.exec(  # type: ignore[call-overload]
        update(CalendarImport)
        .where(col(CalendarImport.id) == import_id)
        .values(status="failed", content=None, finished_at=now, error="gave up")
    )
    session.commit()
    log.warning("calendar import %s given up after %d attempts", import_id, MAX_ATTEMPTS)


def run_due_imports(*, session: Session, now: datetime, limit: int = 5) -> int:
    """Worker: claim due import jobs from the outbox, run each, mark it done. Returns how
    many ran. A worker that dies leaves its claim to expire and the import to run again."""
    claimed = outbox.claim_due_rows(
        session=session, kind=IMPORT_KIND, now=now, limit=limit, lease=IMPORT_LEASE
    )
    for row_id in claimed:
        row = session.get(OutboxMessage, row_id, populate_existing=True)
        if row is None or row.done_at is not None:
            continue
        import_id = int(row.payload.get("import_id", 0))
        attempts = row.attempts
        session.commit()
        if attempts > MAX_ATTEMPTS:
            _give_up(session, import_id, now)
        else:
            run_import(session=session, import_id=import_id, now=now)
        begin_write(session)
        session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.done_at).is_(None))
            .values(done_at=utcnow())
        )
        session.commit()
    # An unstarted preview does not keep its file (and the people in it) for long.
    stale = (
        col(CalendarImport.status) == "previewed",
        col(CalendarImport.created_at) < now - UNFINISHED_PREVIEW,
        col(CalendarImport.content).is_not(None),
    )
    if session.exec(select(CalendarImport.id).where(*stale).limit(1)).first() is not None:
        session.commit()
        begin_write(session)
        session.exec(update(CalendarImport).where(*stale).values(content=None))  # type: ignore[call-overload]
        session.commit()
    else:
        session.rollback()
    return len(claimed)


# --- showing and editing appointments ---------------------------------------------------


def _rows(session: Session, appointments: Sequence[PreviousAppointment]) -> list[AppointmentRow]:
    ids = [a.id for a in appointments]
    people: dict[int, list[tuple[PreviousAppointmentPerson, str | None, str | None]]] = {}
    if ids:
        for person, staff_name, candidate_name in session.exec(
            select(PreviousAppointmentPerson, StaffUser.name, Candidate.name)
            .join(
                StaffUser,
                col(StaffUser.id) == PreviousAppointmentPerson.staff_user_id,
                isouter=True,
            )
            .join(
                Candidate, col(Candidate.id) == PreviousAppointmentPerson.candidate_id, isouter=True
            )
            .where(col(PreviousAppointmentPerson.appointment_id).in_(ids))
            .order_by(col(PreviousAppointmentPerson.id))
        ).all():
            people.setdefault(person.appointment_id, []).append(
                (person, staff_name, candidate_name)
            )
    result = []
    for a in appointments:
        assert a.id is not None
        mine = people.get(a.id, [])
        result.append(
            AppointmentRow(
                id=a.id,
                title=a.title,
                start=a.start_at,
                end=a.end_at,
                all_day=a.all_day,
                location=a.location,
                source=a.source,
                staff=tuple(n for p, n, _ in mine if p.staff_user_id and n),
                candidates=tuple(n for p, _, n in mine if p.candidate_id and n),
                others=tuple(
                    p.name or p.email
                    for p, _, _ in mine
                    if not p.staff_user_id and not p.candidate_id
                ),
                staff_ids=tuple(p.staff_user_id for p, _, _ in mine if p.staff_user_id),
                candidate_ids=tuple(p.candidate_id for p, _, _ in mine if p.candidate_id),
            )
        )
    return result


def appointments_between(
    *, session: Session, actor: Actor, start: datetime, end: datetime
) -> list[AppointmentRow]:
    """The account's previous-calendar appointments overlapping [start, end) (at most 62
    days), by start."""
    if end <= start or end - start > timedelta(days=62):
        raise InvalidInput("end", "the range must be positive and at most 62 days")
    found = session.exec(
        select(PreviousAppointment)
        .where(
            PreviousAppointment.account_id == actor.account_id,
            PreviousAppointment.start_at < end,
            or_(
                col(PreviousAppointment.end_at) > start, col(PreviousAppointment.start_at) >= start
            ),
        )
        .order_by(col(PreviousAppointment.start_at), col(PreviousAppointment.id))
    ).all()
    return _rows(session, found)


def calendar_entries(
    *, session: Session, actor: Actor, start: datetime, end: datetime
) -> list[CalendarEntry]:
    """Previous-calendar appointments as entries of the interview calendar (kind
    "previous", `slot_id` the appointment's id, `interview_id` 0)."""
    return [
        CalendarEntry(
            kind="previous",
            interview_id=0,
            slot_id=row.id,
            title=row.title,
            start=row.start,
            end=row.end,
            candidates=row.candidates,
            participants=row.staff + row.others,
            place=row.location,
            meeting_kind="none",
            seats_left=0,
        )
        for row in appointments_between(session=session, actor=actor, start=start, end=end)
    ]


def get_appointment(*, session: Session, actor: Actor, appointment_id: int) -> AppointmentRow:
    """One appointment of the account (NotFound for another account's id)."""
    row = owned(actor, session.get(PreviousAppointment, appointment_id), "Appointment")
    return _rows(session, [row])[0]


def for_candidate(*, session: Session, actor: Actor, candidate_id: int) -> list[AppointmentRow]:
    """The previous-calendar appointments that name a candidate of the account, by start."""
    owned(actor, session.get(Candidate, candidate_id), "Candidate")
    found = session.exec(
        select(PreviousAppointment)
        .join(
            PreviousAppointmentPerson,
            col(PreviousAppointmentPerson.appointment_id) == PreviousAppointment.id,
        )
        .where(
            PreviousAppointment.account_id == actor.account_id,
            PreviousAppointmentPerson.candidate_id == candidate_id,
        )
        .order_by(col(PreviousAppointment.start_at))
    ).all()
    return _rows(session, list({row.id: row for row in found}.values()))


def delete_appointment(*, session: Session, actor: Actor, appointment_id: int) -> bool:
    """Delete a previous-calendar appointment (imported or typed in). Returns False when it
    was already gone (a second click)."""
    begin_write(session)
    row = session.get(PreviousAppointment, appointment_id)
    if row is None:
        session.rollback()
        return False
    owned(actor, row, "Appointment")
    session.delete(row)
    session.commit()
    return True


@dataclass(frozen=True)
class AppointmentInput:
    """An appointment typed in by hand: times aware; people by id, of the account."""

    title: str
    start: datetime
    end: datetime
    location: str = ""
    staff_ids: tuple[int, ...] = ()
    candidate_ids: tuple[int, ...] = ()


def _clean(values: AppointmentInput) -> AppointmentInput:
    title = values.title.replace("\x00", "").strip()
    if not title or len(title) > 300 or any(ch in title for ch in "\r\n"):
        raise InvalidInput("title", "must be one line of 1 to 300 characters")
    location = values.location.replace("\x00", "").strip()
    if len(location) > 500 or any(ch in location for ch in "\r\n"):
        raise InvalidInput("location", "must be one line of at most 500 characters")
    if values.start.tzinfo is None or values.end.tzinfo is None:
        raise InvalidInput("start", "times must include a time zone")
    if values.end <= values.start:
        raise InvalidInput("end", "must be after the start")
    if values.end - values.start > timedelta(days=14):
        raise InvalidInput("end", "an appointment lasts at most 14 days")
    return AppointmentInput(
        title=title,
        start=values.start,
        end=values.end,
        location=location,
        staff_ids=tuple(dict.fromkeys(values.staff_ids)),
        candidate_ids=tuple(dict.fromkeys(values.candidate_ids)),
    )


def _manual_people(
    session: Session, actor: Actor, appointment_id: int, values: AppointmentInput
) -> None:
    staff = (
        session.exec(
            select(StaffUser).where(
                col(StaffUser.id).in_(values.staff_ids), StaffUser.account_id == actor.account_id
            )
        ).all()
        if values.staff_ids
        else []
    )
    candidates = (
        session.exec(
            select(Candidate).where(
                col(Candidate.id).in_(values.candidate_ids),
                Candidate.account_id == actor.account_id,
                col(Candidate.erased_at).is_(None),
            )
        ).all()
        if values.candidate_ids
        else []
    )
    if len(staff) != len(values.staff_ids):
        raise InvalidInput("staff_ids", "unknown staff user in this account")
    if len(candidates) != len(values.candidate_ids):
        raise InvalidInput("candidate_ids", "unknown candidate in this account")
    # The candidate is replaced; the others an imported appointment names are kept.
    emails = {(u.email or f"staff-{u.id}").lower() for u in staff} | {
        c.email.lower() for c in candidates
    }
    session.exec(  # type: ignore[call-overload]
        delete(PreviousAppointmentPerson).where(
            col(PreviousAppointmentPerson.appointment_id) == appointment_id,
            or_(
                col(PreviousAppointmentPerson.candidate_id).is_not(None),
                col(PreviousAppointmentPerson.staff_user_id).in_([u.id for u in staff]),
                func.lower(col(PreviousAppointmentPerson.email)).in_(sorted(emails)),
            ),
        )
    )
    for user in staff:
        session.add(
            PreviousAppointmentPerson(
                account_id=actor.account_id,
                appointment_id=appointment_id,
                staff_user_id=user.id,
                email=(user.email or f"staff-{user.id}").lower(),
                name=user.name,
            )
        )
    for candidate in candidates:
        session.add(
            PreviousAppointmentPerson(
                account_id=actor.account_id,
                appointment_id=appointment_id,
                candidate_id=candidate.id,
                email=candidate.email.lower(),
                name=candidate.name,
            )
        )


def save_appointment(
    *,
    session: Session,
    actor: Actor,
    values: AppointmentInput,
    now: datetime,
    appointment_id: int | None = None,
    request_key: str = "",
) -> int:
    """Type in (no `appointment_id`) or edit an appointment of the previous calendar.
    Editing replaces the appointment's candidate and adds `staff_ids`; the other people
    it names stay.
    `request_key` (the form's submit key) makes a repeated submit of a new appointment
    return the first one's id instead of adding it twice. Returns the appointment's id.

    Raises InvalidInput naming the field to fix."""
    values = _clean(values)
    begin_write(session)
    if appointment_id is None:
        uid = (
            f"manual-{request_key}@planner"
            if request_key
            else f"manual-{now.timestamp()}-{actor.user_id}@planner"
        )
        already = session.exec(
            select(PreviousAppointment.id).where(
                PreviousAppointment.account_id == actor.account_id, PreviousAppointment.uid == uid
            )
        ).first()
        if already is not None:
            session.rollback()
            return int(already)
        row = PreviousAppointment(
            account_id=actor.account_id,
            uid=uid[:255],
            occurrence="",
            source="manual",
            created_by_id=actor.user_id,
            title=values.title,
            start_at=values.start,
            end_at=values.end,
            location=values.location,
            imported_at=now,
            updated_at=now,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise InvalidInput("title", "this appointment was just saved") from None
    else:
        row = owned(actor, session.get(PreviousAppointment, appointment_id), "Appointment")
        row.title, row.start_at, row.end_at = values.title, values.start, values.end
        row.location, row.updated_at = values.location, now
    assert row.id is not None
    _manual_people(session, actor, row.id, values)
    session.commit()
    return row.id


# --- the account switch -----------------------------------------------------------------


def uses_previous_calendar(*, session: Session, actor: Actor) -> bool:
    """Whether the actor's account shows the previous, manual calendar as its calendar."""
    account = session.get(Account, actor.account_id)
    return bool(account and account.use_previous_calendar)


def set_previous_calendar(*, session: Session, actor: Actor, on: bool) -> bool:
    """Admins: switch the account to the previous calendar (on) or back to Planner's.
    Nothing is deleted either way: appointments typed in meanwhile show in Planner's
    calendar, Planner's interviews in the previous one. Returns the new setting."""
    require_admin(actor)
    begin_write(session)
    account = session.get(Account, actor.account_id)
    assert account is not None
    account.use_previous_calendar = on
    session.commit()
    log.info("account %s: previous calendar %s by %s", actor.account_id, on, actor.user_id)
    return on


def local_range(day: str, zone: str, days: int) -> tuple[datetime, datetime]:
    """[midnight of `day`, midnight `days` later) in `zone`, for the week views."""
    first = date.fromisoformat(day)
    tz = ZoneInfo(zone)
    return (
        datetime.combine(first, time(0), tzinfo=tz),
        datetime.combine(first + timedelta(days=days), time(0), tzinfo=tz),
    )
