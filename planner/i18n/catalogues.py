"""Message catalogues: gettext .po files under planner/i18n/locales, read at run time."""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from planner.domain.vocabulary import LOCALES

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "planner"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def catalogue_path(locale: str) -> Path:
    """Where the .po file of one language lives."""
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(locale: str) -> Catalog:
    """The parsed .po catalogue of one of Planner's languages."""
    with catalogue_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders in a message."""
    return set(_PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Translator:
    """Translates English message ids into one language and fills in `{name}` values.

    Values are substituted once and never re-read as templates, so a name containing
    braces stays text."""

    locale: str
    messages: dict[str, str]

    def __call__(self, message: str, /, **values: object) -> str:
        template = self.messages.get(message) or message
        if not values:
            return template
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


@lru_cache(maxsize=len(LOCALES))
def translator(locale: str) -> Translator:
    """The translator for a language; unknown languages get English."""
    if locale not in LOCALES:
        locale = "en"
    messages = {
        str(entry.id): str(entry.string)
        for entry in read_catalogue(locale)
        if entry.id and entry.string and not entry.fuzzy and isinstance(entry.string, str)
    }
    return Translator(locale=locale, messages=messages)
