"""Languages Planner speaks, and their names (message catalogues live beside this file)."""

from babel import Locale

from planner.domain.vocabulary import LOCALES


def language_name(code: str, *, in_locale: str = "en") -> str:
    """The name of a language (e.g. 'Danish' or 'dansk'), falling back to the code."""
    if code not in LOCALES:
        return code
    return Locale.parse(code).get_display_name(in_locale).capitalize()
