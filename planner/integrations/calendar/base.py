"""The one interface every calendar provider implements, its data shapes and its errors.

Providers never touch the database: they get an `httpx.AsyncClient` (or a CalDAV client),
the connection's credentials, and a callback to persist refreshed tokens."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from planner.integrations.errors import IntegrationError

# ---------------------------------------------------------------------------- errors


class ProviderError(IntegrationError):
    """A calendar or meeting provider failed; subclasses say how."""


class AuthExpired(ProviderError):
    """The grant is revoked or expired (`invalid_grant`, 401 after a refresh): the user must
    reconnect. Retrying cannot help."""

    def __init__(self, message: str = "access was revoked or expired; reconnect needed") -> None:
        super().__init__(message, retryable=False)


class RateLimited(ProviderError):
    """429 / quota exceeded; `retry_after` seconds from the provider when it said so."""

    def __init__(self, message: str = "rate limited", *, retry_after: float | None = None):
        super().__init__(message, retryable=True)
        self.retry_after = retry_after


class NotFoundAtProvider(ProviderError):
    """The calendar or event does not exist (for a delete this counts as done)."""

    def __init__(self, message: str = "not found at the provider") -> None:
        super().__init__(message, retryable=False)


class Conflict(ProviderError):
    """The object changed meanwhile (412) or already exists (409 on a create)."""

    def __init__(self, message: str = "changed at the provider meanwhile") -> None:
        super().__init__(message, retryable=False)


class Unavailable(ProviderError):
    """5xx, timeouts, connection errors: try again later."""

    def __init__(self, message: str = "provider unavailable") -> None:
        super().__init__(message, retryable=True)


class InvalidResponse(ProviderError):
    """The provider answered something that is not what its documentation promises."""

    def __init__(self, message: str = "unexpected answer from the provider") -> None:
        super().__init__(message, retryable=True)


class InvalidRequest(ProviderError):
    """The provider refused the request itself (a wrong server URL, a server that is not what
    the user said, a refused OAuth callback, a 400 about our data): fix it, don't retry."""

    def __init__(self, message: str = "the provider refused the request") -> None:
        super().__init__(message, retryable=False)


class AddressNotAllowed(InvalidRequest):
    """The server's address is on a local, private or reserved network that outbound
    requests must not reach (see planner/integrations/outbound.py): fix the URL or, for a
    server on the customer's own network, allow it in settings."""

    def __init__(self, message: str = "the server's address is not allowed") -> None:
        super().__init__(message)


class SyncCursorExpired(ProviderError):
    """The incremental-sync cursor is no longer valid (410, syncStateNotFound, bad token):
    do a full resync."""

    def __init__(self, message: str = "sync cursor expired; full resync needed") -> None:
        super().__init__(message, retryable=True)


# ---------------------------------------------------------------------------- shapes


@dataclass(frozen=True, slots=True)
class CalendarInfo:
    """A calendar the connected account can see."""

    id: str
    name: str
    primary: bool = False
    writable: bool = True


@dataclass(frozen=True, slots=True)
class BusyTime:
    """A busy period (UTC, [start, end)); tentative = soft. Never a title."""

    start: datetime
    end: datetime
    tentative: bool = False
    source_event_id: str | None = None


@dataclass(frozen=True, slots=True)
class UnknownTime:
    """A period (UTC, [start, end)) whose busy state could not be read from the calendar
    data: availability there is unknown, never free. `reason` is for the admin."""

    start: datetime
    end: datetime
    reason: str
    source_event_id: str | None = None


def _clip_unknown(
    unknown: tuple[UnknownTime, ...], start: datetime, end: datetime
) -> tuple[UnknownTime, ...]:
    return tuple(
        UnknownTime(max(u.start, start), min(u.end, end), u.reason, u.source_event_id)
        for u in unknown
        if min(u.end, end) > max(u.start, start)
    )


@dataclass(frozen=True, slots=True)
class CalendarBusy:
    """Busy times of one calendar for a window; `error` set = availability unknown (not
    free) for that calendar; `unknown` = parts of the window that could not be read."""

    calendar_id: str
    busy: tuple[BusyTime, ...] = ()
    error: str | None = None
    unknown: tuple[UnknownTime, ...] = ()


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class EventRequest:
    """An interview to write into a participant's calendar.

    `key` is chosen by Planner before the first attempt and makes creates idempotent: it is
    the CalDAV resource name and UID, the Google event id (base32hex), the Graph
    transactionId. `online_meeting` asks the provider for its own meeting ("teams" on
    Microsoft, "meet" on Google); other meeting links come in `meeting_url`."""

    key: str
    title: str
    start: datetime
    end: datetime
    description: str = ""
    location: str = ""
    attendees: tuple[Attendee, ...] = ()
    online_meeting: str | None = None
    meeting_url: str | None = None
    time_zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class EventRef:
    """What the provider calls the event Planner wrote."""

    external_id: str
    etag: str | None = None
    meeting_url: str | None = None
    ical_uid: str | None = None


@dataclass(frozen=True, slots=True)
class EventChange:
    """One event (calendar object) seen by incremental sync; `removed` for deletions and
    cancellations. `unknown` holds the times its data could not be read for (and, with
    `unreadable`, how many of its events were unreadable); `deferred` means it was not
    read in this poll at all (the poll's reading budget ran out) and must be read again."""

    external_id: str
    removed: bool = False
    busy: tuple[BusyTime, ...] = ()
    unknown: tuple[UnknownTime, ...] = ()
    unreadable: int = 0
    deferred: bool = False

    def clipped(self, start: datetime, end: datetime) -> "EventChange":
        """The same change with its busy and unknown times cut to [start, end) (the
        polled window)."""
        kept = tuple(
            BusyTime(max(b.start, start), min(b.end, end), b.tentative, b.source_event_id)
            for b in self.busy
            if min(b.end, end) > max(b.start, start)
        )
        unknown = _clip_unknown(self.unknown, start, end)
        return EventChange(
            self.external_id, self.removed, kept, unknown, self.unreadable, self.deferred
        )


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Result of one incremental (or full, when `full` is true) sync of a calendar."""

    changes: tuple[EventChange, ...]
    cursor: str | None
    full: bool = False


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scope: str = ""


TokenSaver = Callable[[OAuthTokens], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Credentials:
    """Decrypted connection credentials, handed to a provider for one job and never logged."""

    username: str = ""
    password: str = field(default="", repr=False)
    tokens: OAuthTokens | None = field(default=None, repr=False)
    extra: Mapping[str, str] = field(default_factory=dict)


def split_window(
    start: datetime, end: datetime, longest: timedelta
) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive pieces of at most `longest`, for providers that
    refuse long windows."""
    pieces = []
    cursor = start
    while cursor < end:
        piece_end = min(cursor + longest, end)
        pieces.append((cursor, piece_end))
        cursor = piece_end
    return pieces


# ---------------------------------------------------------------------------- interface


class CalendarProvider(Protocol):
    """What Planner needs from a calendar: the Cal.com app-store shape, async."""

    name: str

    async def list_calendars(self) -> list[CalendarInfo]:
        """The calendars of the connected account."""
        ...

    async def busy_times(
        self, calendar_ids: list[str], start: datetime, end: datetime
    ) -> list[CalendarBusy]:
        """Busy times of each calendar in [start, end), chunked to the provider's limits."""
        ...

    async def create_event(self, calendar_id: str, event: EventRequest) -> EventRef:
        """Create the event; creating the same `key` again returns the existing event."""
        ...

    async def update_event(self, calendar_id: str, ref: EventRef, event: EventRequest) -> EventRef:
        """Change an event Planner wrote (If-Match the etag where the provider has one)."""
        ...

    async def delete_event(self, calendar_id: str, ref: EventRef) -> None:
        """Delete an event Planner wrote; an event that is already gone counts as done."""
        ...

    async def changes(
        self, calendar_id: str, cursor: str | None, start: datetime, end: datetime
    ) -> ChangeSet:
        """Events changed since `cursor` (all of [start, end) when None); raises
        SyncCursorExpired when the cursor is no longer valid."""
        ...
