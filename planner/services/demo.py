"""The demo account that `make run` seeds on first run (idempotent)."""

import logging
from dataclasses import dataclass

from sqlmodel import Session, select

from planner.domain.vocabulary import Role
from planner.models import Account, Candidate, Job, Location, StaffUser, WorkingHours
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
    if created:
        log.info("demo account %s created", account_id)
    return DemoSeed(account_id=account_id, created=created)
