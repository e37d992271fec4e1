"""The "Sent mail" page (development only): what the embedded SMTP server received."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.layout import (
    STACKED_TABLE,
    empty_state,
    loading,
    page_shell,
    stacked_cell,
    table_caption,
)
from planner.state.sent_mail import SentMailRow, SentMailState, TextPiece


def _row(row: SentMailRow) -> rx.Component:
    return rx.table.row(
        stacked_cell(tx("Received"), row.received, white_space="nowrap"),
        stacked_cell(tx("To"), row.recipient),
        rx.table.row_header_cell(
            rx.button(
                row.subject,
                on_click=SentMailState.select(row.index),
                variant="ghost",
                size="2",
                style={"text_align": "left", "height": "auto", "white_space": "normal"},
            ),
        ),
        stacked_cell(
            tx("Calendar"),
            rx.cond(row.calendar != "", rx.badge(row.calendar, color_scheme="blue"), rx.text("")),
        ),
        background=rx.cond(SentMailState.selected == row.index, "var(--accent-a3)", "none"),
    )


def _piece(piece: TextPiece) -> rx.Component:
    return rx.cond(
        piece.kind == "link",
        rx.link(piece.text, href=piece.text, is_external=True),
        rx.text.span(piece.text),
    )


def _detail() -> rx.Component:
    return rx.cond(
        SentMailState.selected >= 0,
        rx.card(
            rx.vstack(
                rx.heading(SentMailState.subject, size="4", as_="h2"),
                rx.text(tx("From:"), " ", SentMailState.sender, size="2", color_scheme="gray"),
                rx.text(tx("To:"), " ", SentMailState.recipient, size="2", color_scheme="gray"),
                rx.text(
                    tx("Received:"), " ", SentMailState.received, size="2", color_scheme="gray"
                ),
                rx.cond(
                    SentMailState.calendar != "",
                    rx.text(
                        tx("Calendar part:"),
                        " ",
                        SentMailState.calendar,
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                rx.box(
                    rx.foreach(SentMailState.pieces, _piece),
                    style={
                        "white_space": "pre-wrap",
                        "overflow_wrap": "anywhere",
                        "font_size": "15px",
                    },
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.text(tx("Choose a mail to read its text."), color_scheme="gray"),
    )


def _mails() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                tx(
                    "Every mail Planner sent in this local run, as the embedded SMTP server "
                    "received it. Links open in a new tab."
                ),
                color_scheme="gray",
            ),
            rx.button(tx("Refresh"), on_click=SentMailState.load, variant="soft", size="2"),
            justify="between",
            align="center",
            width="100%",
            wrap="wrap",
        ),
        rx.cond(
            SentMailState.rows.length() == 0,
            empty_state(
                tx("No mail yet"), tx("Mails appear here as soon as the worker sends them.")
            ),
            rx.box(
                rx.table.root(
                    table_caption(tx("Sent mail")),
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(tx("Received")),
                            rx.table.column_header_cell(tx("To")),
                            rx.table.column_header_cell(tx("Subject")),
                            rx.table.column_header_cell(tx("Calendar")),
                        )
                    ),
                    rx.table.body(rx.foreach(SentMailState.rows, _row)),
                    variant="surface",
                    width="100%",
                    aria_label=tx("Sent mail"),
                    style=STACKED_TABLE,
                ),
                width="100%",
                max_height="50vh",
                overflow_y="auto",
            ),
        ),
        _detail(),
        spacing="4",
        width="100%",
    )


def sent_mail_page() -> rx.Component:
    return page_shell(
        tx("Sent mail"),
        rx.cond(
            SentMailState.loaded,
            rx.cond(
                SentMailState.available,
                rx.cond(
                    SentMailState.allowed,
                    _mails(),
                    rx.callout(
                        tx("Only admins of the account can see this page."),
                        color_scheme="amber",
                        role="alert",
                    ),
                ),
                rx.callout(
                    tx("Not available: the sent-mail view exists only in development mode."),
                    color_scheme="gray",
                    role="status",
                ),
            ),
            loading(),
        ),
    )
