"""Staff users, jobs, candidates and locations of the key's account."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from planner.api.v1 import schemas
from planner.api.v1.auth import ActorDep, SessionDep
from planner.api.v1.problems import problems
from planner.api.v1.schemas import PathId
from planner.services import candidates, locations, staff
from planner.services.errors import NotFound
from planner.services.shapes import (
    CandidateRow,
    JobInput,
    LocationInput,
    LocationRow,
    StaffRow,
    StaffUserInput,
    StaffUserPatch,
)

router = APIRouter()
Search = Annotated[str, Query(max_length=200, description="Part of a name or e-mail address.")]


@router.get("/staff", tags=["staff"], responses=problems())
def list_staff(actor: ActorDep, session: SessionDep, search: Search = "") -> list[StaffRow]:
    """The account's staff users by name, with their calendar-sync status."""
    return staff.list_staff(session=session, actor=actor, search=search)


@router.post("/staff", status_code=201, tags=["staff"], responses=problems(403, 422))
def create_staff(actor: ActorDep, session: SessionDep, body: StaffUserInput) -> StaffRow:
    """Add a staff user (admins only). Users created here have no password: they take
    part in interviews and receive mail but do not sign in until given one."""
    return staff.create_staff_user(session=session, actor=actor, data=body)


@router.get("/staff/{user_id}", tags=["staff"], responses=problems(404, 422))
def get_staff(actor: ActorDep, session: SessionDep, user_id: PathId) -> StaffRow:
    """One staff user of the account."""
    return staff.get_staff_user(session=session, actor=actor, user_id=user_id)


@router.patch("/staff/{user_id}", tags=["staff"], responses=problems(403, 404, 422))
def update_staff(
    actor: ActorDep, session: SessionDep, user_id: PathId, body: StaffUserPatch
) -> StaffRow:
    """Change a staff user (admins only); the account always keeps one active admin."""
    return staff.update_staff_user(session=session, actor=actor, user_id=user_id, data=body)


@router.get("/jobs", tags=["jobs"], responses=problems())
def list_jobs(actor: ActorDep, session: SessionDep) -> list[schemas.Job]:
    """The account's jobs by title."""
    return [
        schemas.Job(id=job_id, title=title)
        for job_id, title in candidates.list_jobs(session=session, actor=actor)
    ]


@router.post("/jobs", status_code=201, tags=["jobs"], responses=problems(422))
def create_job(actor: ActorDep, session: SessionDep, body: JobInput) -> schemas.Job:
    """Add a job (`external_ref` is the ATS's own id, unique in the account)."""
    job_id = candidates.create_job(session=session, actor=actor, data=body)
    return schemas.Job(id=job_id, title=body.title)


@router.get("/jobs/{job_id}", tags=["jobs"], responses=problems(404, 422))
def get_job(actor: ActorDep, session: SessionDep, job_id: PathId) -> schemas.Job:
    """One job of the account."""
    for found_id, title in candidates.list_jobs(session=session, actor=actor):
        if found_id == job_id:
            return schemas.Job(id=found_id, title=title)
    raise NotFound("Job not found.")


@router.get("/candidates", tags=["candidates"], responses=problems(422))
def list_candidates(
    actor: ActorDep,
    session: SessionDep,
    search: Search = "",
    job_id: Annotated[int | None, Query(ge=1, le=schemas.MAX_ID)] = None,
) -> list[CandidateRow]:
    """The account's candidates by name, optionally for one job or matching a search."""
    return candidates.list_candidates(session=session, actor=actor, search=search, job_id=job_id)


@router.post("/candidates", status_code=201, tags=["candidates"], responses=problems(422))
def create_candidate(
    actor: ActorDep, session: SessionDep, body: schemas.CandidateCreate
) -> CandidateRow:
    """Add a candidate (e-mail, phone, language and time zone are validated)."""
    return candidates.create_candidate(session=session, actor=actor, data=body)


@router.get("/candidates/{candidate_id}", tags=["candidates"], responses=problems(404, 422))
def get_candidate(actor: ActorDep, session: SessionDep, candidate_id: PathId) -> CandidateRow:
    """One candidate of the account."""
    return candidates.get_candidate(session=session, actor=actor, candidate_id=candidate_id)


@router.patch("/candidates/{candidate_id}", tags=["candidates"], responses=problems(404, 422))
def update_candidate(
    actor: ActorDep, session: SessionDep, candidate_id: PathId, body: schemas.CandidateUpdate
) -> CandidateRow:
    """Change some fields of a candidate."""
    return candidates.update_candidate(
        session=session, actor=actor, candidate_id=candidate_id, data=body
    )


@router.delete(
    "/candidates/{candidate_id}",
    status_code=204,
    tags=["candidates"],
    responses=problems(404, 422),
    response_class=Response,
)
def delete_candidate(actor: ActorDep, session: SessionDep, candidate_id: PathId) -> None:
    """Remove a candidate with their invitations and comments."""
    candidates.delete_candidate(session=session, actor=actor, candidate_id=candidate_id)


@router.get("/locations", tags=["locations"], responses=problems())
def list_locations(actor: ActorDep, session: SessionDep) -> list[LocationRow]:
    """The account's interview locations by name."""
    return locations.list_locations(session=session, actor=actor)


@router.post("/locations", status_code=201, tags=["locations"], responses=problems(422))
def create_location(actor: ActorDep, session: SessionDep, body: LocationInput) -> LocationRow:
    """Add a location (names are unique in the account)."""
    return locations.add_location(session=session, actor=actor, data=body)


@router.get("/locations/{location_id}", tags=["locations"], responses=problems(404, 422))
def get_location(actor: ActorDep, session: SessionDep, location_id: PathId) -> LocationRow:
    """One location of the account."""
    return locations.get_location(session=session, actor=actor, location_id=location_id)


@router.put("/locations/{location_id}", tags=["locations"], responses=problems(404, 422))
def update_location(
    actor: ActorDep, session: SessionDep, location_id: PathId, body: LocationInput
) -> LocationRow:
    """Rename a location or change its address."""
    return locations.update_location(
        session=session, actor=actor, location_id=location_id, data=body
    )


@router.delete(
    "/locations/{location_id}",
    status_code=204,
    tags=["locations"],
    responses=problems(404, 422),
    response_class=Response,
)
def delete_location(actor: ActorDep, session: SessionDep, location_id: PathId) -> None:
    """Remove a location; interviews that used it keep their time but lose the place."""
    locations.remove_location(session=session, actor=actor, location_id=location_id)
