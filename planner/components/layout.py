"""The signed-in layout: navigation, who is signed in, sign-out."""

import reflex as rx

from planner import routes
from planner.components.i18n import tx
from planner.state.session import SessionState


def _nav_link(label: rx.Var | str, href: str) -> rx.Component:
    return rx.link(
        label,
        href=href,
        size="3",
        weight="medium",
        color_scheme="gray",
        high_contrast=True,
        underline="hover",
    )


def sign_out_form() -> rx.Component:
    """A real form POST, so that the server clears the HttpOnly cookie."""
    return rx.el.form(
        rx.button(tx("Sign out"), type="submit", variant="soft", color_scheme="gray", size="2"),
        action=routes.AUTH_SIGN_OUT,
        method="post",
        on_submit=None,
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.hstack(
                rx.link(
                    rx.text("Planner", size="5", weight="bold"),
                    href=routes.HOME,
                    underline="none",
                    high_contrast=True,
                ),
                rx.el.nav(
                    rx.hstack(
                        _nav_link(tx("Calendar"), routes.CALENDAR),
                        _nav_link(tx("Candidates"), routes.CANDIDATES),
                        _nav_link(tx("Previous calendar"), routes.IMPORT),
                        rx.cond(SessionState.is_admin, _nav_link(tx("Admin"), routes.ADMIN)),
                        rx.cond(SessionState.is_admin, _nav_link(tx("API"), "/admin/integrations")),
                        rx.cond(
                            SessionState.is_admin & SessionState.is_development,
                            _nav_link(tx("Sent mail"), routes.SENT_MAIL),
                        ),
                        spacing="5",
                        wrap="wrap",
                    ),
                    aria_label="Main",
                ),
                spacing="6",
                align="center",
                wrap="wrap",
            ),
            rx.hstack(
                rx.vstack(
                    rx.text(SessionState.user_name, size="2", weight="medium"),
                    rx.text(
                        SessionState.role_label,
                        " · ",
                        SessionState.account_name,
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="0",
                    align="end",
                ),
                sign_out_form(),
                spacing="3",
                align="center",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            spacing="4",
            width="100%",
        ),
        style={
            "padding": "12px 24px",
            "border_bottom": "1px solid var(--gray-a5)",
            "background": "var(--color-panel-solid)",
        },
    )


def page_shell(title: str, *children: rx.Component) -> rx.Component:
    """A signed-in page: navigation, then a heading and the page's content."""
    return rx.box(
        navbar(),
        rx.el.main(
            rx.vstack(
                rx.heading(title, size="7", as_="h1"),
                *children,
                spacing="5",
                width="100%",
            ),
            style={"max_width": "1100px", "margin": "0 auto", "padding": "24px"},
        ),
        min_height="100vh",
        background="var(--gray-2)",
    )


def empty_state(title: str, detail: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(title, weight="medium", size="3"),
            rx.text(detail, color_scheme="gray", size="2"),
            spacing="1",
        ),
        width="100%",
    )


VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "padding": "0",
    "margin": "-1px",
    "overflow": "hidden",
    "clip": "rect(0, 0, 0, 0)",
    "white_space": "nowrap",
    "border": "0",
}


def table_caption(text: str) -> rx.Component:
    """Names a table for screen readers (Radix puts aria-label on its wrapper instead)."""
    return rx.el.caption(text, style=VISUALLY_HIDDEN)


def loading() -> rx.Component:
    return rx.hstack(rx.spinner(), rx.text("Loading…", color_scheme="gray"), spacing="2")
