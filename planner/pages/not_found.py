"""The page for unknown addresses, in the browser's language."""

import reflex as rx

from planner import routes
from planner.state.not_found import NotFoundState as S


def not_found_page() -> rx.Component:
    return rx.center(
        rx.el.main(
            rx.vstack(
                rx.heading(S.texts["title"], size="7", as_="h1"),
                rx.text(S.texts["body"]),
                rx.link(S.texts["home"], href=routes.HOME),
                spacing="3",
                align="center",
            ),
            lang=S.lang,
        ),
        min_height="100vh",
        padding="16px",
    )
