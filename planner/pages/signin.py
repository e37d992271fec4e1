"""The staff sign-in page."""

import reflex as rx

from planner import routes
from planner.state.signin import SignInState


def _message() -> rx.Component:
    return rx.cond(
        SignInState.message != "",
        rx.callout(
            SignInState.message,
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
                    rx.heading("Sign in to Planner", size="6", as_="h1"),
                    rx.text("Interview scheduling for your hiring team.", color_scheme="gray"),
                    _message(),
                    rx.el.label("E-mail", html_for="email", style={"font_weight": "500"}),
                    rx.input(
                        id="email",
                        name="email",
                        type="email",
                        auto_complete="username",
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.el.label("Password", html_for="password", style={"font_weight": "500"}),
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
                    rx.button("Sign in", type="submit", size="3", width="100%"),
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
