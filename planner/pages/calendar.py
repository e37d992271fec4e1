"""The interview overview."""

import reflex as rx

from planner.components.layout import empty_state, loading, page_shell, table_caption
from planner.state.calendar import CalendarState, InterviewView


def _row(row: InterviewView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.title),
        rx.table.cell(
            rx.badge(
                row.status_label,
                color_scheme=rx.cond(row.status == "open", "amber", "gray"),
            )
        ),
        rx.table.cell(row.duration),
        rx.table.cell(row.organiser),
    )


def calendar_page() -> rx.Component:
    return page_shell(
        "Interviews",
        rx.cond(
            CalendarState.loaded,
            rx.cond(
                CalendarState.rows.length() == 0,
                empty_state(
                    "No interviews yet",
                    "Booked interviews and those awaiting a candidate's choice will be listed "
                    "here.",
                ),
                rx.box(
                    rx.table.root(
                        table_caption("Interviews"),
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(label)
                                    for label in ("Interview", "Status", "Duration", "Organiser")
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(CalendarState.rows, _row)),
                        variant="surface",
                        width="100%",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
            ),
            loading(),
        ),
    )
