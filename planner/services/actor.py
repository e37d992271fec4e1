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
        raise not_found(what)
    return row


def not_found(what: str) -> NotFound:
    """NotFound for one kind of row, named in English ("Interview"): a literal message each,
    so the catalogues translate it."""
    match what:
        case "API key":
            return NotFound("API key not found.")
        case "Appointment":
            return NotFound("Appointment not found.")
        case "Candidate":
            return NotFound("Candidate not found.")
        case "Import":
            return NotFound("Import not found.")
        case "Interview":
            return NotFound("Interview not found.")
        case "Location":
            return NotFound("Location not found.")
        case "Staff user":
            return NotFound("Staff user not found.")
        case "Webhook endpoint":
            return NotFound("Webhook endpoint not found.")
        case _:
            return NotFound(f"{what} not found.")
