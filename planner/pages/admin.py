"""The admin page: staff users and their calendar sync."""

import reflex as rx

from planner.components.layout import empty_state, loading, page_shell, table_caption
from planner.state.admin import AdminState, StaffView

SYNC_COLOURS = {
    "not_invited": "gray",
    "invited": "blue",
    "synced": "green",
    "error": "red",
    "disconnected": "orange",
}


def _sync_badge(row: StaffView) -> rx.Component:
    return rx.match(
        row.sync_status,
        *[
            (status, rx.badge(row.sync_label, color_scheme=colour))
            for status, colour in SYNC_COLOURS.items()
        ],
        rx.badge(row.sync_label),
    )


def _row(row: StaffView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(
            rx.cond(
                row.has_email,
                rx.text(row.email),
                rx.tooltip(
                    rx.badge("No e-mail", color_scheme="amber", variant="outline"),
                    content="Without an e-mail address this user cannot be invited to sync "
                    "a calendar or receive mail.",
                ),
            )
        ),
        rx.table.cell(row.role),
        rx.table.cell(row.time_zone),
        rx.table.cell(row.language),
        rx.table.cell(_sync_badge(row)),
    )


def admin_page() -> rx.Component:
    return page_shell(
        "Account & users",
        rx.cond(
            AdminState.loaded,
            rx.cond(
                AdminState.allowed,
                rx.cond(
                    AdminState.rows.length() == 0,
                    empty_state("No staff users", "This account has no staff users yet."),
                    rx.box(
                        rx.table.root(
                            table_caption("Staff users"),
                            rx.table.header(
                                rx.table.row(
                                    *[
                                        rx.table.column_header_cell(label)
                                        for label in (
                                            "Name",
                                            "E-mail",
                                            "Role",
                                            "Time zone",
                                            "Language",
                                            "Calendar sync",
                                        )
                                    ]
                                )
                            ),
                            rx.table.body(rx.foreach(AdminState.rows, _row)),
                            variant="surface",
                            width="100%",
                        ),
                        width="100%",
                        overflow_x="auto",
                    ),
                ),
                rx.callout(
                    "Only admins of the account can see this page.",
                    color_scheme="amber",
                    role="alert",
                ),
            ),
            loading(),
        ),
    )
