"""Who is signed in: resolved from the HttpOnly session cookie on every page load."""

import reflex as rx

from planner import routes
from planner.api.app import session_token_from_cookie_header
from planner.db import session_scope
from planner.i18n.staff import staff_texts
from planner.models.base import utcnow
from planner.services import auth
from planner.services.actor import Actor
from planner.settings import get_settings


def current_actor(state: rx.State) -> Actor | None:
    """The staff user behind the browser's session cookie, checked against the database."""
    token = session_token_from_cookie_header(state.router.headers.cookie)
    if token is None:
        return None
    with session_scope() as session:
        return auth.resolve_session(session=session, token=token, now=utcnow())


def sign_in_redirect(state: rx.State) -> rx.event.EventSpec:
    """Send the browser to the sign-in page, coming back here afterwards."""
    path = state.router.url.path or routes.HOME
    return rx.redirect(routes.sign_in_url(next_path=routes.safe_next_path(path)))


class SessionState(rx.State):
    """The signed-in user as the layout shows them (names only, no ids or tokens)."""

    user_name: str = ""
    account_name: str = ""
    role_label: str = ""
    is_admin: bool = False
    # Development-only pages (the "Sent mail" page) are offered when this is set.
    is_development: bool = False
    # The reader's language and IANA time zone, and the fixed texts of the staff pages in that
    # language (message id -> translation; see planner.components.i18n.tx).
    locale: str = "en"
    zone: str = "UTC"
    texts: dict[str, str] = {}

    def remember(self, actor: Actor) -> None:
        """Keep what the layout shows about the actor."""
        self.user_name = actor.name
        self.account_name = actor.account_name
        self.role_label = actor.role.value.replace("_", " ").capitalize()
        self.is_admin = actor.is_admin
        self.is_development = get_settings().is_development
        self.zone = actor.time_zone
        if actor.locale != self.locale or (actor.locale != "en" and not self.texts):
            self._use_language(actor.locale)

    def _use_language(self, locale: str) -> None:
        """Show the staff pages in `locale` (one of planner.domain.vocabulary.LOCALES)."""
        self.locale = locale
        self.texts = dict(staff_texts(locale))

    def forget(self) -> None:
        self.user_name = self.account_name = self.role_label = ""
        self.is_admin = False
        self.is_development = False
