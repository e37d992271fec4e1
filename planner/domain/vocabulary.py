"""The fixed vocabularies of the recruiting domain (roles, statuses, kinds)."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"


class CalendarProvider(StrEnum):
    GOOGLE = "google"
    MICROSOFT = "microsoft"
    CALDAV = "caldav"
    ZOOM = "zoom"


class ConnectionStatus(StrEnum):
    SYNCED = "synced"
    ERROR = "error"
    RECONNECT_NEEDED = "reconnect_needed"
    DISCONNECTED = "disconnected"


class SyncStatus(StrEnum):
    """What the admin's calendar-sync list shows per staff user."""

    NOT_INVITED = "not_invited"
    INVITED = "invited"
    SYNCED = "synced"
    ERROR = "error"
    DISCONNECTED = "disconnected"


class MeetingKind(StrEnum):
    NONE = "none"
    TEAMS = "teams"
    MEET = "meet"
    ZOOM = "zoom"
    JITSI = "jitsi"


# What people call each kind of online meeting: product names, the same in every language.
MEETING_PRODUCTS = {
    MeetingKind.TEAMS: "Microsoft Teams",
    MeetingKind.MEET: "Google Meet",
    MeetingKind.ZOOM: "Zoom",
    MeetingKind.JITSI: "Jitsi",
}


class InterviewStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SlotStatus(StrEnum):
    OFFERED = "offered"
    REMOVED = "removed"


class InvitationStatus(StrEnum):
    INVITED = "invited"
    BOOKED = "booked"
    NO_FIT = "no_fit"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class BookingStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class CommentKind(StrEnum):
    NO_FIT = "no_fit"
    CANCELLATION = "cancellation"


class EventLinkStatus(StrEnum):
    PENDING = "pending"
    CREATED = "created"
    DELETED = "deleted"
    FAILED = "failed"


class SyncRunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


LOCALES: tuple[str, ...] = ("en", "da", "sv", "nb", "fi")


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored string values of a vocabulary."""
    return tuple(member.value for member in enum)
