"""The webhook signature: HMAC-SHA256 of "<timestamp>.<body>", checked like a receiver."""

import hashlib
import hmac

import pytest

from planner.services.webhooks import sign, verify

SECRET = "whsec_test-secret"
BODY = b'{"id":"evt_1","type":"interview.booked"}'
T = 1_790_000_000


def test_the_signature_is_the_hmac_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, T) == f"t={T},v1={expected}"


def test_a_receiver_accepts_a_fresh_valid_signature():
    assert verify(SECRET, BODY, sign(SECRET, BODY, T), now=T + 60)


@pytest.mark.parametrize(
    ("secret", "body", "header_time", "now"),
    [
        ("whsec_other", BODY, T, T),  # another endpoint's secret
        (SECRET, BODY + b" ", T, T),  # body changed after signing
        (SECRET, BODY, T, T + 301),  # replayed after the tolerance
        (SECRET, BODY, T + 301, T),  # from the future
    ],
)
def test_a_receiver_refuses_forged_changed_or_stale_signatures(secret, body, header_time, now):
    header = sign(secret, BODY, header_time)
    assert not verify(SECRET, body, header, now=now)


def test_the_timestamp_is_part_of_the_signed_content():
    header = sign(SECRET, BODY, T)
    moved = header.replace(f"t={T}", f"t={T + 10}")
    assert not verify(SECRET, BODY, moved, now=T)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=x,v1=abc", f"t={T}", "garbage"])
def test_malformed_headers_are_refused(header):
    assert not verify(SECRET, BODY, header, now=T)


def test_any_of_several_v1_values_may_match_during_secret_rotation():
    good = sign(SECRET, BODY, T).split("v1=")[1]
    assert verify(SECRET, BODY, f"t={T},v1={'0' * 64},v1={good}", now=T)
