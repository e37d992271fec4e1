"""Plain-words reasons of sync problems, relative times and the reader's language (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from planner.domain.sync_problems import (
    ConnectionFacts,
    ErrorKind,
    describe_error,
    describe_own_error,
    describe_unreadable,
    provider_name,
)
from planner.domain.vocabulary import LOCALES
from planner.i18n import translator
from planner.i18n.dates import format_ago
from planner.i18n.staff import role_name
from planner.state.session import browser_locale


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_error_kind_has_a_reason_naming_the_user_in_every_language(locale, kind):
    tr = translator(locale)
    facts = ConnectionFacts("google", "error", error_kind=kind.value)
    reason = describe_error(tr, facts, user_name="Ann Berg")
    assert reason and "{" not in reason
    if kind not in (ErrorKind.RATE_LIMITED,):
        assert "Ann Berg" in reason
    assert describe_own_error(tr, facts) and "Ann Berg" not in describe_own_error(tr, facts)


def test_a_working_connection_has_no_reason_and_old_rows_fall_back_on_their_status():
    tr = translator("en")
    assert describe_error(tr, ConnectionFacts("caldav", "synced"), user_name="Ann") == ""
    # Rows from before error kinds were stored: the status still tells a revoked grant.
    old = ConnectionFacts("microsoft", "reconnect_needed")
    assert describe_error(tr, old, user_name="Ann") == (
        "Microsoft 365 access was revoked or has expired: ask Ann to reconnect."
    )
    old_caldav = ConnectionFacts("caldav", "reconnect_needed")
    assert "refused the password" in describe_error(tr, old_caldav, user_name="Ann")
    assert provider_name(translator("fi"), "google") == "Google-kalenteri"


def test_unreadable_data_without_a_start_says_only_how_much():
    facts = ConnectionFacts("caldav", "synced", unreadable_count=2)
    assert describe_unreadable(translator("en"), facts, locale="en", time_zone="UTC") == (
        "Some events could not be read: 2 unreadable."
    )


def test_relative_times_in_each_language():
    now = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)
    assert format_ago(now - timedelta(hours=3), now, locale="en") == "3 hours ago"
    assert format_ago(now - timedelta(days=2), now, locale="sv") == "för 2 dagar sedan"
    assert format_ago(now + timedelta(minutes=5), now, locale="en") == "1 second ago"
    with pytest.raises(ValueError):
        format_ago(datetime(2026, 12, 12), now, locale="en")


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("da-DK,da;q=0.9,en;q=0.8", "da"),
        ("de-DE,de;q=0.9,sv;q=0.5", "sv"),
        ("nn-NO", "nb"),
        ("en-US,fi;q=1.1", "fi"),
        ("fi;q=0,en;q=0.1", "en"),
        ("", "en"),
        (None, "en"),
        ("x" * 500, "en"),
    ],
)
def test_the_sign_in_page_speaks_the_browsers_language(header, locale):
    assert browser_locale(header) == locale


def test_roles_are_named_in_the_readers_language():
    assert role_name("da", "hiring_manager") == "Ansættende leder"
    assert role_name("en", "admin") == "Administrator"
