"""The staff sign-in page."""

import reflex as rx

from planner import routes
from planner.components.i18n import tx
from planner.state.signin import SignInState


def _message_text() -> rx.Component:
    """The message in the reader's language (a message added later shows in English)."""
    return rx.match(
        SignInState.message_code,
        ("invalid", tx("Wrong e-mail or password.")),
        ("missing", tx("Enter your e-mail address and password.")),
        ("throttled", tx("Too many failed sign-ins. Wait a few minutes and try again.")),
        ("origin", tx("The sign-in form was sent from another site. Please try again here.")),
        ("signed_out", tx("You have signed out.")),
        SignInState.message,
    )


def _message() -> rx.Component:
    return rx.cond(
        SignInState.message != "",
        rx.callout(
            _message_text(),
            color_scheme=rx.cond(SignInState.message_kind == "error", "red", "blue"),
            role="alert",
            width="100%",
        ),
    )


def sign_in_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.el.form(
                rx.vstack(
                    rx.heading(tx("Sign in to Planner"), size="6", as_="h1"),
                    rx.text(tx("Interview scheduling for your hiring team."), color_scheme="gray"),
                    _message(),
                    rx.el.label(tx("E-mail"), html_for="email", style={"font_weight": "500"}),
                    rx.input(
                        id="email",
                        name="email",
                        type="email",
                        auto_complete="username",
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.el.label(tx("Password"), html_for="password", style={"font_weight": "500"}),
                    rx.input(
                        id="password",
                        name="password",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.el.input(type="hidden", name="next", value=SignInState.next_path),
                    rx.button(tx("Sign in"), type="submit", size="3", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                action=routes.AUTH_SIGN_IN,
                method="post",
                on_submit=None,
            ),
            size="4",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="16px",
        background="var(--gray-2)",
    )
