"""The account's interview locations; any staff user may add or remove them."""

from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planner.models import Location
from planner.services.actor import Actor, owned
from planner.services.errors import InvalidInput
from planner.services.shapes import LocationInput, LocationRow, parse


def _row(location: Location) -> LocationRow:
    assert location.id is not None
    return LocationRow(id=location.id, name=location.name, address=location.address)


def list_locations(*, session: Session, actor: Actor) -> list[LocationRow]:
    """The account's locations by name."""
    rows = session.exec(
        select(Location)
        .where(Location.account_id == actor.account_id)
        .order_by(func.lower(Location.name))
    ).all()
    return [_row(location) for location in rows]


def get_location(*, session: Session, actor: Actor, location_id: int) -> LocationRow:
    """One location of the account (NotFound for another account's id)."""
    return _row(owned(actor, session.get(Location, location_id), "Location"))


def add_location(
    *, session: Session, actor: Actor, data: LocationInput | dict[str, Any]
) -> LocationRow:
    """Add a location; names are unique within the account."""
    values = parse(LocationInput, data)
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


def remove_location(*, session: Session, actor: Actor, location_id: int) -> None:
    """Remove a location; interviews that used it keep their time but lose the place."""
    location = owned(actor, session.get(Location, location_id), "Location")
    session.delete(location)
    session.commit()
