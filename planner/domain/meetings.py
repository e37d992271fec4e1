"""Which online meetings an organiser can offer, from the calendars they have connected."""

from collections.abc import Iterable

from planner.domain.vocabulary import CalendarProvider, MeetingKind

_CALENDARS = {CalendarProvider.GOOGLE, CalendarProvider.MICROSOFT, CalendarProvider.CALDAV}


def available_meeting_kinds(synced_providers: Iterable[str]) -> frozenset[MeetingKind]:
    """Teams needs Microsoft, Meet needs Google, Zoom needs Zoom and a synced calendar (the
    Zoom meeting is made when the organiser's calendar event is written, and its link goes
    into the events), Jitsi needs any synced calendar; no meeting (a physical place) is
    always possible."""
    providers = {CalendarProvider(p) for p in synced_providers}
    kinds = {MeetingKind.NONE}
    if CalendarProvider.MICROSOFT in providers:
        kinds.add(MeetingKind.TEAMS)
    if CalendarProvider.GOOGLE in providers:
        kinds.add(MeetingKind.MEET)
    if CalendarProvider.ZOOM in providers and providers & _CALENDARS:
        kinds.add(MeetingKind.ZOOM)
    if providers & _CALENDARS:
        kinds.add(MeetingKind.JITSI)
    return frozenset(kinds)
