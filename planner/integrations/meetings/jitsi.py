"""Jitsi meetings: an unguessable room on the configured Jitsi server; no API involved."""

import secrets

from planner.integrations.meetings import OnlineMeeting
from planner.settings import Settings

ROOM_BYTES = 18  # 144 bits: unguessable, and still a short URL


def jitsi_meeting(settings: Settings) -> OnlineMeeting:
    """A new meeting on `settings.jitsi_base_url` with a random room name. Anyone holding
    the link can join, so the room name is the only secret; on meet.jit.si a signed-in
    moderator must open the room, a self-hosted Jitsi may not require that."""
    room = "Planner-" + secrets.token_urlsafe(ROOM_BYTES)
    return OnlineMeeting(provider="jitsi", join_url=f"{settings.jitsi_base_url.rstrip('/')}/{room}")
