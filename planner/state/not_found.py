"""The not-found page's state: its texts in the browser's language (Accept-Language)."""

import reflex as rx

from planner.api.booking_routes import preferred_locale
from planner.state.booking_page import not_found_texts


class NotFoundState(rx.State):
    """Language and texts of the not-found page; English until the browser's language is
    known from the page's first event."""

    lang: str = "en"
    texts: dict[str, str] = not_found_texts("en")
    title: str = not_found_texts("en")["title"] + " · Planner"

    @rx.event
    def load(self):
        self.lang = preferred_locale(self.router.headers.accept_language)
        self.texts = not_found_texts(self.lang)
        self.title = f"{self.texts['title']} · Planner"
        # The document's language follows the page's (the title is the page's, reactive).
        return rx.call_script(f"document.documentElement.lang={self.lang!r};")
