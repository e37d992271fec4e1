"""Errors that services raise; each carries a message fit to show a user, in any language."""

from dataclasses import dataclass
from datetime import datetime

from babel.numbers import format_decimal

from planner.i18n import Translator, format_short, translator
from planner.i18n.catalogues import fill, is_message_id


@dataclass(frozen=True)
class Named:
    """A value that the API and logs write as its `code` ("teams") and a person reads as its
    `name` ("Microsoft Teams")."""

    code: str
    name: str

    def __str__(self) -> str:
        return self.code


class PlannerError(Exception):
    """Base class: `message` is safe to show to the person who caused it, in English (the
    API, logs); `message_in(locale)` is the same message in the reader's language.

    `template` is an English message id of the catalogues (planner/i18n/locales) with
    `{name}` placeholders for `values`, so raise it with a literal: `NotFound("Job not
    found.")`, never an f-string (tests/unit/test_mail_content.py collects the literals)."""

    def __init__(self, template: str, /, **values: object) -> None:
        message = _fill_english(template, values)
        super().__init__(message)
        self.message = message
        self.template = template
        self.values = values

    def message_in(self, locale: str, *, time_zone: str = "UTC") -> str:
        """The message in the reader's language (en, da, sv, nb, fi), values made readable:
        times in Babel's short form in `time_zone`, numbers in the language's digits,
        `Named` values by their name. A message the catalogues lack (text from a library)
        reads in English, or as a general message of its kind in the other languages."""
        tr = translator(locale)
        if not is_message_id(self.template):
            english = _fill_english(self.template, self.values)
            return english if tr.locale == "en" else self._unknown(tr)
        values = {key: _readable(v, tr.locale, time_zone) for key, v in self.values.items()}
        return tr(self.template, **values)

    def _unknown(self, tr: Translator) -> str:
        return tr("This cannot be done.")


class NotFound(PlannerError):
    """The row does not exist, or belongs to another account (the two look the same)."""

    def _unknown(self, tr: Translator) -> str:
        return tr("This no longer exists, or you cannot see it.")


class PermissionDenied(PlannerError):
    """The acting user's role does not allow this."""

    def _unknown(self, tr: Translator) -> str:
        return tr("Your role does not allow this.")


class InvalidInput(PlannerError):
    """Input that fails validation; `field` names what to fix and `reason` says why.

    `message` is "field: reason" in English (the API answers with it); `message_in` gives
    the reason alone, translated, as a sentence: a page shows it next to what to fix."""

    def __init__(self, field: str, reason: str, /, **values: object) -> None:
        super().__init__(reason, **values)
        self.field = field
        self.reason = self.message
        self.message = f"{field}: {self.reason}"
        self.args = (self.message,)

    def message_in(self, locale: str, *, time_zone: str = "UTC") -> str:
        """The reason (no field), translated and filled in, as a sentence of its own."""
        return _sentence(super().message_in(locale, time_zone=time_zone))

    def _unknown(self, tr: Translator) -> str:
        return tr("This value cannot be used.")


class SignInRefused(PlannerError):
    """Wrong e-mail or password (never says which)."""


class SignInThrottled(PlannerError):
    """Too many failed sign-ins recently."""


def _fill_english(template: str, values: dict[str, object]) -> str:
    """The English message: values as the API has always written them (times in ISO 8601)."""
    shown = {k: v.isoformat() if isinstance(v, datetime) else str(v) for k, v in values.items()}
    return fill(template, shown)


def _readable(value: object, locale: str, time_zone: str) -> str:
    if isinstance(value, datetime):
        return format_short(value, locale=locale, time_zone=time_zone)
    if isinstance(value, Named):
        return value.name
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    return str(value)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
