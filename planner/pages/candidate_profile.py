"""A candidate's page: contact, interviews and comments, previous-calendar appointments, and
for admins "Export data" and "Erase candidate"."""

import reflex as rx

from planner import routes
from planner.components.i18n import tx
from planner.components.layout import empty_state, loading, page_shell
from planner.components.live import live_region
from planner.state.candidate_profile import (
    AppointmentView,
    CandidateProfileState,
    CommentView,
    InterviewView,
)

S = CandidateProfileState
STATUS_COLOURS = {
    "booked": "green",
    "invited": "amber",
    "no_fit": "orange",
    "cancelled": "red",
    "expired": "gray",
    "withdrawn": "gray",
}


def _fact(label: rx.Var, value: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.el.dt(label, style={"font_weight": "600", "font_size": "14px"}),
        rx.el.dd(value, style={"margin": "0", "overflow_wrap": "anywhere"}),
    )


def _contact() -> rx.Component:
    return rx.card(
        rx.el.dl(
            _fact(tx("E-mail"), rx.cond(S.email != "", S.email, "—")),
            _fact(tx("Phone"), S.phone),
            _fact(tx("Language"), S.language),
            _fact(tx("Time zone"), S.time_zone),
            _fact(tx("Job"), S.job),
            style={
                "display": "grid",
                "grid_template_columns": "repeat(auto-fit, minmax(160px, 1fr))",
                "gap": "12px",
                "margin": "0",
            },
        ),
        width="100%",
    )


def _comment(comment: CommentView) -> rx.Component:
    return rx.el.blockquote(
        rx.text(comment.label, size="1", color_scheme="gray"),
        rx.text(comment.body, white_space="pre-wrap"),
        style={
            "margin": "0",
            "padding_left": "12px",
            "border_left": "3px solid var(--gray-a6)",
        },
    )


def _interview(item: InterviewView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(item.title, size="3", as_="h3"),
                rx.match(
                    item.status,
                    *[
                        (status, rx.badge(item.status_label, color_scheme=colour))
                        for status, colour in STATUS_COLOURS.items()
                    ],
                    rx.badge(item.status_label),
                ),
                justify="between",
                width="100%",
                wrap="wrap",
            ),
            rx.foreach(item.times, lambda line: rx.text(line, size="2")),
            rx.foreach(item.comments, _comment),
            rx.cond(
                item.calendar_href != "",
                rx.link(tx("Show in the calendar"), href=item.calendar_href, size="2"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _appointment(item: AppointmentView) -> rx.Component:
    return rx.el.li(
        rx.text(rx.text.strong(item.title), " · ", item.when),
        rx.cond(item.place != "", rx.text(item.place, size="1", color_scheme="gray")),
    )


def _admin_actions() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tx("Personal data"), size="4", as_="h2"),
            rx.text(
                tx(
                    "Export everything Planner holds about this candidate as a JSON file, or "
                    "erase it (GDPR articles 15 and 17)."
                ),
                size="2",
            ),
            rx.hstack(
                rx.button(tx("Export data"), on_click=S.export, variant="soft"),
                rx.cond(
                    ~S.erased,
                    rx.button(
                        tx("Erase candidate"),
                        on_click=S.ask_erase,
                        color_scheme="red",
                        high_contrast=True,
                    ),
                ),
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(tx("Erase candidate")),
            rx.alert_dialog.description(S.confirm_text),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        tx("Keep the candidate"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.close_confirm,
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        tx("Erase for good"),
                        color_scheme="red",
                        high_contrast=True,
                        on_click=S.erase,
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
                wrap="wrap",
            ),
        ),
        open=S.confirm_open,
        on_open_change=S.confirm_changed,
    )


def candidate_profile_page() -> rx.Component:
    return page_shell(
        rx.cond(S.found, S.name, tx("Candidate")),
        live_region(S.status_message),
        rx.link(tx("All candidates"), href=routes.CANDIDATES),
        rx.cond(
            S.loaded,
            rx.cond(
                S.found,
                rx.vstack(
                    rx.cond(
                        S.status_message != "",
                        rx.callout(S.status_message, width="100%"),
                    ),
                    rx.cond(
                        S.erased,
                        rx.callout(
                            tx("This candidate's personal data has been erased."),
                            color_scheme="gray",
                            width="100%",
                        ),
                    ),
                    _contact(),
                    rx.heading(tx("Interviews"), size="4", as_="h2"),
                    rx.cond(
                        S.interviews.length() == 0,
                        empty_state(
                            tx("No interviews yet"),
                            tx("Interviews the candidate is invited to appear here."),
                        ),
                        rx.vstack(rx.foreach(S.interviews, _interview), spacing="3", width="100%"),
                    ),
                    rx.heading(tx("Previous calendar"), size="4", as_="h2"),
                    rx.cond(
                        S.appointments.length() == 0,
                        rx.text(tx("No appointments of the previous calendar name them.")),
                        rx.el.ul(rx.foreach(S.appointments, _appointment)),
                    ),
                    rx.cond(S.is_admin, _admin_actions()),
                    spacing="4",
                    width="100%",
                ),
                rx.callout(
                    tx("No such candidate in your account."),
                    color_scheme="amber",
                    high_contrast=True,
                ),
            ),
            loading(),
        ),
        _confirm(),
    )
