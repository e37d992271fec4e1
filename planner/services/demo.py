"""The demo account that `make run` seeds on first run (idempotent)."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from planner.domain.vocabulary import Role
from planner.models import Account, Candidate, Interview, Job, Location, StaffUser, WorkingHours
from planner.models.base import utcnow
from planner.services import scheduling
from planner.services.actor import Actor
from planner.services.auth import hash_password

log = logging.getLogger(__name__)

DEMO_ACCOUNT = "Demo"
DEMO_ADMIN_EMAIL = "astrid.holm@demo.example"

# name, e-mail (None: no e-mail on file), role, time zone, locale
STAFF = (
    ("Astrid Holm", DEMO_ADMIN_EMAIL, Role.ADMIN, "Europe/Copenhagen", "da"),
    ("Mads Jensen", "mads.jensen@demo.example", Role.RECRUITER, "Europe/Copenhagen", "da"),
    ("Sofia Lindqvist", "sofia.lindqvist@demo.example", Role.RECRUITER, "Europe/Stockholm", "sv"),
    ("Ingrid Solberg", "ingrid.solberg@demo.example", Role.RECRUITER, "Europe/Oslo", "nb"),
    ("Aino Virtanen", "aino.virtanen@demo.example", Role.HIRING_MANAGER, "Europe/Helsinki", "fi"),
    ("Oliver Bennett", None, Role.HIRING_MANAGER, "Europe/London", "en"),
)
JOBS = (("Backend Engineer", "JOB-101"), ("Customer Success Manager", "JOB-102"))
# name, e-mail, phone, locale, time zone, job reference
CANDIDATES = (
    (
        "Freja Nielsen",
        "freja.nielsen@mail.example",
        "+45 20 12 34 56",
        "da",
        "Europe/Copenhagen",
        "JOB-101",
    ),
    (
        "Rasmus Møller",
        "rasmus.moller@mail.example",
        "+45 31 22 44 66",
        "da",
        "Europe/Copenhagen",
        "JOB-102",
    ),
    (
        "Elin Johansson",
        "elin.johansson@mail.example",
        "+46 70 123 45 67",
        "sv",
        "Europe/Stockholm",
        "JOB-101",
    ),
    ("Oskar Åberg", "oskar.aberg@mail.example", None, "sv", "Europe/Stockholm", "JOB-102"),
    ("Nora Hansen", "nora.hansen@mail.example", "+47 912 34 567", "nb", "Europe/Oslo", "JOB-101"),
    (
        "Mikko Korhonen",
        "mikko.korhonen@mail.example",
        "+358 40 123 4567",
        "fi",
        "Europe/Helsinki",
        "JOB-101",
    ),
    (
        "Emily Clarke",
        "emily.clarke@mail.example",
        "+44 7700 900123",
        "en",
        "Europe/London",
        "JOB-102",
    ),
    (
        "James Carter",
        "james.carter@mail.example",
        "+1 212 555 0142",
        "en",
        "America/New_York",
        "JOB-101",
    ),
)
LOCATIONS = (
    ("Copenhagen HQ", "Vesterbrogade 1, 1620 København V"),
    ("Stockholm office", "Drottninggatan 10, 111 51 Stockholm"),
    ("Helsinki office", "Mannerheimintie 5, 00100 Helsinki"),
)


@dataclass(frozen=True)
class DemoSeed:
    account_id: int
    created: bool


def seed_demo(*, session: Session, password: str) -> DemoSeed:
    """Create the demo account if it is missing, else fill in whatever part is missing.

    Staff with an e-mail address get `password`; running it again changes nothing."""
    account = session.exec(select(Account).where(Account.name == DEMO_ACCOUNT)).first()
    created = account is None
    if account is None:
        account = Account(name=DEMO_ACCOUNT)
        session.add(account)
        session.flush()
    assert account.id is not None
    account_id = account.id

    password_hash = hash_password(password)
    for name, email, role, zone, locale in STAFF:
        existing = session.exec(
            select(StaffUser).where(StaffUser.account_id == account_id, StaffUser.name == name)
        ).first()
        if existing is not None:
            continue
        user = StaffUser(
            account_id=account_id,
            name=name,
            email=email,
            role=role.value,
            time_zone=zone,
            locale=locale,
            password_hash=password_hash if email else None,
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        for weekday in range(5):
            session.add(
                WorkingHours(
                    account_id=account_id,
                    staff_user_id=user.id,
                    weekday=weekday,
                    start_minute=9 * 60,
                    end_minute=17 * 60,
                )
            )

    jobs: dict[str, int] = {}
    for title, ref in JOBS:
        job = session.exec(
            select(Job).where(Job.account_id == account_id, Job.external_ref == ref)
        ).first()
        if job is None:
            job = Job(account_id=account_id, title=title, external_ref=ref)
            session.add(job)
            session.flush()
        assert job.id is not None
        jobs[ref] = job.id

    for name, email, phone, locale, zone, job_ref in CANDIDATES:
        exists = session.exec(
            select(Candidate.id).where(Candidate.account_id == account_id, Candidate.email == email)
        ).first()
        if exists is None:
            session.add(
                Candidate(
                    account_id=account_id,
                    job_id=jobs[job_ref],
                    name=name,
                    email=email,
                    phone=phone,
                    locale=locale,
                    time_zone=zone,
                )
            )

    for name, address in LOCATIONS:
        exists = session.exec(
            select(Location.id).where(Location.account_id == account_id, Location.name == name)
        ).first()
        if exists is None:
            session.add(Location(account_id=account_id, name=name, address=address))

    session.commit()
    _seed_interview(session, account_id, now=utcnow())
    if created:
        log.info("demo account %s created", account_id)
    return DemoSeed(account_id=account_id, created=created)


def _demo_slot_times(now: datetime, zone: str, count: int = 6) -> list[datetime]:
    """10:00 and 14:00 local time on the next weekdays (built per local date, DST-safe)."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date()
    times: list[datetime] = []
    while len(times) < count:
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue
        for hour in (10, 14):
            times.append(datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC))
    return times[:count]


def _seed_interview(session: Session, account_id: int, *, now: datetime) -> None:
    """One open interview with invited candidates, so that the demo has mails with booking
    links to follow (on the Sent mail page). Only when the account has no interview yet."""
    if session.exec(select(Interview.id).where(Interview.account_id == account_id)).first():
        return
    users = {u.name: u for u in session.exec(
        select(StaffUser).where(StaffUser.account_id == account_id)).all()}  # fmt: skip
    organiser = users["Mads Jensen"]
    account = session.get(Account, account_id)
    assert organiser.id is not None and account is not None
    actor = Actor(
        user_id=organiser.id, account_id=account_id, account_name=account.name,
        name=organiser.name, email=organiser.email, role=Role(organiser.role),
        time_zone=organiser.time_zone, locale=organiser.locale,
    )  # fmt: skip
    job = session.exec(
        select(Job).where(Job.account_id == account_id, Job.external_ref == "JOB-101")
    ).one()
    location = session.exec(
        select(Location).where(Location.account_id == account_id, Location.name == "Copenhagen HQ")
    ).one()
    interview = scheduling.create_interview(
        session=session,
        actor=actor,
        now=now,
        data={
            "title": "Backend Engineer: first interview",
            "duration_minutes": 45,
            "participant_ids": [users["Aino Virtanen"].id, users["Oliver Bennett"].id],
            "job_id": job.id,
            "location_id": location.id,
            "slots": _demo_slot_times(now, organiser.time_zone),
            "invitation_text": "We enjoyed your application and look forward to meeting you.",
        },
    )
    invited = session.exec(
        select(Candidate.id).where(
            Candidate.account_id == account_id,
            col(Candidate.email).in_(
                (
                    "freja.nielsen@mail.example",
                    "james.carter@mail.example",
                    "nora.hansen@mail.example",
                )
            ),
        )
    ).all()
    scheduling.invite_candidates(
        session=session,
        actor=actor,
        interview_id=interview.id,
        candidate_ids=list(invited),
        now=now,
    )
