"""Who is signed in: resolved from the HttpOnly session cookie on every page load."""

import reflex as rx

from planner import routes
from planner.api.app import session_token_from_cookie_header
from planner.db import session_scope
from planner.domain.vocabulary import LOCALES
from planner.i18n.staff import role_name, staff_texts
from planner.models.base import utcnow
from planner.services import auth, staff
from planner.services.actor import Actor
from planner.services.errors import PlannerError
from planner.settings import get_settings


def current_actor(state: rx.State) -> Actor | None:
    """The staff user behind the browser's session cookie, checked against the database."""
    token = session_token_from_cookie_header(state.router.headers.cookie)
    if token is None:
        return None
    with session_scope() as session:
        return auth.resolve_session(session=session, token=token, now=utcnow())


def error_text(actor: Actor, exc: PlannerError) -> str:
    """What a service refused, in the staff user's language, times in their zone."""
    return exc.message_in(actor.locale, time_zone=actor.time_zone)


def browser_locale(accept_language: str | None) -> str:
    """The first of Planner's languages in an Accept-Language header ("da-DK,da;q=0.9,en"
    -> "da"; Norwegian "no"/"nn" read as "nb"), English when none fits."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        language = "nb" if language in ("no", "nn") else language
        if language in LOCALES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else "en"


def sign_in_redirect(state: rx.State) -> rx.event.EventSpec:
    """Send the browser to the sign-in page, coming back here afterwards (the same path and
    query, e.g. `/calendar?date=2026-12-07&range=week`)."""
    url = state.router.url
    path = (url.path or routes.HOME) + (f"?{url.query}" if url.query else "")
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
        self.is_admin = actor.is_admin
        self.is_development = get_settings().is_development
        self.zone = actor.time_zone
        if actor.locale != self.locale or (actor.locale != "en" and not self.texts):
            self._use_language(actor.locale)
        self.role_label = role_name(self.locale, actor.role.value)

    def _use_language(self, locale: str) -> None:
        """Show the staff pages in `locale` (one of planner.domain.vocabulary.LOCALES)."""
        self.locale = locale
        self.texts = dict(staff_texts(locale))

    def use_browser_language(self) -> None:
        """Before sign-in: the staff pages in the browser's preferred language
        (Accept-Language, RFC 9110 section 12.5.4) when Planner speaks it, else English."""
        self._use_language(browser_locale(self.router.headers.accept_language))

    @rx.event
    def detect_language(self):
        """For pages anyone may see (not found): the signed-in user's language, else the
        browser's."""
        actor = current_actor(self)
        if actor is not None:
            self.remember(actor)
        else:
            self.use_browser_language()

    @rx.event
    def choose_language(self, locale: str):
        """The user menu's language choice: kept on the staff user, then the page is shown
        again in that language (its texts with values are formatted on load)."""
        actor = current_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        try:
            with session_scope() as session:
                staff.set_own_language(session=session, actor=actor, locale=str(locale))
        except PlannerError:
            return None
        self._use_language(str(locale))
        return rx.call_script("window.location.reload()")

    def forget(self) -> None:
        self.user_name = self.account_name = self.role_label = ""
        self.is_admin = False
        self.is_development = False
