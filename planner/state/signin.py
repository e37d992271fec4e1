"""The sign-in page: shows why the last attempt failed, or moves on when signed in."""

import reflex as rx

from planner import routes
from planner.state.session import SessionState, current_actor

# Only these fixed messages are ever shown; the query string cannot inject text.
MESSAGES = {
    "invalid": ("error", "Wrong e-mail or password."),
    "missing": ("error", "Enter your e-mail address and password."),
    "throttled": ("error", "Too many failed sign-ins. Wait a few minutes and try again."),
    "origin": ("error", "The sign-in form was sent from another site. Please try again here."),
    "signed_out": ("info", "You have signed out."),
}


class SignInState(rx.State):
    """Messages and the page to return to after signing in."""

    message: str = ""
    message_kind: str = "info"
    # The key of MESSAGES shown (the page shows its text in the reader's language).
    message_code: str = ""
    next_path: str = routes.HOME

    @rx.event
    async def load(self):
        params = self.router.url.query_parameters
        code = str(params.get("error", ""))
        kind, text = MESSAGES.get(code, ("info", ""))
        self.message, self.message_kind = text, kind
        self.message_code = code if code in MESSAGES else ""
        self.next_path = routes.safe_next_path(params.get("next"))
        actor = current_actor(self)
        if actor is not None:
            session_state = await self.get_state(SessionState)
            session_state.remember(actor)
            return rx.redirect(self.next_path)
        session_state = await self.get_state(SessionState)
        session_state.use_browser_language()
        return None
