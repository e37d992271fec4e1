"""Google Calendar API v3 over httpx: freeBusy, events with Meet, incremental sync."""

from planner.integrations.calendar.google.provider import GoogleCalendarProvider, google_event_id

__all__ = ["GoogleCalendarProvider", "google_event_id"]
