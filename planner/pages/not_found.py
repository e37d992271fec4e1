"""The page for unknown addresses."""

import reflex as rx

from planner import routes


def not_found_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Page not found", size="7", as_="h1"),
            rx.text("There is nothing at this address. Check the link, or go back to Planner."),
            rx.link("Go to Planner", href=routes.HOME),
            spacing="3",
            align="center",
        ),
        min_height="100vh",
        padding="16px",
    )
