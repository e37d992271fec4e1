"""CalDAV calendars (iCloud, Fastmail, Nextcloud, Radicale...) through the `caldav` library."""

from planner.integrations.calendar.caldav.provider import CalDAVProvider

__all__ = ["CalDAVProvider"]
