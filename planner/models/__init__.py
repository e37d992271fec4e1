"""SQLModel tables of Planner (column definitions and constraints only)."""

from planner.models.accounts import (
    Account,
    AvailabilityOverride,
    SignInAttempt,
    StaffSession,
    StaffUser,
    WorkingHours,
)
from planner.models.api import ApiKey, WebhookDelivery, WebhookEndpoint
from planner.models.base import metadata
from planner.models.calendars import (
    BusyInterval,
    CalendarConnection,
    ProviderEventLink,
    SyncInvitation,
    SyncRun,
    UnknownInterval,
)
from planner.models.interviews import (
    Booking,
    CandidateComment,
    CandidateInvitation,
    Interview,
    InterviewParticipant,
    OfferedSlot,
    SlotSeat,
)
from planner.models.oauth import OAuthState
from planner.models.outbox import OutboxMessage
from planner.models.recruiting import (
    CalendarImport,
    Candidate,
    Job,
    Location,
    PreviousAppointment,
    PreviousAppointmentPerson,
    PrivacyAction,
)

__all__ = [
    "Account",
    "ApiKey",
    "AvailabilityOverride",
    "Booking",
    "BusyInterval",
    "CalendarImport",
    "CalendarConnection",
    "Candidate",
    "CandidateComment",
    "CandidateInvitation",
    "Interview",
    "InterviewParticipant",
    "Job",
    "Location",
    "OAuthState",
    "OfferedSlot",
    "OutboxMessage",
    "PreviousAppointment",
    "PreviousAppointmentPerson",
    "PrivacyAction",
    "ProviderEventLink",
    "SignInAttempt",
    "SlotSeat",
    "StaffSession",
    "StaffUser",
    "SyncInvitation",
    "SyncRun",
    "UnknownInterval",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkingHours",
    "metadata",
]
