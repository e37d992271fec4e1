"""Candidates and jobs of the acting user's account."""

from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planner.domain.text import without_nul
from planner.models import Candidate, Job
from planner.services.actor import Actor, owned
from planner.services.errors import InvalidInput
from planner.services.shapes import (
    CandidateInput,
    CandidatePatch,
    CandidateRow,
    JobInput,
    like_escape,
    parse,
)


def _row(candidate: Candidate, job_title: str | None) -> CandidateRow:
    assert candidate.id is not None
    return CandidateRow(
        id=candidate.id,
        name=candidate.name,
        email=candidate.email,
        phone=candidate.phone or "",
        locale=candidate.locale,
        time_zone=candidate.time_zone,
        job_title=job_title or "",
    )


def list_candidates(
    *, session: Session, actor: Actor, search: str = "", job_id: int | None = None
) -> list[CandidateRow]:
    """The account's candidates by name, optionally filtered by a search text or a job
    (erased candidates are left out)."""
    query = (
        select(Candidate, Job.title)
        .join(Job, Job.id == Candidate.job_id, isouter=True)  # type: ignore[arg-type]
        .where(Candidate.account_id == actor.account_id, Candidate.erased_at.is_(None))  # type: ignore[union-attr]
    )
    needle = without_nul(search).strip().lower()[:200]
    if needle:
        pattern = f"%{like_escape(needle)}%"
        query = query.where(
            or_(
                func.lower(Candidate.name).like(pattern, escape="\\"),
                func.lower(Candidate.email).like(pattern, escape="\\"),
            )
        )
    if job_id is not None:
        query = query.where(Candidate.job_id == job_id)
    rows = session.exec(query.order_by(func.lower(Candidate.name), Candidate.id)).all()
    return [_row(candidate, title) for candidate, title in rows]


def get_candidate(*, session: Session, actor: Actor, candidate_id: int) -> CandidateRow:
    """One candidate of the account (NotFound for another account's id)."""
    candidate = owned(actor, session.get(Candidate, candidate_id), "Candidate")
    job = session.get(Job, candidate.job_id) if candidate.job_id else None
    return _row(candidate, job.title if job else None)


def _check_job(session: Session, actor: Actor, job_id: int | None) -> None:
    if job_id is None:
        return
    job = session.get(Job, job_id)
    if job is None or job.account_id != actor.account_id:
        raise InvalidInput("job_id", "no such job in this account")


def create_candidate(
    *, session: Session, actor: Actor, data: CandidateInput | dict[str, Any]
) -> CandidateRow:
    """Add a candidate to the account."""
    values = parse(CandidateInput, data)
    _check_job(session, actor, values.job_id)
    candidate = Candidate(account_id=actor.account_id, **values.model_dump())
    session.add(candidate)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("external_ref", "another candidate already has this reference") from None
    return get_candidate(session=session, actor=actor, candidate_id=candidate.id or 0)


def update_candidate(
    *, session: Session, actor: Actor, candidate_id: int, data: CandidatePatch | dict[str, Any]
) -> CandidateRow:
    """Change some fields of a candidate of the account."""
    candidate = owned(actor, session.get(Candidate, candidate_id), "Candidate")
    patch = parse(CandidatePatch, data)
    changes = patch.model_dump(exclude_unset=True)
    for field in ("name", "email", "locale", "time_zone"):
        if field in changes and changes[field] is None:
            raise InvalidInput(field, "cannot be empty")
    if "job_id" in changes:
        _check_job(session, actor, changes["job_id"])
    for field, value in changes.items():
        setattr(candidate, field, value)
    session.commit()
    return get_candidate(session=session, actor=actor, candidate_id=candidate_id)


def delete_candidate(*, session: Session, actor: Actor, candidate_id: int) -> None:
    """Remove a candidate of the account with their invitations and comments."""
    candidate = owned(actor, session.get(Candidate, candidate_id), "Candidate")
    session.delete(candidate)
    session.commit()


def list_jobs(*, session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The account's jobs as (id, title), by title."""
    rows = session.exec(
        select(Job.id, Job.title).where(Job.account_id == actor.account_id).order_by(Job.title)
    ).all()
    return [(int(job_id), title) for job_id, title in rows]


def create_job(*, session: Session, actor: Actor, data: JobInput | dict[str, Any]) -> int:
    """Add a job to the account; returns its id."""
    values = parse(JobInput, data)
    job = Job(account_id=actor.account_id, **values.model_dump())
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("external_ref", "another job already has this reference") from None
    assert job.id is not None
    return job.id
