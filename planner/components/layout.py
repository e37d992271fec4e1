"""The signed-in layout: navigation, who is signed in, sign-out."""

import reflex as rx

from planner import routes
from planner.components.i18n import tx
from planner.domain.vocabulary import LOCALES
from planner.i18n import language_name
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


# Below this width the navigation collapses into a menu and tables become stacked rows.
PHONE = "@media (max-width: 767px)"
DESKTOP_ONLY = {PHONE: {"display": "none"}}
PHONE_ONLY = {"display": "none", PHONE: {"display": "flex"}}


def _nav_items() -> list[tuple[rx.Var, str, rx.Var | bool]]:
    """(label, address, shown) of each place in the navigation."""
    return [
        (tx("Calendar"), routes.CALENDAR, True),
        (tx("Candidates"), routes.CANDIDATES, True),
        (tx("Previous calendar"), routes.IMPORT, True),
        (tx("Admin"), routes.ADMIN, SessionState.is_admin),
        (tx("API"), "/admin/integrations", SessionState.is_admin),
        (
            tx("Sent mail"),
            routes.SENT_MAIL,
            SessionState.is_admin & SessionState.is_development,
        ),
    ]


def _shown(shown: rx.Var | bool, child: rx.Component) -> rx.Component:
    return child if shown is True else rx.cond(shown, child)


def _phone_menu() -> rx.Component:
    """The navigation as a menu button on a phone."""
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(
                    rx.icon("menu", aria_hidden="true"),
                    variant="soft",
                    color_scheme="gray",
                    size="3",
                    aria_label=tx("Menu"),
                )
            ),
            rx.menu.content(
                *[
                    _shown(shown, rx.menu.item(label, on_click=rx.redirect(href)))
                    for label, href, shown in _nav_items()
                ]
            ),
        ),
        style=PHONE_ONLY,
    )


def _language_item(code: str) -> rx.Component:
    """A language named in itself (a language's own name is not translated)."""
    return rx.menu.item(
        rx.hstack(
            rx.cond(
                SessionState.locale == code,
                rx.icon("check", size=16, aria_hidden="true"),
                rx.box(width="16px"),
            ),
            rx.text(own_language_name(code), lang=code),
            spacing="2",
            align="center",
        ),
        on_click=SessionState.choose_language(code),
    )


def _user_menu() -> rx.Component:
    """Who is signed in, with the choice of language."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                # Named by what it shows, after a hidden "User menu:" (an aria-label would
                # hide the role and account shown on wide screens: axe label-content-name-mismatch).
                rx.el.span(tx("User menu") + ": ", style=VISUALLY_HIDDEN),
                rx.vstack(
                    rx.text(SessionState.user_name, size="2", weight="medium"),
                    rx.text(
                        SessionState.role_label,
                        " · ",
                        SessionState.account_name,
                        size="1",
                        color_scheme="gray",
                        style=DESKTOP_ONLY,
                    ),
                    spacing="0",
                    align="end",
                ),
                rx.icon("chevron-down", size=16, aria_hidden="true"),
                variant="ghost",
                color_scheme="gray",
                high_contrast=True,
                size="2",
                style={"height": "auto", "padding": "4px 8px"},
            )
        ),
        rx.menu.content(
            rx.menu.item(tx("Language"), disabled=True),
            *[_language_item(code) for code in LOCALES],
            align="end",
        ),
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.hstack(
                _phone_menu(),
                rx.link(
                    rx.text("Planner", size="5", weight="bold"),
                    href=routes.HOME,
                    underline="none",
                    high_contrast=True,
                ),
                rx.el.nav(
                    rx.hstack(
                        *[
                            _shown(shown, _nav_link(label, href))
                            for label, href, shown in _nav_items()
                        ],
                        spacing="5",
                    ),
                    aria_label=tx("Main"),
                    style=DESKTOP_ONLY,
                ),
                spacing="4",
                align="center",
            ),
            rx.hstack(
                _user_menu(),
                sign_out_form(),
                spacing="2",
                align="center",
            ),
            justify="between",
            align="center",
            spacing="3",
            width="100%",
        ),
        style={
            "padding": "12px 24px",
            "border_bottom": "1px solid var(--gray-a5)",
            "background": "var(--color-panel-solid)",
            PHONE: {"padding": "8px 12px"},
        },
    )


def page_shell(title: str | rx.Var, *children: rx.Component) -> rx.Component:
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
            style={
                "max_width": "1100px",
                "margin": "0 auto",
                "padding": "24px",
                PHONE: {"padding": "16px 12px"},
            },
        ),
        min_height="100vh",
        background="var(--gray-2)",
        # The page is in the reader's language (WCAG 3.1.2; the document's <html lang> is the
        # static build's).
        lang=SessionState.locale,
        # Nothing scrolls sideways: long words and addresses wrap instead.
        style={"overflow_wrap": "anywhere"},
    )


def tab_title(message: str) -> rx.Var:
    """A signed-in page's browser tab title in the reader's language: '<message> · Planner'."""
    return tx(message).to(str) + " · Planner"


def empty_state(title: str | rx.Var, detail: str | rx.Var) -> rx.Component:
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


def table_caption(text: str | rx.Var) -> rx.Component:
    """Names a table for screen readers (Radix puts aria-label on its wrapper instead)."""
    return rx.el.caption(text, style=VISUALLY_HIDDEN)


def loading() -> rx.Component:
    return rx.hstack(rx.spinner(), rx.text(tx("Loading…"), color_scheme="gray"), spacing="2")


# A table that turns into stacked rows on a phone: each cell shows its column's name (its
# `data-label` attribute, see `stacked_cell`) above its value, and nothing scrolls sideways.
STACKED_TABLE = {
    PHONE: {
        "& thead": {"display": "none"},
        # Radix gives the table no height of its own once it is not laid out as a table.
        "& table": {"height": "auto", "overflow": "visible"},
        "& table, & tbody, & tr, & td, & th": {
            "display": "block",
            "width": "100%",
            "box_sizing": "border-box",
        },
        "& tr": {"border_bottom": "1px solid var(--gray-a5)", "padding": "8px 0"},
        "& td, & th": {"box_shadow": "none", "padding": "4px 12px", "height": "auto"},
        # A cell with nothing to say (no provider yet, no problem) takes no room.
        "& [data-empty='true']": {"display": "none"},
        "& [data-label]::before": {
            "content": "attr(data-label)",
            "display": "block",
            "font_size": "12px",
            "font_weight": "600",
            "color": "var(--gray-11)",
        },
    }
}


def stacked_cell(
    label: str | rx.Var,
    *children: rx.Component | rx.Var | str,
    empty: rx.Var | bool = False,
    **props,
) -> rx.Component:
    """A table cell that names its column when the table is stacked on a phone; an `empty`
    one is left out there."""
    attrs = {"data-label": label, "data-empty": rx.cond(empty, "true", "false")}
    return rx.table.cell(*children, custom_attrs=attrs, **props)


def own_language_name(code: str) -> str:
    """A language's name in that language, e.g. 'dansk' -> 'Dansk'."""
    return language_name(code, in_locale=code)
