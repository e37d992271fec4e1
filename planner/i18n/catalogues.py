"""Message catalogues: gettext .po files under planner/i18n/locales, read at run time."""

import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    # Singular message id -> the translated forms, in the catalogue's plural order.
    plurals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The catalogue's Plural-Forms rule: a count -> the index of its form.
    plural_index: Callable[[int], int] = field(default=lambda n: int(n != 1))

    def __call__(self, message: str, /, **values: object) -> str:
        template = self.messages.get(message) or message
        return fill(template, values)

    def plural(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form of a counted message for `count` in this language (Danish "1 kandidat",
        "2 kandidater"; Finnish and the others by their catalogue's Plural-Forms rule, GNU
        gettext manual 11.2.6), with `{count}` and the other `values` filled in. English
        ids: `singular` for 1, else `plural`."""
        forms = self.plurals.get(singular)
        if forms:
            template = forms[min(self.plural_index(count), len(forms) - 1)]
        else:
            template = singular if count == 1 else plural
        return fill(template, {"count": count, **values})


def fill(template: str, values: Mapping[str, object]) -> str:
    """`template` with its `{name}` placeholders replaced by `values`, read once (a value
    containing braces stays text)."""
    if not values:
        return template
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


@lru_cache(maxsize=1)
def message_ids() -> frozenset[str]:
    """Every message id of the catalogues (the singular id of a counted message)."""
    return frozenset(
        str(entry.id[0] if entry.pluralizable else entry.id)
        for entry in read_catalogue("en")
        if entry.id
    )


def is_message_id(text: str) -> bool:
    """Whether the catalogues hold `text` as a message id (so it can be translated)."""
    return text in message_ids()


@lru_cache(maxsize=len(LOCALES))
def translator(locale: str) -> Translator:
    """The translator for a language; unknown languages get English."""
    if locale not in LOCALES:
        locale = "en"
    catalogue = read_catalogue(locale)
    messages = {
        str(entry.id): str(entry.string)
        for entry in catalogue
        if entry.id and entry.string and not entry.fuzzy and isinstance(entry.string, str)
    }
    plurals = {
        str(entry.id[0]): tuple(str(form) for form in entry.string)
        for entry in catalogue
        if entry.pluralizable and not entry.fuzzy and all(entry.string)
    }
    return Translator(
        locale=locale,
        messages=messages,
        plurals=plurals,
        plural_index=gettext.c2py(catalogue.plural_expr),
    )
