"""Backoff with jitter, and which SMTP failures are worth retrying."""

import smtplib
from datetime import timedelta

import pytest

from planner.domain.retry import MAX_DELAY, retry_delay
from planner.integrations.mail.smtp import SmtpConfig, classify


def test_backoff_doubles_within_jitter_and_is_capped():
    low = [retry_delay(n, random=lambda: 0.0) for n in range(1, 12)]
    high = [retry_delay(n, random=lambda: 0.999999) for n in range(1, 12)]
    assert low[0] == timedelta(seconds=15) and high[0] < timedelta(seconds=30)
    assert low[1] == timedelta(seconds=30) and low[2] == timedelta(seconds=60)
    assert all(a <= b for a, b in zip(low, low[1:], strict=False))
    assert max(high) <= MAX_DELAY and low[-1] == MAX_DELAY / 2
    with pytest.raises(ValueError):
        retry_delay(0, random=lambda: 0.5)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (smtplib.SMTPDataError(451, b"4.3.0 try again"), True),
        (smtplib.SMTPDataError(552, b"5.3.4 too big"), False),
        (smtplib.SMTPSenderRefused(550, b"5.7.1 not allowed", "planner@x"), False),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError("timed out"), True),
    ],
)
def test_classification(error, retryable):
    assert classify(error).retryable is retryable


def test_classify_refuses_unrelated_errors():
    with pytest.raises(TypeError):
        classify(KeyError("x"))


def test_config_repr_hides_the_password():
    config = SmtpConfig(host="smtp.example", port=587, username="u", password="s3cret-pw")
    assert "s3cret-pw" not in repr(config)
