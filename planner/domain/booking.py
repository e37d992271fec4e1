"""The candidate invitation life cycle as an explicit transition table."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from planner.domain.vocabulary import InvitationStatus


class InvitationEvent(StrEnum):
    """What can happen to a candidate's invitation."""

    BOOK = "book"  # the candidate picks an offered slot
    NO_FIT = "no_fit"  # the candidate says no slot fits, with a comment
    CANCEL = "cancel"  # the candidate cancels their booking, with a comment
    SLOT_REMOVED = "slot_removed"  # staff remove the slot the candidate had booked
    EXPIRE = "expire"  # the link's time ran out before a booking
    WITHDRAW = "withdraw"  # staff cancel the interview or the invitation


S = InvitationStatus
E = InvitationEvent

# (from, event) -> to. Anything not listed is illegal.
TRANSITIONS: dict[tuple[InvitationStatus, InvitationEvent], InvitationStatus] = {
    (S.INVITED, E.BOOK): S.BOOKED,
    (S.INVITED, E.NO_FIT): S.NO_FIT,
    (S.INVITED, E.EXPIRE): S.EXPIRED,
    (S.INVITED, E.WITHDRAW): S.WITHDRAWN,
    # Having said no slot fits, a candidate may still pick one (e.g. one added later).
    (S.NO_FIT, E.BOOK): S.BOOKED,
    (S.NO_FIT, E.NO_FIT): S.NO_FIT,
    (S.NO_FIT, E.EXPIRE): S.EXPIRED,
    (S.NO_FIT, E.WITHDRAW): S.WITHDRAWN,
    (S.BOOKED, E.CANCEL): S.CANCELLED,
    # The candidate is told and may choose again among the remaining slots.
    (S.BOOKED, E.SLOT_REMOVED): S.INVITED,
    (S.BOOKED, E.WITHDRAW): S.WITHDRAWN,
    # Rescheduling is cancel + choose another offered slot.
    (S.CANCELLED, E.BOOK): S.BOOKED,
    (S.CANCELLED, E.NO_FIT): S.NO_FIT,
    (S.CANCELLED, E.EXPIRE): S.EXPIRED,
    (S.CANCELLED, E.WITHDRAW): S.WITHDRAWN,
}


class IllegalTransition(ValueError):
    """The invitation cannot go through this event from its current status."""

    def __init__(self, status: InvitationStatus, event: InvitationEvent) -> None:
        super().__init__(f"an invitation that is {status.value} cannot {event.value}")
        self.status = status
        self.event = event


def next_status(status: InvitationStatus | str, event: InvitationEvent) -> InvitationStatus:
    """The status after `event`, or IllegalTransition."""
    current = InvitationStatus(status)
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(current, event) from None


def can(status: InvitationStatus | str, event: InvitationEvent) -> bool:
    """Whether `event` is allowed from `status`."""
    return (InvitationStatus(status), event) in TRANSITIONS


@dataclass(frozen=True, slots=True)
class LinkState:
    """What a candidate's link may do right now."""

    usable: bool
    reason: str  # "", "expired", "withdrawn"


def link_valid_until(expires_at: datetime, last_offered_end: datetime | None) -> datetime:
    """When an unbooked candidate's link stops working: its own expiry, but never before the
    last offered time has passed (a link sent 14 days ahead of times offered later than that
    keeps working until they are over). UTC datetimes in, UTC out."""
    if last_offered_end is not None and last_offered_end > expires_at:
        return last_offered_end
    return expires_at


def link_state(
    status: InvitationStatus | str,
    expires_at: datetime,
    now: datetime,
    *,
    last_offered_end: datetime | None = None,
) -> LinkState:
    """A booked invitation keeps working after the expiry (to see, add to a calendar or
    cancel the interview); others work until `link_valid_until`."""
    current = InvitationStatus(status)
    if current is S.WITHDRAWN:
        return LinkState(False, "withdrawn")
    if current is S.EXPIRED or (
        current is not S.BOOKED and link_valid_until(expires_at, last_offered_end) <= now
    ):
        return LinkState(False, "expired")
    return LinkState(True, "")
