"""The one error hierarchy of the integrations: each error says whether retrying may help."""


class IntegrationError(Exception):
    """A provider or server refused or failed; `retryable` tells the caller whether to
    try again later (temporary) or give up (the request itself is wrong)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
