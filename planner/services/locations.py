"""The account's interview locations; any staff user may add or archive them."""

from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planner.domain.vocabulary import InterviewStatus
from planner.models import Interview, Location
from planner.models.base import utcnow
from planner.services.actor import Actor, owned
from planner.services.errors import InvalidInput
from planner.services.shapes import LocationInput, LocationRow, parse


def _row(location: Location) -> LocationRow:
    assert location.id is not None
    return LocationRow(id=location.id, name=location.name, address=location.address)


def list_locations(*, session: Session, actor: Actor) -> list[LocationRow]:
    """The account's locations in use (not archived) by name."""
    rows = session.exec(
        select(Location)
        .where(Location.account_id == actor.account_id, Location.archived_at == None)  # noqa: E711
        .order_by(func.lower(Location.name))
    ).all()
    return [_row(location) for location in rows]


def get_location(*, session: Session, actor: Actor, location_id: int) -> LocationRow:
    """One location of the account (NotFound for another account's id)."""
    return _row(owned(actor, session.get(Location, location_id), "Location"))


def add_location(
    *, session: Session, actor: Actor, data: LocationInput | dict[str, Any]
) -> LocationRow:
    """Add a location; names are unique within the account.

    Adding the name of an archived location brings that location back with the given
    address. Raises InvalidInput on `name` for an empty name or one already in use."""
    values = parse(LocationInput, data)
    if not values.name:
        raise InvalidInput("name", "enter a name")
    archived = session.exec(
        select(Location).where(
            Location.account_id == actor.account_id,
            func.lower(Location.name) == values.name.lower(),
            Location.archived_at != None,  # noqa: E711
        )
    ).first()
    if archived is not None:
        archived.name, archived.address, archived.archived_at = values.name, values.address, None
        session.commit()
        return _row(archived)
    taken = session.exec(
        select(Location.id).where(
            Location.account_id == actor.account_id,
            func.lower(Location.name) == values.name.lower(),
        )
    ).first()
    if taken is not None:
        raise InvalidInput("name", "a location with this name already exists")
    location = Location(account_id=actor.account_id, **values.model_dump())
    session.add(location)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("name", "a location with this name already exists") from None
    return _row(location)


def update_location(
    *, session: Session, actor: Actor, location_id: int, data: LocationInput | dict[str, Any]
) -> LocationRow:
    """Rename a location or change its address."""
    location = owned(actor, session.get(Location, location_id), "Location")
    values = parse(LocationInput, data)
    location.name, location.address = values.name, values.address
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("name", "a location with this name already exists") from None
    return _row(location)


def location_uses(*, session: Session, actor: Actor, location_id: int) -> int:
    """How many interviews that are not cancelled use the location (what an archive
    confirmation names); NotFound for another account's id."""
    owned(actor, session.get(Location, location_id), "Location")
    return int(
        session.exec(
            select(func.count())
            .select_from(Interview)
            .where(
                Interview.location_id == location_id,
                Interview.status != InterviewStatus.CANCELLED.value,
            )
        ).one()
    )


def remove_location(*, session: Session, actor: Actor, location_id: int) -> None:
    """Archive a location: it is no longer offered, and interviews that use it keep their
    place and address. Archiving an archived location changes nothing."""
    location = owned(actor, session.get(Location, location_id), "Location")
    if location.archived_at is None:
        location.archived_at = utcnow()
        session.commit()
