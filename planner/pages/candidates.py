"""The candidate list."""

import reflex as rx

from planner import routes
from planner.components.layout import empty_state, loading, page_shell, table_caption
from planner.state.candidates import CandidatesState, CandidateView


def _row(candidate: CandidateView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(candidate.name, href=candidate.href)),
        rx.table.cell(candidate.email),
        rx.table.cell(candidate.phone, white_space="nowrap"),
        rx.table.cell(candidate.job),
        rx.table.cell(candidate.language),
        rx.table.cell(candidate.time_zone),
    )


def _table() -> rx.Component:
    return rx.table.root(
        table_caption("Candidates"),
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(label)
                    for label in ("Name", "E-mail", "Phone", "Job", "Language", "Time zone")
                ]
            )
        ),
        rx.table.body(rx.foreach(CandidatesState.rows, _row)),
        variant="surface",
        width="100%",
    )


def candidates_page() -> rx.Component:
    return page_shell(
        "Candidates",
        rx.cond(
            CandidatesState.loaded,
            rx.cond(
                CandidatesState.total == 0,
                empty_state(
                    "No candidates yet",
                    "Candidates arrive from your applicant tracking system.",
                ),
                rx.vstack(
                    rx.hstack(
                        rx.input(
                            placeholder="Search by name or e-mail",
                            value=CandidatesState.search,
                            on_change=CandidatesState.set_search.debounce(250),
                            aria_label="Search candidates",
                            width="100%",
                            max_width="360px",
                        ),
                        rx.spacer(),
                        rx.link(rx.button("Schedule interview"), href=routes.SCHEDULE),
                        width="100%",
                        wrap="wrap",
                    ),
                    rx.cond(
                        CandidatesState.rows.length() == 0,
                        empty_state(
                            "No candidates match your search",
                            "Try part of a name or an e-mail address.",
                        ),
                        rx.box(_table(), width="100%", overflow_x="auto"),
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            loading(),
        ),
    )
