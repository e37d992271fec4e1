"""The candidate list: filter by job, search, select some and schedule an interview."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.layout import empty_state, loading, page_shell, table_caption
from planner.state.candidates import CandidatesState, CandidateView

S = CandidatesState


def _row(candidate: CandidateView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=S.selected.contains(candidate.key),
                on_change=lambda _value: S.toggle(candidate.key),
                aria_label=candidate.name,
            )
        ),
        rx.table.row_header_cell(rx.link(candidate.name, href=candidate.href)),
        rx.table.cell(candidate.email),
        rx.table.cell(candidate.phone, white_space="nowrap"),
        rx.table.cell(candidate.job),
        rx.table.cell(candidate.language),
        rx.table.cell(candidate.time_zone),
    )


def _table() -> rx.Component:
    return rx.table.root(
        table_caption(tx("Candidates")),
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(
                    rx.checkbox(
                        checked=(S.rows.length() > 0) & (S.selected.length() == S.rows.length()),
                        on_change=S.toggle_all,
                        aria_label=tx("Select all shown candidates"),
                    )
                ),
                rx.table.column_header_cell(tx("Name")),
                rx.table.column_header_cell(tx("E-mail")),
                rx.table.column_header_cell(tx("Phone")),
                rx.table.column_header_cell(tx("Job")),
                rx.table.column_header_cell(tx("Language")),
                rx.table.column_header_cell(tx("Time zone")),
            )
        ),
        rx.table.body(rx.foreach(S.rows, _row)),
        variant="surface",
        width="100%",
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(aria_label=tx("Job")),
            rx.select.content(
                rx.select.item(tx("All jobs"), value="all"),
                rx.foreach(S.jobs, lambda j: rx.select.item(j.title, value=j.key)),
            ),
            value=S.job,
            on_change=S.set_job,
        ),
        rx.input(
            placeholder=tx("Search by name or e-mail"),
            value=S.search,
            on_change=S.set_search.debounce(250),
            aria_label=tx("Search candidates"),
            width="100%",
            max_width="360px",
        ),
        rx.spacer(),
        rx.text(S.selected_count_text, size="2", aria_live="polite"),
        rx.link(rx.button(tx("Schedule interview")), href=S.schedule_href),
        width="100%",
        wrap="wrap",
        gap="3",
        align="center",
    )


def candidates_page() -> rx.Component:
    return page_shell(
        tx("Candidates"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.total == 0,
                empty_state(
                    tx("No candidates yet"),
                    tx("Candidates arrive from your applicant tracking system."),
                ),
                rx.vstack(
                    _filters(),
                    rx.cond(
                        S.rows.length() == 0,
                        empty_state(
                            tx("No candidates match your search"),
                            tx("Try part of a name or an e-mail address."),
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
