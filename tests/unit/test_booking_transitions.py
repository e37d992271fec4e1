"""The invitation life cycle: every (status, event) pair is either listed or refused."""

from datetime import UTC, datetime, timedelta

import pytest

from planner.domain.booking import (
    TRANSITIONS,
    IllegalTransition,
    InvitationEvent,
    can,
    link_state,
    next_status,
)
from planner.domain.vocabulary import InvitationStatus as S

E = InvitationEvent

EXPECTED = {
    (S.INVITED, E.BOOK): S.BOOKED,
    (S.INVITED, E.NO_FIT): S.NO_FIT,
    (S.INVITED, E.EXPIRE): S.EXPIRED,
    (S.INVITED, E.WITHDRAW): S.WITHDRAWN,
    (S.NO_FIT, E.BOOK): S.BOOKED,
    (S.NO_FIT, E.NO_FIT): S.NO_FIT,
    (S.NO_FIT, E.EXPIRE): S.EXPIRED,
    (S.NO_FIT, E.WITHDRAW): S.WITHDRAWN,
    (S.BOOKED, E.CANCEL): S.CANCELLED,
    (S.BOOKED, E.SLOT_REMOVED): S.INVITED,
    (S.BOOKED, E.WITHDRAW): S.WITHDRAWN,
    (S.CANCELLED, E.BOOK): S.BOOKED,
    (S.CANCELLED, E.NO_FIT): S.NO_FIT,
    (S.CANCELLED, E.EXPIRE): S.EXPIRED,
    (S.CANCELLED, E.WITHDRAW): S.WITHDRAWN,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("event", list(E))
def test_every_pair(status, event):
    expected = EXPECTED.get((status, event))
    if expected is None:
        assert not can(status, event)
        with pytest.raises(IllegalTransition, match=status.value):
            next_status(status, event)
    else:
        assert can(status, event)
        assert next_status(status.value, event) is expected


def test_table_is_exactly_the_expected_one():
    assert TRANSITIONS == EXPECTED


def test_terminal_states_allow_nothing():
    for status in (S.EXPIRED, S.WITHDRAWN):
        assert not any(can(status, event) for event in E)


NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "status, expires_in, usable, reason",
    [
        (S.INVITED, timedelta(days=1), True, ""),
        (S.INVITED, timedelta(0), False, "expired"),
        (S.BOOKED, -timedelta(days=3), True, ""),  # a booked candidate can still cancel
        (S.CANCELLED, -timedelta(seconds=1), False, "expired"),
        (S.EXPIRED, timedelta(days=1), False, "expired"),
        (S.WITHDRAWN, timedelta(days=1), False, "withdrawn"),
    ],
)
def test_link_state(status, expires_in, usable, reason):
    state = link_state(status, NOW + expires_in, NOW)
    assert (state.usable, state.reason) == (usable, reason)
