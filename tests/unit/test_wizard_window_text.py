"""The wizard's 07-21 window is written as the reader's language writes times (as Babel does
in the dialogs and the grid), not in ISO form with a hyphen."""

from datetime import UTC, datetime

import pytest

from planner.i18n import translator
from planner.i18n.dates import format_time_range

WINDOW_TEXTS = (
    "07:00-21:00 in your time zone; busy or free only, never what the time is used for.",
    "Outside 07:00-21:00 for {names}",
)


@pytest.mark.parametrize("locale", ["da", "sv", "nb", "fi"])
def test_the_nordic_wizard_window_reads_as_the_language_writes_times(locale: str) -> None:
    window = format_time_range(
        datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 21, 0, tzinfo=UTC),
        locale=locale,
        time_zone="UTC",
    )
    tr = translator(locale)
    for message in WINDOW_TEXTS:
        text = tr(message, names="Oliver Bennett")
        assert window in text, (locale, text)
        assert "07:00-21:00" not in text
