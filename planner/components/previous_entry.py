"""The dialog of an appointment of the previous calendar, opened from the interview calendar."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.live import live_region
from planner.state.previous_entry import PreviousEntryState

S = PreviousEntryState


def previous_entry_dialog() -> rx.Component:
    """Read-only details, marked "Previous calendar", with delete after a confirmation; the
    outcome is announced in a live region."""
    return rx.fragment(live_region(S.announcement), _dialog())


def _dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.title),
            rx.vstack(
                rx.badge(tx("Previous calendar"), color_scheme="gray", variant="outline"),
                rx.text(rx.text.strong(tx("When")), ": ", S.when),
                rx.cond(S.place != "", rx.text(rx.text.strong(tx("Where")), ": ", S.place)),
                rx.cond(S.people != "", rx.text(rx.text.strong(tx("Who")), ": ", S.people)),
                rx.cond(S.message != "", rx.callout(S.message, role="status", width="100%")),
                rx.cond(
                    S.confirming,
                    rx.callout(
                        tx("Delete this appointment from the previous calendar for good?"),
                        color_scheme="red",
                        role="alert",
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.hstack(
                rx.cond(
                    S.confirming,
                    rx.button(
                        tx("Delete for good"),
                        color_scheme="red",
                        high_contrast=True,
                        on_click=S.delete,
                    ),
                    rx.button(
                        tx("Delete"), color_scheme="red", variant="soft", on_click=S.ask_delete
                    ),
                ),
                rx.dialog.close(rx.button(tx("Close"), variant="soft", on_click=S.close)),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
        open=S.open,
        on_open_change=lambda _open: S.close(),
    )
