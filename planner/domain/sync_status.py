"""How a staff user's calendar-sync status follows from their connections and invitations."""

from collections.abc import Iterable

from planner.domain.vocabulary import ConnectionStatus, SyncStatus

CALENDAR_PROVIDERS = ("google", "microsoft", "caldav")


def sync_status(connections: Iterable[tuple[str, str]], *, invited: bool) -> SyncStatus:
    """The status the admin list shows, from (provider, status) pairs of the user's
    calendar connections (Zoom does not count as a calendar) and whether a sync
    invitation was sent. A working connection wins; then an error; then the past."""
    statuses = {status for provider, status in connections if provider in CALENDAR_PROVIDERS}
    if ConnectionStatus.SYNCED in statuses:
        return SyncStatus.SYNCED
    if statuses & {ConnectionStatus.ERROR, ConnectionStatus.RECONNECT_NEEDED}:
        return SyncStatus.ERROR
    if ConnectionStatus.DISCONNECTED in statuses:
        return SyncStatus.DISCONNECTED
    return SyncStatus.INVITED if invited else SyncStatus.NOT_INVITED
