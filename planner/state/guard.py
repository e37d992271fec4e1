"""Page guard: every protected page's load starts here."""

import reflex as rx

from planner.services.actor import Actor
from planner.state.session import SessionState, current_actor


async def signed_in_actor(state: rx.State) -> Actor | None:
    """The actor for this browser, also refreshing the layout's view of them; None when
    the browser must sign in first."""
    actor = current_actor(state)
    session_state = await state.get_state(SessionState)
    if actor is None:
        session_state.forget()
        return None
    session_state.remember(actor)
    return actor
