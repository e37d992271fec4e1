"""Online meetings: Zoom (REST, own OAuth connection) and Jitsi (a link); Teams and Meet come
with the Microsoft and Google calendar events (EventRequest.online_meeting)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OnlineMeeting:
    """A meeting candidates and staff can join. Host-only links (Zoom's start_url) are never
    kept here: everything in it may be shown to a candidate."""

    provider: str
    join_url: str
    external_id: str | None = None
    passcode: str | None = None
