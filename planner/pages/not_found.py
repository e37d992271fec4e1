"""The page for unknown addresses."""

import reflex as rx

from planner import routes
from planner.components.i18n import tx


def not_found_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading(tx("Page not found"), size="7", as_="h1"),
            rx.text(tx("There is nothing at this address. Check the link, or go back to Planner.")),
            rx.link(tx("Go to Planner"), href=routes.HOME),
            spacing="3",
            align="center",
        ),
        min_height="100vh",
        padding="16px",
    )
