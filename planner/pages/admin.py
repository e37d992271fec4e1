"""The admin page: staff users and their calendar sync, with bulk sync invitations."""

import reflex as rx

from planner.components.layout import empty_state, loading, page_shell, table_caption
from planner.state.admin import ALL, SYNC_LABELS, AdminState, StaffView

S = AdminState
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
        rx.table.cell(
            rx.checkbox(
                checked=S.selected.contains(row.key),
                on_change=lambda _checked: S.toggle(row.key),
                aria_label="Select " + row.name,
            )
        ),
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


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(aria_label="Filter by sync status"),
            rx.select.content(
                rx.select.item("All statuses", value=ALL),
                *[rx.select.item(label, value=key) for key, label in SYNC_LABELS.items()],
            ),
            value=S.status_filter,
            on_change=S.set_status_filter,
        ),
        rx.input(
            placeholder="Search by name",
            value=S.search,
            on_change=S.set_search.debounce(250),
            aria_label="Search staff",
            max_width="260px",
        ),
        rx.spacer(),
        rx.button(
            "Send sync invitation",
            rx.cond(S.selected.length() > 0, rx.text.span(" (", S.selected.length(), ")")),
            on_click=S.ask_to_send,
            disabled=S.selected.length() == 0,
        ),
        wrap="wrap",
        spacing="3",
        width="100%",
        align="center",
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Some selected users have no e-mail address"),
            rx.alert_dialog.description(
                rx.vstack(
                    rx.text("These users cannot be invited to sync a calendar:"),
                    rx.el.ul(rx.foreach(S.without_email_selected, lambda n: rx.el.li(n))),
                    rx.text("The invitation goes to the other selected users."),
                    spacing="2",
                )
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Cancel", variant="soft", color_scheme="gray", on_click=S.close_confirm
                    )  # fmt: skip
                ),
                rx.alert_dialog.action(rx.button("Send to the others", on_click=S.send)),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
        ),
        open=S.confirm_open,
    )


def _table() -> rx.Component:
    return rx.box(
        rx.table.root(
            table_caption("Staff users"),
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(
                        rx.checkbox(
                            checked=(S.selected.length() == S.rows.length())
                            & (S.rows.length() > 0),
                            on_change=lambda _checked: S.toggle_all(),
                            aria_label="Select all",
                        )
                    ),
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
                    ],
                )
            ),
            rx.table.body(rx.foreach(S.rows, _row)),
            variant="surface",
            width="100%",
        ),
        width="100%",
        overflow_x="auto",
    )


def admin_page() -> rx.Component:
    return page_shell(
        "Account & users",
        rx.cond(
            S.loaded,
            rx.cond(
                S.allowed,
                rx.vstack(
                    rx.heading("Calendar sync", size="4", as_="h2"),
                    rx.text(
                        "Synced calendars feed time suggestions (busy or free only, never "
                        "titles) and receive interviews automatically.",
                        color_scheme="gray",
                        size="2",
                    ),
                    _toolbar(),
                    rx.cond(
                        S.result != "",
                        rx.callout(
                            S.result,
                            color_scheme=rx.cond(S.result_kind == "error", "amber", "green"),
                            role="status",
                            width="100%",
                        ),
                    ),
                    rx.cond(
                        S.rows.length() == 0,
                        empty_state("No staff users match", "Change the filter or the search."),
                        _table(),
                    ),
                    _confirm(),
                    spacing="3",
                    width="100%",
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
