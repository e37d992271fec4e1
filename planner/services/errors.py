"""Errors that services raise; each carries a message fit to show a user."""


class PlannerError(Exception):
    """Base class: `message` is safe to show to the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PlannerError):
    """The row does not exist, or belongs to another account (the two look the same)."""


class PermissionDenied(PlannerError):
    """The acting user's role does not allow this."""


class InvalidInput(PlannerError):
    """Input that fails validation; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class SignInRefused(PlannerError):
    """Wrong e-mail or password (never says which)."""


class SignInThrottled(PlannerError):
    """Too many failed sign-ins recently."""
