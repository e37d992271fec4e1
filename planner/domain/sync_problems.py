"""Why a calendar connection does not feed Planner, in words a person can act on (pure)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from planner.domain.vocabulary import ConnectionStatus
from planner.i18n import Translator
from planner.i18n.dates import format_ago, format_day_month, format_short

JUST_NOW = timedelta(seconds=45)


class ErrorKind(StrEnum):
    """What kind of failure a poll met (stored on the connection as `error_kind`)."""

    REVOKED = "revoked"  # OAuth grant revoked or expired (invalid_grant, 401 after refresh)
    PASSWORD = "password"  # noqa: S105 - CalDAV server refused the login (401)
    UNREACHABLE = "unreachable"  # connection refused, timeout, 5xx
    RATE_LIMITED = "rate_limited"  # 429 / quota
    CALENDAR_MISSING = "calendar_missing"  # the chosen calendar is gone or no longer shared
    NO_CALENDAR = "no_calendar"  # the account has no calendar at all
    REFUSED = "refused"  # 403 or another refusal of the request itself
    BAD_ANSWER = "bad_answer"  # an answer that is not what the protocol promises
    CREDENTIALS = "credentials"  # the stored credentials cannot be decrypted (keys changed)
    OTHER = "other"


# Kinds the user has to fix by connecting again; the others may pass by themselves.
NEEDS_RECONNECT = frozenset(
    {
        ErrorKind.REVOKED,
        ErrorKind.PASSWORD,
        ErrorKind.CALENDAR_MISSING,
        ErrorKind.NO_CALENDAR,
        ErrorKind.REFUSED,
        ErrorKind.CREDENTIALS,
    }
)


@dataclass(frozen=True)
class ConnectionFacts:
    """What is known about a user's calendar connection, for explaining it."""

    provider: str
    status: str
    error_kind: str | None = None
    last_error: str | None = None
    unreadable_count: int = 0
    unknown_from: datetime | None = None


def provider_name(tr: Translator, provider: str) -> str:
    """The provider as people know it: 'Google Calendar', 'Microsoft 365', 'CalDAV'."""
    names = {
        "google": tr("Google Calendar"),
        "microsoft": tr("Microsoft 365"),
        "caldav": tr("CalDAV"),
    }
    return names.get(provider, provider)


def _kind(facts: ConnectionFacts) -> ErrorKind:
    try:
        return ErrorKind(facts.error_kind or "")
    except ValueError:
        if facts.status == ConnectionStatus.RECONNECT_NEEDED.value:
            return ErrorKind.PASSWORD if facts.provider == "caldav" else ErrorKind.REVOKED
        return ErrorKind.OTHER


def describe_error(tr: Translator, facts: ConnectionFacts, *, user_name: str) -> str:
    """The reason a connection in error does not sync, and what to do, e.g. "Google access
    was revoked: ask Ann Berg to reconnect". Empty when the connection is not in error."""
    if facts.status not in (ConnectionStatus.ERROR.value, ConnectionStatus.RECONNECT_NEEDED.value):
        return ""
    provider = provider_name(tr, facts.provider)
    kind = _kind(facts)
    if kind is ErrorKind.REVOKED:
        return tr(
            "{provider} access was revoked or has expired: ask {name} to reconnect.",
            provider=provider,
            name=user_name,
        )
    if kind is ErrorKind.PASSWORD:
        return tr(
            "The CalDAV server refused the password: ask {name} to reconnect with a new app "
            "password.",
            name=user_name,
        )
    if kind is ErrorKind.UNREACHABLE:
        return tr(
            "The calendar server cannot be reached. Planner keeps trying; if this lasts, "
            "check the server with {name}.",
            name=user_name,
        )
    if kind is ErrorKind.RATE_LIMITED:
        return tr(
            "{provider} asked Planner to slow down. The next poll tries again by itself.",
            provider=provider,
        )
    if kind is ErrorKind.CALENDAR_MISSING:
        return tr(
            "The calendar was deleted or is no longer shared: ask {name} to reconnect.",
            name=user_name,
        )
    if kind is ErrorKind.NO_CALENDAR:
        return tr(
            "The connected account has no calendar: ask {name} to connect another one.",
            name=user_name,
        )
    if kind is ErrorKind.REFUSED:
        return tr(
            "{provider} refused Planner's request (missing permission): ask {name} to reconnect.",
            provider=provider,
            name=user_name,
        )
    if kind is ErrorKind.BAD_ANSWER:
        return tr(
            "The calendar server answered something Planner cannot read. Planner keeps "
            "trying; if this lasts, ask {name} to reconnect.",
            name=user_name,
        )
    if kind is ErrorKind.CREDENTIALS:
        return tr(
            "Planner can no longer read the stored sign-in (its keys changed): ask {name} to "
            "reconnect.",
            name=user_name,
        )
    return tr(
        "Syncing failed. Planner keeps trying; use Sync now to try at once, or ask {name} to "
        "reconnect if this lasts.",
        name=user_name,
    )


def describe_own_error(tr: Translator, facts: ConnectionFacts) -> str:
    """The same reason as `describe_error`, said to the connection's owner (connect page)."""
    if facts.status not in (ConnectionStatus.ERROR.value, ConnectionStatus.RECONNECT_NEEDED.value):
        return ""
    provider = provider_name(tr, facts.provider)
    kind = _kind(facts)
    if kind is ErrorKind.REVOKED:
        return tr(
            "{provider} access was revoked or has expired. Please connect again.",
            provider=provider,
        )
    if kind is ErrorKind.PASSWORD:
        return tr(
            "Your CalDAV server refused the password. Please connect again with a new app password."
        )
    if kind in (ErrorKind.UNREACHABLE, ErrorKind.RATE_LIMITED, ErrorKind.BAD_ANSWER):
        return tr("Your calendar could not be read just now. Planner keeps trying by itself.")
    return tr("Planner cannot read your calendar. Please connect it again.")


def describe_unreadable(
    tr: Translator, facts: ConnectionFacts, *, locale: str, time_zone: str
) -> str:
    """Calendar data the last poll could not read, e.g. "Some events could not be read: 3
    unreadable, availability unknown from Dec 12" (empty when everything was read)."""
    if facts.unreadable_count <= 0 and facts.unknown_from is None:
        return ""
    if facts.unknown_from is None:
        return tr(
            "Some events could not be read: {count} unreadable.", count=facts.unreadable_count
        )
    return tr(
        "Some events could not be read: {count} unreadable, availability unknown from {day}.",
        count=facts.unreadable_count,
        day=format_day_month(facts.unknown_from, locale=locale, time_zone=time_zone),
    )


def describe_last_sync(
    tr: Translator, last_synced_at: datetime | None, now: datetime, *, locale: str, time_zone: str
) -> tuple[str, str]:
    """(relative, exact) wording of the last successful sync: ("12 minutes ago",
    "Dec 12, 2026, 11:00 AM"), ("just now", ...) or ("Never", "")."""
    if last_synced_at is None:
        return tr("Never"), ""
    exact = format_short(last_synced_at, locale=locale, time_zone=time_zone)
    if now - last_synced_at < JUST_NOW:
        return tr("just now"), exact
    return format_ago(last_synced_at, now, locale=locale), exact
