"""The import page: the previous calendar's .ics export into Planner, and the account switch."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.layout import loading, page_shell, table_caption
from planner.components.live import live_region
from planner.state.imports import ImportState, PreviewRowView

S = ImportState
UPLOAD_ID = "ics_upload"
STATUS_COLOURS = {"new": "green", "changed": "blue", "unchanged": "gray"}


def _upload() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("Import the previous calendar"), size="4", as_="h2"),
        rx.text(
            tx(
                "Export the previous calendar as an .ics file (Outlook, Google Calendar and "
                "Apple Calendar can) and choose it here. You see what will be imported before "
                "anything is."
            ),
            color_scheme="gray",
            size="2",
        ),
        # The label holds the dropzone and its file input, which it names; the dropzone
        # opens the file chooser from the keyboard (Enter or Space), the label on a click.
        rx.el.label(
            rx.upload.root(
                rx.vstack(
                    rx.text(tx("Choose .ics file"), weight="medium", color="var(--accent-11)"),
                    rx.text(
                        rx.foreach(rx.selected_files(UPLOAD_ID), lambda name: rx.text.span(name)),
                        size="2",
                    ),
                    align="start",
                    spacing="2",
                ),
                id=UPLOAD_ID,
                max_files=1,
                multiple=False,
                no_click=True,
                accept={"text/calendar": [".ics"], "application/octet-stream": [".ics"]},
                border="1px dashed var(--gray-a7)",
                padding="16px",
                border_radius="var(--radius-3)",
                width="100%",
                cursor="pointer",
            ),
            style={"display": "block", "width": "100%"},
        ),
        rx.button(
            tx("Preview import"),
            on_click=S.preview(rx.upload_files(upload_id=UPLOAD_ID)),
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, color_scheme="red", role="alert", width="100%"),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


CELL = {"padding": "8px 10px", "border_bottom": "1px solid var(--gray-a5)", "text_align": "left"}


def _row(row: PreviewRowView) -> rx.Component:
    return rx.el.tr(
        rx.el.th(row.title, scope="row", style=CELL),
        rx.el.td(row.when, style=CELL),
        rx.el.td(
            rx.match(
                row.status,
                *[
                    (status, rx.badge(row.status_label, color_scheme=colour, high_contrast=True))
                    for status, colour in STATUS_COLOURS.items()
                ],
                rx.badge(row.status_label, high_contrast=True),
            ),
            style=CELL,
        ),
        rx.el.td(row.staff, style=CELL),
        rx.el.td(row.candidates, style=CELL),
        rx.el.td(row.unmatched, style=CELL),
    )


def _preview() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("Preview"), size="4", as_="h2"),
        rx.text(S.filename, weight="medium"),
        rx.text(S.summary),
        rx.cond(
            S.unmatched.length() > 0,
            rx.callout(
                rx.vstack(
                    rx.text(
                        tx(
                            "These people match no staff user or candidate by e-mail; they "
                            "are kept by name only:"
                        )
                    ),
                    rx.el.ul(rx.foreach(S.unmatched, lambda name: rx.el.li(name))),
                    spacing="1",
                ),
                color_scheme="amber",
                high_contrast=True,
                width="100%",
            ),
        ),
        # A plain table in a region that scrolls sideways on a phone (and takes the focus,
        # so that the keyboard can scroll it too).
        rx.box(
            rx.el.table(
                table_caption(tx("Appointments to import")),
                rx.el.thead(
                    rx.el.tr(
                        *[
                            rx.el.th(label, scope="col", style=CELL)
                            for label in (
                                tx("Title"),
                                tx("When"),
                                tx("Status"),
                                tx("Staff"),
                                tx("Candidates"),
                                tx("Not matched"),
                            )
                        ]
                    )
                ),
                rx.el.tbody(rx.foreach(S.rows, _row)),
                style={"border_collapse": "collapse", "width": "100%", "font_size": "14px"},
            ),
            role="region",
            aria_label=tx("Appointments to import"),
            tab_index=0,
            width="100%",
            overflow_x="auto",
        ),
        rx.cond(S.more_rows != "", rx.text(S.more_rows, size="2", color_scheme="gray")),
        rx.hstack(
            rx.button(tx("Import these appointments"), on_click=S.start),
            rx.button(
                tx("Choose another file"),
                on_click=S.cancel_preview,
                variant="soft",
                color_scheme="gray",
            ),
            spacing="3",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _progress() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("Importing"), size="4", as_="h2"),
        rx.progress(value=S.percent, max=100, aria_label=tx("Import progress"), width="100%"),
        rx.text(S.progress_label),
        spacing="3",
        width="100%",
    )


def _finished() -> rx.Component:
    return rx.vstack(
        rx.callout(
            S.result,
            color_scheme=rx.cond(S.stage == "done", "green", "red"),
            width="100%",
        ),
        rx.hstack(
            rx.link(tx("Open the calendar"), href="/calendar"),
            rx.button(tx("Import another file"), on_click=S.cancel_preview, variant="soft"),
            spacing="4",
            align="center",
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _switch() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tx("Use the previous calendar"), size="4", as_="h2"),
            rx.text(
                tx(
                    "During the trial, everyone in the account can go back to the previous, "
                    "manual calendar: appointments are typed in by hand, without calendar sync "
                    "or candidates booking themselves. Planner's own interviews still show "
                    "there, marked, and switching back loses nothing."
                ),
                size="2",
            ),
            rx.hstack(
                rx.switch(
                    checked=S.uses_previous,
                    on_change=S.ask_switch,
                    id="use-previous-calendar",
                ),
                rx.el.label(tx("Use the previous calendar"), html_for="use-previous-calendar"),
                spacing="2",
                align="center",
            ),
            rx.cond(
                S.uses_previous,
                rx.link(tx("Open the previous calendar"), href="/previous-calendar"),
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def _switch_question() -> rx.Component:
    """The account switch asks first and names its effect on everyone in the account."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(
                rx.cond(
                    S.switch_to_previous,
                    tx("Switch everyone to the previous calendar?"),
                    tx("Switch everyone back to Planner's calendar?"),
                )
            ),
            rx.alert_dialog.description(
                rx.cond(
                    S.switch_to_previous,
                    tx(
                        "Everyone in the account will see the previous, manual calendar as "
                        "their calendar. Planner's interviews stay there, marked; nothing is "
                        "deleted."
                    ),
                    tx(
                        "Everyone in the account will see Planner's calendar again; the "
                        "appointments typed into the previous calendar stay there, marked."
                    ),
                )
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        tx("Keep as it is"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.keep_switch(False),
                    )
                ),
                rx.alert_dialog.action(rx.button(tx("Switch"), on_click=S.confirm_switch)),
                spacing="3",
                justify="end",
                margin_top="16px",
                wrap="wrap",
            ),
        ),
        open=S.switch_question,
        on_open_change=S.keep_switch,
    )


def import_page() -> rx.Component:
    return page_shell(
        tx("Previous calendar"),
        live_region(S.status_message),
        rx.cond(
            S.loaded,
            rx.cond(
                S.allowed,
                rx.vstack(
                    rx.match(
                        S.stage,
                        ("preview", _preview()),
                        ("running", _progress()),
                        ("done", _finished()),
                        ("failed", _finished()),
                        _upload(),
                    ),
                    rx.cond(S.is_admin, _switch()),
                    _switch_question(),
                    spacing="6",
                    width="100%",
                ),
                rx.callout(
                    tx("Only admins and recruiters can import a calendar."),
                    color_scheme="amber",
                    high_contrast=True,
                    role="alert",
                ),
            ),
            loading(),
        ),
    )
