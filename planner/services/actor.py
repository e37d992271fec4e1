"""The signed-in staff user on whose behalf a service acts."""

from dataclasses import dataclass
from typing import TypeVar

from planner.domain.vocabulary import Role
from planner.services.errors import NotFound, PermissionDenied


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: every tenant query is filtered by `account_id`."""

    user_id: int
    account_id: int
    account_name: str
    name: str
    email: str | None
    role: Role
    time_zone: str
    locale: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def require_admin(actor: Actor) -> None:
    """Refuse unless the actor is an admin of their account."""
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can do this.")


RowT = TypeVar("RowT")


def owned(actor: Actor, row: RowT | None, what: str) -> RowT:
    """Return the row if it belongs to the actor's account; otherwise it does not exist."""
    if row is None or getattr(row, "account_id", None) != actor.account_id:
        raise NotFound(f"{what} not found.")
    return row
