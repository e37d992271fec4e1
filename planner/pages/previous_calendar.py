"""The previous, manual calendar: appointments typed in by hand, Planner's interviews marked."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.layout import empty_state, loading, page_shell
from planner.components.live import live_region
from planner.state.previous_calendar import (
    NO_CANDIDATE,
    CandidateOption,
    ManualDayView,
    ManualEntryView,
    PreviousCalendarState,
)

S = PreviousCalendarState


def _entry(entry: ManualEntryView) -> rx.Component:
    return rx.hstack(
        rx.text(entry.time, weight="medium", white_space="nowrap", min_width="110px"),
        rx.vstack(
            rx.text(entry.title, weight="medium"),
            rx.cond(entry.who != "", rx.text(entry.who, size="1", color_scheme="gray")),
            rx.cond(entry.place != "", rx.text(entry.place, size="1", color_scheme="gray")),
            spacing="0",
            align="start",
            min_width="0",
        ),
        rx.spacer(),
        rx.cond(
            entry.editable,
            rx.hstack(
                rx.button(
                    tx("Edit"),
                    on_click=S.open_edit(entry.key),
                    size="1",
                    variant="soft",
                    aria_label=tx("Edit") + " " + entry.title,
                ),
                rx.button(
                    tx("Delete"),
                    on_click=S.ask_delete(entry.key),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label=tx("Delete") + " " + entry.title,
                ),
                spacing="2",
            ),
            rx.badge(
                tx("Planner interview"),
                color_scheme=rx.cond(entry.kind == "booked", "green", "amber"),
                variant="outline",
            ),
        ),
        width="100%",
        align="center",
        spacing="3",
        wrap="wrap",
        style={
            "padding": "10px 12px",
            "border_radius": "var(--radius-3)",
            "background": "var(--color-panel-solid)",
            "border": rx.cond(
                entry.editable, "1px solid var(--gray-a6)", "1px dashed var(--gray-a8)"
            ),
        },
    )


def _day(day: ManualDayView) -> rx.Component:
    return rx.vstack(
        rx.heading(day.label, size="3", as_="h2"),
        rx.foreach(day.lines, _entry),
        spacing="2",
        width="100%",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.button(tx("Previous week"), on_click=S.move(-1), variant="soft"),
        rx.button(tx("Today"), on_click=S.today, variant="soft"),
        rx.button(tx("Next week"), on_click=S.move(1), variant="soft"),
        rx.text(S.range_label, weight="medium"),
        rx.spacer(),
        rx.button(tx("New appointment"), on_click=S.open_new),
        spacing="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


def _field(label: rx.Var, name: str, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.el.label(
        rx.text(label, size="2", weight="medium"),
        rx.input(name=name, **props),
        style={"display": "flex", "flex_direction": "column", "gap": "4px", "width": "100%"},
    )


def _option(option: CandidateOption) -> rx.Component:
    return rx.el.option(option.label, value=option.value)


def _form() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.form_editing, tx("Edit appointment"), tx("New appointment"))),
            rx.form(
                rx.vstack(
                    _field(tx("Title"), "title", default_value=S.form_title, required=True),
                    _field(tx("Date"), "date", type="date", default_value=S.form_date),
                    rx.hstack(
                        _field(tx("Starts"), "start", type="time", default_value=S.form_start),
                        _field(tx("Ends"), "end", type="time", default_value=S.form_end),
                        spacing="3",
                        width="100%",
                    ),
                    _field(tx("Place"), "location", default_value=S.form_location),
                    rx.el.label(
                        rx.text(tx("Candidate"), size="2", weight="medium"),
                        rx.el.select(
                            rx.el.option(tx("No candidate"), value=NO_CANDIDATE),
                            rx.foreach(S.candidate_options, _option),
                            value=S.form_candidate,
                            on_change=S.set_form_candidate,
                            style={"padding": "6px", "border_radius": "var(--radius-2)"},
                        ),
                        style={"display": "flex", "flex_direction": "column", "gap": "4px"},
                    ),
                    rx.cond(
                        S.form_error != "",
                        rx.callout(S.form_error, color_scheme="red", role="alert", width="100%"),
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(
                                tx("Cancel"),
                                type="button",
                                variant="soft",
                                color_scheme="gray",
                                on_click=S.close_form,
                            )
                        ),
                        rx.button(tx("Save appointment"), type="submit"),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save,
                reset_on_submit=False,
            ),
        ),
        open=S.form_open,
        on_open_change=lambda _open: S.close_form(),
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tx("Delete appointment")),
            rx.alert_dialog.description(S.confirm_text),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        tx("Keep it"), variant="soft", color_scheme="gray", on_click=S.close_confirm
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        tx("Delete appointment"),
                        color_scheme="red",
                        high_contrast=True,
                        on_click=S.delete,
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
        ),
        open=S.confirm_open,
        on_open_change=S.confirm_changed,
    )


def previous_calendar_page() -> rx.Component:
    return page_shell(
        tx("Previous calendar"),
        live_region(S.status_message),
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.callout(
                    rx.cond(
                        S.switched_on,
                        tx(
                            "Your account uses the previous calendar: type appointments in by "
                            "hand. Planner's interviews show here too, marked."
                        ),
                        tx(
                            "Your account uses Planner's calendar; appointments here also show "
                            "there."
                        ),
                    ),
                    width="100%",
                ),
                _toolbar(),
                rx.cond(
                    S.total == 0,
                    empty_state(tx("Nothing this week"), tx("Add an appointment by hand.")),
                    rx.vstack(rx.foreach(S.days, _day), spacing="5", width="100%"),
                ),
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
        _form(),
        _confirm(),
    )
