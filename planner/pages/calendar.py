"""The interview calendar: booked interviews and offered slots awaiting a choice."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.layout import empty_state, loading, page_shell
from planner.components.previous_entry import previous_entry_dialog
from planner.state.calendar import CalendarState, DayView, EntryView, SlotView

S = CalendarState


def _entry(entry: EntryView) -> rx.Component:
    booked = entry.kind == "booked"
    return rx.el.button(
        rx.hstack(
            rx.text(entry.time, weight="medium", white_space="nowrap", min_width="110px"),
            rx.vstack(
                rx.text(entry.title, weight="medium"),
                rx.text(entry.who, size="1", color_scheme="gray"),
                spacing="0",
                align="start",
            ),
            rx.spacer(),
            rx.cond(
                entry.kind == "previous",
                rx.badge(tx("Previous calendar"), color_scheme="gray", variant="outline"),
                rx.badge(
                    rx.cond(booked, tx("Booked"), tx("Awaiting choice")),
                    color_scheme=rx.cond(booked, "green", "amber"),
                    variant=rx.cond(booked, "solid", "outline"),
                ),
            ),
            width="100%",
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        on_click=S.open_entry(entry.key),
        type="button",
        style={
            "width": "100%",
            "padding": "10px 12px",
            "text_align": "left",
            "cursor": "pointer",
            "border_radius": "var(--radius-3)",
            # Booked: a solid green card; awaiting a choice: a dashed amber outline.
            "background": rx.cond(booked, "var(--green-a3)", "var(--color-panel-solid)"),
            "border": rx.cond(
                booked,
                "1px solid var(--green-a7)",
                rx.cond(
                    entry.kind == "previous",
                    "1px dotted var(--gray-a9)",
                    "1px dashed var(--amber-9)",
                ),
            ),
        },
    )


def _day(day: DayView) -> rx.Component:
    return rx.vstack(
        rx.heading(day.label, size="3", as_="h2"),
        rx.foreach(day.agenda, _entry),
        spacing="2",
        width="100%",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.segmented_control.root(
            rx.segmented_control.item(tx("Day"), value="day"),
            rx.segmented_control.item(tx("Week"), value="week"),
            rx.segmented_control.item(tx("Month"), value="month"),
            value=S.mode,
            on_change=S.set_mode,
            aria_label=tx("Calendar range"),
        ),
        rx.button(tx("Previous"), on_click=S.move(-1), variant="soft", aria_label=tx("Previous")),
        rx.button(tx("Today"), on_click=S.today, variant="soft"),
        rx.button(tx("Next"), on_click=S.move(1), variant="soft", aria_label=tx("Next")),
        rx.text(S.range_label, weight="medium"),
        spacing="3",
        wrap="wrap",
        align="center",
    )


def _slot(slot: SlotView) -> rx.Component:
    return rx.hstack(
        rx.text(slot.label),
        rx.cond(slot.booked, rx.badge(tx("Booked"), color_scheme="green")),
        rx.spacer(),
        rx.button(
            tx("Remove"),
            on_click=S.remove_slot(slot.key),
            size="1",
            color_scheme="red",
            variant="soft",
            aria_label=tx("Remove") + " " + slot.label,
        ),
        width="100%",
        align="center",
    )


def _detail() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.detail_title),
            rx.vstack(
                rx.cond(
                    S.detail_when != "", rx.text(rx.text.strong(tx("When:"), " "), S.detail_when)
                ),
                rx.cond(
                    S.detail_place != "", rx.text(rx.text.strong(tx("Where:"), " "), S.detail_place)
                ),
                rx.text(rx.text.strong(tx("Who attends:"), " "), S.detail_people),
                rx.cond(
                    S.detail_candidates != "",
                    rx.text(rx.text.strong(tx("Candidate:"), " "), S.detail_candidates),
                ),
                rx.cond(
                    S.detail_kind == "offered",
                    rx.vstack(
                        rx.text(rx.text.strong(tx("Offered times"))),
                        rx.foreach(S.detail_slots, _slot),
                        spacing="2",
                        width="100%",
                    ),
                ),
                rx.cond(S.message != "", rx.callout(S.message, role="status", width="100%")),
                spacing="2",
                width="100%",
            ),
            rx.hstack(
                rx.dialog.close(rx.button(tx("Close"), variant="soft", on_click=S.close_detail)),
                justify="end",
                margin_top="16px",
            ),
        ),
        open=S.detail_open,
        on_open_change=lambda _open: S.close_detail(),
    )


def calendar_page() -> rx.Component:
    return page_shell(
        tx("Interviews"),
        _toolbar(),
        rx.cond(
            S.loaded,
            rx.cond(
                S.total == 0,
                empty_state(
                    tx("Nothing in this period"),
                    tx("Booked interviews and times awaiting a candidate's choice appear here."),
                ),
                rx.vstack(rx.foreach(S.days, _day), spacing="5", width="100%"),
            ),
            loading(),
        ),
        _detail(),
        previous_entry_dialog(),
    )
