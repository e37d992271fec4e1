"""A polite live region: outcomes of actions announced to screen readers."""

import reflex as rx

from planner.components.layout import VISUALLY_HIDDEN


def live_region(message: rx.Var | str) -> rx.Component:
    """Announces `message` (a state var) whenever it changes; visually hidden."""
    return rx.box(message, role="status", aria_live="polite", style=VISUALLY_HIDDEN)
