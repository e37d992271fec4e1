"""The interview calendar: a day, week or month grid (FullCalendar) or an agenda list of booked
interviews and offered times awaiting a choice; the interview dialog with the staff actions."""

import reflex as rx

from planner.components.calendar import (
    AVAILABILITY_STYLES,
    OVERVIEW_STYLES,
    calendar_legend,
    full_calendar,
)
from planner.components.i18n import tx
from planner.components.layout import empty_state, loading, page_shell
from planner.components.live import live_region
from planner.components.previous_entry import previous_entry_dialog
from planner.state.calendar import CalendarState, DayView, EntryView
from planner.state.calendar_actions import (
    CalendarDetailState,
    CandidateView,
    CommentLine,
    ParticipantView,
    PendingTime,
    PlaceOption,
    SlotView,
)
from planner.state.session import SessionState

S = CalendarState
D = CalendarDetailState
STATUS_COLOURS = {
    "booked": "green",
    "invited": "amber",
    "no_fit": "orange",
    "cancelled": "red",
    "expired": "gray",
    "withdrawn": "gray",
}
SYNC_COLOURS = {"synced": "green", "error": "red", "not_connected": "gray"}


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
                    high_contrast=True,
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
    return rx.flex(
        rx.segmented_control.root(
            rx.segmented_control.item(tx("Calendar"), value="calendar"),
            rx.segmented_control.item(tx("List"), value="list"),
            value=S.view,
            on_change=S.set_view,
            aria_label=tx("Show as"),
        ),
        rx.segmented_control.root(
            rx.segmented_control.item(tx("Day"), value="day"),
            rx.segmented_control.item(tx("Week"), value="week"),
            rx.segmented_control.item(tx("Month"), value="month"),
            value=S.mode,
            on_change=S.set_mode,
            aria_label=tx("Calendar range"),
        ),
        rx.hstack(
            rx.button(tx("Previous"), on_click=S.move(-1), variant="soft"),
            rx.button(tx("Today"), on_click=S.today, variant="soft"),
            rx.button(tx("Next"), on_click=S.move(1), variant="soft"),
            spacing="2",
        ),
        rx.hstack(
            rx.el.label(
                tx("Show"),
                id="calendar-show-label",
                html_for="calendar-show",
                style={"font_size": "14px", "font_weight": "500"},
            ),
            rx.select.root(
                # Named by its label and its value (axe: the name contains the visible text).
                rx.select.trigger(
                    id="calendar-show", aria_labelledby="calendar-show-label calendar-show"
                ),
                rx.select.content(
                    rx.select.item(tx("All interviews"), value="all"),
                    rx.select.item(tx("My interviews"), value="mine"),
                    rx.foreach(S.jobs, lambda j: rx.select.item(j.title, value=j.key)),
                ),
                value=S.show,
                on_change=S.set_show,
            ),
            spacing="2",
            align="center",
        ),
        gap="12px",
        wrap="wrap",
        align="center",
        width="100%",
    )


def _summary() -> rx.Component:
    return rx.flex(
        rx.text(S.range_label, weight="bold", size="4", id="calendar-range"),
        rx.text(S.zone_label, size="2", color_scheme="gray"),
        calendar_legend(
            ("booked", tx("Booked")),
            ("offered", tx("Offered, awaiting a choice")),
            ("previous", tx("Previous calendar")),
        ),
        direction="column",
        spacing="2",
        width="100%",
    )


def _grid() -> rx.Component:
    return rx.box(
        full_calendar(
            key=S.grid_key,
            events=S.events,
            time_zone=S.grid_zone,
            locale=SessionState.locale,
            initial_view=S.grid_view,
            initial_date=S.anchor,
            header_toolbar=False,
            day_max_events=3,
            event_max_stack=3,
            # Day names with their date ("Mon 28"): narrow columns keep them on one line.
            views={"timeGrid": {"dayHeaderFormat": "ccc d"}},  # luxon: "Mon 8"
            on_event_click=S.grid_clicked,
            on_date_click=S.grid_date_clicked,
        ),
        width="100%",
        class_name="planner-calendar",
        id="calendar-grid",
    )


def _list() -> rx.Component:
    return rx.cond(
        S.total == 0,
        empty_state(
            tx("Nothing in this period"),
            tx("Booked interviews and times awaiting a candidate's choice appear here."),
        ),
        rx.vstack(rx.foreach(S.days, _day), spacing="5", width="100%", id="calendar-list"),
    )


# ---------------------------------------------------------------------- the interview dialog


def _section(title: rx.Var, *children: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", as_="h2"),
        *children,
        spacing="2",
        width="100%",
        align="start",
    )


def _participant(p: ParticipantView) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.text(p.name, weight="medium"),
            rx.cond(
                p.organiser, rx.badge(tx("Organiser"), color_scheme="blue", high_contrast=True)
            ),
            rx.match(
                p.sync_state,
                *[
                    (state, rx.badge(p.sync_label, color_scheme=colour, high_contrast=True))
                    for state, colour in SYNC_COLOURS.items()
                ],
                rx.badge(p.sync_label, high_contrast=True),
            ),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.text(p.event_label, size="1", color_scheme="gray"),
    )


def _comment(comment: CommentLine) -> rx.Component:
    return rx.el.blockquote(
        rx.text(comment.label, size="1", color_scheme="gray"),
        rx.text(comment.body, white_space="pre-wrap", size="2"),
        style={
            "margin": "4px 0 0",
            "padding_left": "10px",
            "border_left": "3px solid var(--gray-a6)",
        },
    )


def _candidate(c: CandidateView) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.link(c.name, href=c.href, weight="medium"),
            rx.match(
                c.status,
                *[
                    (status, rx.badge(c.status_label, color_scheme=colour, high_contrast=True))
                    for status, colour in STATUS_COLOURS.items()
                ],
                rx.badge(c.status_label, high_contrast=True),
            ),
            rx.spacer(),
            rx.cond(
                c.can_resend,
                rx.button(
                    tx("Send a new link"),
                    size="1",
                    variant="soft",
                    on_click=D.ask_resend(c.key),
                    disabled=D.working,
                    aria_label=tx("Send a new link") + ": " + c.name,
                ),
            ),
            spacing="2",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        rx.cond(c.detail != "", rx.text(c.detail, size="1", color_scheme="gray")),
        rx.foreach(c.comments, _comment),
        style={"padding": "6px 0", "border_bottom": "1px solid var(--gray-a4)"},
    )


def _slot(slot: SlotView) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.text(slot.label, size="2"),
            rx.cond(
                slot.booked,
                rx.badge(
                    tx("Booked") + ": " + slot.names, color_scheme="green", high_contrast=True
                ),
            ),
            rx.spacer(),
            rx.cond(
                D.can_manage,
                rx.button(
                    tx("Remove"),
                    on_click=D.ask_remove_slot(slot.key),
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    disabled=D.working,
                    aria_label=tx("Remove") + " " + slot.label,
                ),
            ),
            spacing="2",
            wrap="wrap",
            align="center",
            width="100%",
        ),
    )


def _pending_time(item: PendingTime) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.text(item.label, size="2"),
            rx.button(
                tx("Remove"),
                size="1",
                variant="ghost",
                on_click=D.drop_pending_time(item.key),
                aria_label=tx("Remove") + " " + item.label,
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        )
    )


def _label(text: rx.Var, for_id: str) -> rx.Component:
    return rx.el.label(text, html_for=for_id, style={"font_size": "14px", "font_weight": "500"})


def _add_times() -> rx.Component:
    return _section(
        tx("Add times"),
        rx.flex(
            rx.vstack(
                _label(tx("Date"), "add-date"),
                rx.input(id="add-date", type="date", value=D.add_date, on_change=D.set_add_date),
                spacing="1",
            ),
            rx.vstack(
                _label(tx("Start time"), "add-time"),
                rx.input(
                    id="add-time",
                    type="time",
                    step="900",
                    value=D.add_time,
                    on_change=D.set_add_time,
                ),
                spacing="1",
            ),
            rx.button(tx("Add time"), on_click=D.add_pending_time, variant="soft"),
            rx.button(tx("Pick on the calendar"), on_click=D.start_picking, variant="outline"),
            spacing="3",
            align="end",
            wrap="wrap",
        ),
        rx.cond(
            D.pending_times.length() > 0,
            rx.vstack(
                rx.el.ul(rx.foreach(D.pending_times, _pending_time), style=_LIST),
                rx.button(tx("Offer the times"), on_click=D.ask_add_times, disabled=D.working),
                spacing="2",
                align="start",
            ),
        ),
    )


def _place_option(option: PlaceOption) -> rx.Component:
    # An item as tall as its text: a name and address that wrap on a phone would overlap
    # the next item at Radix's fixed item height.
    return rx.select.item(
        option.label,
        value=option.value,
        style={"height": "auto", "min_height": "var(--space-6)", "padding_block": "4px"},
    )


def _edit() -> rx.Component:
    return _section(
        tx("Title and place"),
        rx.flex(
            rx.vstack(
                _label(tx("Title"), "edit-title"),
                rx.input(
                    id="edit-title",
                    value=D.edit_title,
                    on_change=D.set_edit_title,
                    max_length=200,
                    width="100%",
                ),
                spacing="1",
                width="100%",
                max_width="320px",
            ),
            rx.vstack(
                rx.text(tx("Place"), size="2", weight="medium", id="edit-place-label"),
                rx.select.root(
                    # A long place name is cut short (with an ellipsis) rather than widen
                    # the dialog past a phone's screen (the dialog is as wide as its widest
                    # unbreakable line; a percentage would not bound that): the screen less
                    # the dialog's margins and padding.
                    rx.select.trigger(
                        id="edit-place",
                        aria_labelledby="edit-place-label edit-place",
                        max_width="calc(100vw - 96px)",
                    ),
                    rx.select.content(
                        rx.foreach(D.place_options, _place_option),
                        max_width="calc(100vw - 32px)",
                    ),
                    value=D.edit_place,
                    on_change=D.set_edit_place,
                ),
                spacing="1",
            ),
            rx.button(tx("Save the changes"), on_click=D.ask_update, disabled=D.working),
            spacing="3",
            align="end",
            wrap="wrap",
            width="100%",
        ),
    )


_LIST = {"list_style": "none", "margin": "0", "padding": "0", "width": "100%"}


def _fact(label: rx.Var, value: rx.Component | rx.Var) -> rx.Component:
    return rx.text(rx.text.strong(label), " ", value, size="2")


def _detail() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(D.title, custom_attrs={"tabIndex": -1, "data-interview-title": ""}),
            rx.dialog.description(D.status_label, size="2", color_scheme="gray"),
            live_region(D.message),
            rx.vstack(
                rx.cond(
                    D.message != "",
                    rx.callout(
                        D.message,
                        width="100%",
                        color_scheme=rx.match(
                            D.message_kind, ("error", "red"), ("success", "green"), "blue"
                        ),
                        high_contrast=True,
                    ),
                ),
                rx.cond(D.when != "", _fact(tx("When:"), D.when)),
                _fact(tx("Where:"), D.place),
                rx.cond(
                    D.meeting_url != "",
                    _fact(
                        tx("Meeting link:"),
                        rx.link(D.meeting_url, href=D.meeting_url, is_external=True),
                    ),
                ),
                # The organiser hosts through the meeting's own link (Teams, Meet, Zoom and
                # Jitsi have no separate host link Planner keeps): said once, not a second
                # copy of the same link.
                rx.cond(
                    (D.host_url != "") & (D.host_url == D.meeting_url),
                    rx.text(
                        tx(
                            "You host this meeting: join with this link, signed in to your account."
                        ),
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                rx.cond(
                    (D.host_url != "") & (D.host_url != D.meeting_url),
                    _fact(
                        tx("Host link (only for you):"),
                        rx.link(D.host_url, href=D.host_url, is_external=True),
                    ),
                ),
                rx.cond(D.job != "", _fact(tx("Job:"), D.job)),
                _section(
                    tx("Participants"),
                    rx.el.ul(rx.foreach(D.participants, _participant), style=_LIST),
                ),
                _section(
                    tx("Candidates"),
                    rx.el.ul(rx.foreach(D.candidates, _candidate), style=_LIST),
                ),
                _section(
                    tx("Offered times"),
                    rx.cond(
                        D.slots.length() == 0,
                        rx.text(tx("No time is offered."), size="2"),
                        rx.el.ul(rx.foreach(D.slots, _slot), style=_LIST),
                    ),
                ),
                rx.cond(D.can_manage, _add_times()),
                rx.cond(D.can_manage, _edit()),
                spacing="4",
                width="100%",
                margin_top="12px",
            ),
            rx.flex(
                rx.cond(
                    D.can_manage,
                    rx.button(
                        tx("Cancel the interview"),
                        color_scheme="red",
                        variant="soft",
                        on_click=D.ask_cancel,
                        disabled=D.working,
                    ),
                ),
                rx.spacer(),
                rx.dialog.close(rx.button(tx("Close"), variant="soft", color_scheme="gray")),
                spacing="3",
                wrap="wrap",
                margin_top="20px",
                width="100%",
            ),
            max_width="720px",
        ),
        open=D.detail_open,
        on_open_change=D.detail_changed,
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(D.confirm_title),
            rx.alert_dialog.description(D.confirm_text),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(
                        tx("Go back"),
                        variant="soft",
                        color_scheme="gray",
                        high_contrast=True,
                        disabled=D.working,
                        id="confirm-go-back",
                    )
                ),
                rx.button(
                    D.confirm_label,
                    color_scheme="red",
                    high_contrast=True,
                    on_click=D.confirm,
                    loading=D.working,
                    disabled=D.working,
                ),
                spacing="3",
                justify="end",
                wrap="wrap",
                margin_top="16px",
            ),
        ),
        open=D.confirm_open,
        on_open_change=D.confirm_changed,
    )


def _picking() -> rx.Component:
    return rx.vstack(
        rx.callout.root(
            rx.callout.text(D.picking_text),
            rx.cond(D.picked != "", rx.callout.text(D.picked, weight="medium")),
            width="100%",
            color_scheme="blue",
            high_contrast=True,
        ),
        rx.button(tx("Back to the interview"), on_click=D.stop_picking),
        live_region(D.picked),
        spacing="2",
        width="100%",
        id="picking",
    )


def calendar_page() -> rx.Component:
    return page_shell(
        tx("Interviews"),
        _toolbar(),
        _summary(),
        rx.cond(D.picking, _picking()),
        rx.cond(
            S.loaded,
            rx.cond(S.view == "calendar", _grid(), _list()),
            loading(),
        ),
        _detail(),
        _confirm(),
        previous_entry_dialog(),
        rx.el.style(AVAILABILITY_STYLES + OVERVIEW_STYLES),
    )
