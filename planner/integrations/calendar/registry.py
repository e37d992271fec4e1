"""Builds the calendar provider of a connection by its provider name."""

import httpx

from planner.integrations.calendar.base import CalendarProvider, Credentials, TokenSaver
from planner.integrations.calendar.caldav import CalDAVProvider
from planner.integrations.calendar.google import GoogleCalendarProvider
from planner.integrations.calendar.microsoft import MicrosoftCalendarProvider
from planner.integrations.calendar.oauth import RetryPolicy
from planner.settings import Settings

PROVIDER_NAMES = ("caldav", "google", "microsoft")


def provider_for(
    name: str,
    *,
    credentials: Credentials,
    http: httpx.AsyncClient,
    save_tokens: TokenSaver,
    settings: Settings,
    server_url: str = "",
    time_zone: str = "UTC",
    owner_email: str | None = None,
    retry: RetryPolicy | None = None,
) -> CalendarProvider:
    """The provider for a connection: `name` is `CalendarConnection.provider`.

    CalDAV needs `server_url` (the connection's server_url; `credentials.extra["server_url"]`
    is used when it is empty) and runs its own blocking HTTP session in a thread, so `http`
    and `save_tokens` serve Google and Microsoft only. `time_zone` is the owner's zone for
    all-day events; `owner_email` lets CalDAV skip events the owner declined."""
    if name == "google":
        return GoogleCalendarProvider(
            http=http,
            credentials=credentials,
            save_tokens=save_tokens,
            settings=settings,
            time_zone=time_zone,
            retry=retry,
        )
    if name == "microsoft":
        return MicrosoftCalendarProvider(
            http=http,
            credentials=credentials,
            save_tokens=save_tokens,
            settings=settings,
            time_zone=time_zone,
            retry=retry,
        )
    if name == "caldav":
        return CalDAVProvider(
            server_url=server_url or credentials.extra.get("server_url", ""),
            credentials=credentials,
            time_zone=time_zone,
            owner_email=owner_email,
            allow_private=settings.caldav_private_allowed,
        )
    raise ValueError(f"unknown calendar provider {name!r} (known: {', '.join(PROVIDER_NAMES)})")
