"""Microsoft Graph calendars over httpx: getSchedule, events with Teams, calendarView delta."""

from planner.integrations.calendar.microsoft.provider import MicrosoftCalendarProvider

__all__ = ["MicrosoftCalendarProvider"]
