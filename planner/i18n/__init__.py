"""Languages Planner speaks, their names, message catalogues and date formatting."""

from babel import Locale

from planner.domain.vocabulary import LOCALES
from planner.i18n.catalogues import Translator, translator
from planner.i18n.dates import format_day, format_short, format_when, zone_name

__all__ = [
    "Translator",
    "format_day",
    "format_short",
    "format_when",
    "language_name",
    "translator",
    "zone_name",
]


def language_name(code: str, *, in_locale: str = "en") -> str:
    """The name of a language (e.g. 'Danish' or 'dansk'), falling back to the code."""
    if code not in LOCALES:
        return code
    return (Locale.parse(code).get_display_name(in_locale) or code).capitalize()
