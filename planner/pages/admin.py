"""The admin page: staff users and their calendar sync, why a calendar does not sync, and the
actions that fix it (Sync now, Ask to reconnect, sync invitations), for some or all."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.layout import (
    STACKED_TABLE,
    VISUALLY_HIDDEN,
    empty_state,
    loading,
    page_shell,
    stacked_cell,
    table_caption,
)
from planner.state.admin import ALL, STATUSES, AdminState, SyncRowView

S = AdminState
SEARCH_DEBOUNCE_MS = 100
SYNC_COLOURS = {
    "not_invited": "gray",
    "invited": "blue",
    "synced": "green",
    "error": "red",
    "disconnected": "orange",
}


def _sync_badge(row: SyncRowView) -> rx.Component:
    return rx.cond(
        row.pending,
        rx.badge(
            rx.spinner(size="1"),
            tx("Syncing…"),
            color_scheme="blue",
            variant="soft",
            high_contrast=True,
        ),
        rx.match(
            row.sync_status,
            *[
                (status, rx.badge(row.status_label, color_scheme=colour, high_contrast=True))
                for status, colour in SYNC_COLOURS.items()
            ],
            rx.badge(row.status_label, high_contrast=True),
        ),
    )


def _last_sync(row: SyncRowView) -> rx.Component:
    """ "12 minutes ago", with the exact time on hover (title) and for screen readers."""
    return rx.cond(
        row.last_sync_exact != "",
        rx.el.span(
            rx.el.time(row.last_sync, title=row.last_sync_exact),
            rx.el.span(" (", row.last_sync_exact, ")", style=VISUALLY_HIDDEN),
        ),
        rx.text(row.last_sync, as_="span"),
    )


def _row_actions(row: SyncRowView) -> rx.Component:
    return rx.flex(
        rx.cond(
            row.can_sync,
            rx.button(
                tx("Sync now"),
                size="1",
                variant="soft",
                loading=row.pending,
                on_click=S.sync_now(row.key),
                aria_label=tx("Sync now") + ": " + row.name,
            ),
        ),
        rx.cond(
            row.can_reconnect,
            rx.button(
                tx("Ask to reconnect"),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=S.ask_to_reconnect(row.key),
                aria_label=tx("Ask to reconnect") + ": " + row.name,
            ),
        ),
        rx.cond(
            row.can_invite & ~row.can_reconnect,
            rx.button(
                rx.cond(row.invited, tx("Send again"), tx("Send invitation")),
                size="1",
                variant="outline",
                on_click=S.invite(row.key),
                aria_label=rx.cond(row.invited, tx("Send again"), tx("Send invitation"))
                + ": "
                + row.name,
            ),
        ),
        gap="2",
        wrap="wrap",
    )


def _row(row: SyncRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=S.all_matching | S.selected.contains(row.key),
                on_change=lambda _checked: S.toggle(row.key),
                aria_label=tx("Select") + " " + row.name,
            )
        ),
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row.name, weight="medium"),
                rx.cond(
                    row.has_email,
                    rx.text(row.email, size="1", color_scheme="gray"),
                    rx.el.span(
                        rx.badge(
                            tx("No e-mail"),
                            color_scheme="amber",
                            variant="outline",
                            high_contrast=True,
                            title=tx(
                                "Without an e-mail address this user cannot be invited to sync "
                                "a calendar or receive mail."
                            ),
                        ),
                        rx.el.span(
                            " ",
                            tx(
                                "Without an e-mail address this user cannot be invited to sync "
                                "a calendar or receive mail."
                            ),
                            style=VISUALLY_HIDDEN,
                        ),
                    ),
                ),
                rx.text(row.role, size="1", color_scheme="gray"),
                spacing="1",
                align="start",
            ),
        ),
        stacked_cell(tx("Provider"), row.provider, empty=row.provider == ""),
        stacked_cell(tx("Status"), _sync_badge(row)),
        stacked_cell(tx("Last successful sync"), _last_sync(row), empty=row.last_sync == ""),
        stacked_cell(
            tx("Problem"),
            rx.text(row.problem, size="2"),
            empty=row.problem == "",
            max_width="320px",
        ),
        stacked_cell(
            tx("Actions"),
            _row_actions(row),
            empty=~(row.can_sync | row.can_reconnect | row.can_invite),
        ),
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(aria_label=tx("Filter by sync status")),
            rx.select.content(
                rx.select.item(S.filter_labels.get(ALL, ""), value=ALL),
                *[rx.select.item(S.filter_labels.get(key, ""), value=key) for key in STATUSES],
            ),
            value=S.status_filter,
            on_change=S.set_status_filter,
        ),
        # One client-side debounce (rx.input alone would wait 300 ms): the search starts
        # 100 ms after the last keystroke.
        rx.debounce_input(
            rx.input(
                placeholder=tx("Search by name or e-mail"),
                value=S.search,
                on_change=S.set_search,
                aria_label=tx("Search staff"),
                type="search",
                max_width="280px",
                width="100%",
            ),
            debounce_timeout=SEARCH_DEBOUNCE_MS,
        ),
        rx.select.root(
            rx.select.trigger(aria_label=tx("Sort")),
            rx.select.content(
                rx.select.item(tx("Name A–Z"), value="name"),
                rx.select.item(tx("Name Z–A"), value="name_desc"),
                rx.select.item(tx("Problems first"), value="status"),
                rx.select.item(tx("Last sync, newest first"), value="last_sync"),
                rx.select.item(tx("Last sync, oldest first"), value="last_sync_oldest"),
            ),
            value=S.sort,
            on_change=S.set_sort,
        ),
        wrap="wrap",
        gap="3",
        width="100%",
        align="center",
    )


def _bulk_bar() -> rx.Component:
    return rx.flex(
        rx.text(S.selected_label, size="2", weight="medium"),
        rx.button(
            tx("Sync now"),
            on_click=S.sync_now(-1),
            disabled=~S.any_selected,
            variant="soft",
        ),
        rx.button(
            tx("Ask to reconnect"),
            on_click=S.ask_to_reconnect(-1),
            disabled=~S.any_selected,
            variant="soft",
            color_scheme="red",
        ),
        rx.button(
            tx("Send sync invitation"),
            on_click=S.ask_to_send,
            disabled=~S.any_selected,
        ),
        wrap="wrap",
        gap="3",
        align="center",
        width="100%",
    )


def _select_all_matching() -> rx.Component:
    return rx.cond(
        S.page_all_selected & (S.total > S.rows.length()),
        rx.flex(
            rx.cond(
                S.all_matching,
                rx.button(
                    tx("Clear selection"),
                    variant="ghost",
                    size="1",
                    on_click=S.clear_selection,
                ),
                rx.button(
                    S.select_all_label,
                    variant="ghost",
                    size="1",
                    on_click=S.select_all_matching,
                ),
            ),
            width="100%",
        ),
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tx("Some selected users have no e-mail address")),
            rx.alert_dialog.description(
                rx.vstack(
                    rx.text(tx("These users cannot be invited to sync a calendar:")),
                    rx.el.ul(rx.foreach(S.without_email_selected, lambda n: rx.el.li(n))),
                    rx.text(tx("The invitation goes to the other selected users.")),
                    spacing="2",
                )
            ),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(
                        tx("Cancel"), variant="soft", color_scheme="gray", on_click=S.close_confirm
                    )  # fmt: skip
                ),
                rx.alert_dialog.action(rx.button(tx("Send to the others"), on_click=S.send)),
                gap="3",
                justify="end",
                wrap="wrap",
                margin_top="16px",
            ),
        ),
        open=S.confirm_open,
    )


def _table() -> rx.Component:
    return rx.table.root(
        table_caption(tx("Staff users")),
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(
                    rx.checkbox(
                        checked=S.page_all_selected,
                        on_change=lambda _checked: S.toggle_all(),
                        aria_label=tx("Select all on this page"),
                    )
                ),
                rx.table.column_header_cell(tx("Name")),
                rx.table.column_header_cell(tx("Provider")),
                rx.table.column_header_cell(tx("Status")),
                rx.table.column_header_cell(tx("Last successful sync")),
                rx.table.column_header_cell(tx("Problem")),
                rx.table.column_header_cell(tx("Actions")),
            )
        ),
        rx.table.body(rx.foreach(S.rows, _row)),
        variant="surface",
        width="100%",
        style=STACKED_TABLE,
    )


def _pager() -> rx.Component:
    return rx.flex(
        rx.text(S.summary, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.button(
            tx("Previous page"),
            variant="soft",
            size="2",
            on_click=S.previous_page,
            disabled=S.page <= 1,
        ),
        rx.text(S.page_label, size="2"),
        rx.button(
            tx("Next page"),
            variant="soft",
            size="2",
            on_click=S.next_page,
            disabled=S.page >= S.pages,
        ),
        gap="3",
        align="center",
        wrap="wrap",
        width="100%",
    )


def admin_page() -> rx.Component:
    return page_shell(
        tx("Account & users"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.allowed,
                rx.vstack(
                    rx.heading(tx("Calendar sync"), size="4", as_="h2"),
                    rx.text(
                        tx(
                            "Synced calendars feed time suggestions (busy or free only, never "
                            "titles) and receive interviews automatically."
                        ),
                        color_scheme="gray",
                        size="2",
                    ),
                    _toolbar(),
                    _bulk_bar(),
                    rx.box(
                        rx.cond(
                            S.result != "",
                            rx.callout(
                                S.result,
                                color_scheme=rx.match(
                                    S.result_kind,
                                    ("error", "amber"),
                                    ("info", "blue"),
                                    "green",
                                ),
                                width="100%",
                                high_contrast=True,
                            ),
                        ),
                        role="status",
                        aria_live="polite",
                        width="100%",
                    ),
                    _select_all_matching(),
                    rx.cond(
                        S.rows.length() == 0,
                        empty_state(
                            tx("No staff users match"), tx("Change the filter or the search.")
                        ),
                        _table(),
                    ),
                    _pager(),
                    _confirm(),
                    spacing="3",
                    width="100%",
                ),
                rx.callout(
                    tx("Only admins of the account can see this page."),
                    color_scheme="amber",
                    role="alert",
                ),
            ),
            loading(),
        ),
    )
