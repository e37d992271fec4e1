"""Fixed texts of staff pages in the signed-in user's language, from the message catalogues."""

import reflex as rx

from planner.i18n.staff import check_fixed_text
from planner.state.session import SessionState


def tx(message: str) -> rx.Var:
    """A fixed text of a staff page (an English message id of the catalogues, no `{placeholders}`),
    shown in the signed-in user's language.

    `SessionState.texts` holds the user's language's translations of all fixed texts (sent once
    per language); until it arrives, and in English, the id itself is shown. Texts with values
    ("{count} selected") are formatted in the page state with
    `planner.i18n.catalogues.translator(locale)` instead, from `SessionState.locale`. Every id
    must be in the catalogues (tests/unit/test_mail_content.py finds each `tx("...")` call).

    Raises ValueError for a message with a placeholder."""
    return SessionState.texts.get(check_fixed_text(message), message)
