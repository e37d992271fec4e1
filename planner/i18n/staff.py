"""Translations of the fixed staff-page texts, sent once per language to a staff user's browser."""

from functools import lru_cache

from planner.i18n.catalogues import placeholders, read_catalogue, translator


def check_fixed_text(message: str) -> str:
    """Return `message` if a page can show it as it is (an English message id without
    `{placeholders}`, which only a page state could fill).

    Raises ValueError otherwise."""
    if placeholders(message) or "{" in message:
        raise ValueError(f"a fixed staff text takes no placeholders: {message!r}")
    return message


@lru_cache(maxsize=8)
def staff_texts(locale: str) -> dict[str, str]:
    """Message id -> translation of every fixed text (no placeholders) of the catalogues, in
    one of Planner's languages (en, da, sv, nb, fi); English and unknown languages map to {}
    (pages then show the English id). The same dict object is returned on each call: don't
    change it."""
    tr = translator(locale)
    if tr.locale == "en":
        return {}
    ids = (str(entry.id) for entry in read_catalogue("en") if entry.id and not entry.pluralizable)
    return {message: tr(message) for message in ids if not placeholders(message)}


def role_name(locale: str, role: str) -> str:
    """A staff role (planner.domain.vocabulary.Role value) in the reader's language."""
    tr = translator(locale)
    names = {
        "admin": tr("Administrator"),
        "recruiter": tr("Recruiter"),
        "hiring_manager": tr("Hiring manager"),
    }
    return names.get(role, role)
