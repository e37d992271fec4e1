"""The invite wizard, step by step: candidates and job, interview, times (suggestions, the
participants' availability and a calendar to add times by hand), place, invitation with a
preview in each candidate's language, review and send."""

import reflex as rx

from planner.components.calendar import AVAILABILITY_STYLES, full_calendar
from planner.components.i18n import tx
from planner.components.layout import loading, page_shell
from planner.state.schedule import (
    BUFFERS,
    DURATIONS,
    MAX_SUBJECT,
    MAX_TEXT,
    MAX_TITLE,
    RANGES,
    Choice,
    GridRow,
    GridSegment,
    MeetingOption,
    OfferedTime,
    Preview,
    ScheduleState,
    SuggestionDay,
    TimeOption,
)
from planner.state.session import SessionState

S = ScheduleState
STEP_NAMES = (
    tx("Candidates and job"),
    tx("Interview"),
    tx("Times"),
    tx("Place"),
    tx("Invitation"),
    tx("Review and send"),
)


def _error(field: str) -> rx.Component:
    return rx.cond(
        S.errors.contains(field),
        rx.text(
            S.errors[field], id=f"{field}-error", color_scheme="red", size="2", weight="medium"
        ),
    )


def _label(text: rx.Var | str, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, style={"font_weight": "500"})


def _counter(value: rx.Var, limit: int, counter_id: str) -> rx.Component:
    return rx.text(
        value.length().to_string(),
        f" / {limit}",
        id=counter_id,
        size="1",
        color_scheme=rx.cond(value.length() > limit, "red", "gray"),
        aria_live="polite",
    )


def _step_indicator() -> rx.Component:
    return rx.el.nav(
        rx.el.ol(
            *[
                rx.el.li(
                    rx.button(
                        f"{n + 1}. ",
                        name,
                        on_click=S.go_to_step(n),
                        variant=rx.cond(S.step == n, "solid", "soft"),
                        color_scheme=rx.cond(S.step >= n, "indigo", "gray"),
                        disabled=S.step < n,
                        aria_current=rx.cond(S.step == n, "step", "false"),
                        size="1",
                    ),
                    style={"list_style": "none"},
                )
                for n, name in enumerate(STEP_NAMES)
            ],
            style={
                "display": "flex",
                "flex_wrap": "wrap",
                "gap": "6px",
                "padding": "0",
                "margin": "0",
            },
        ),
        aria_label=tx("Wizard steps"),
    )


def _step(n: int, *children: rx.Component) -> rx.Component:
    return rx.cond(
        S.step == n,
        rx.card(
            rx.vstack(
                rx.heading(STEP_NAMES[n], size="4", as_="h2", id=f"step-{n}-heading", tab_index=-1),
                *children,
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def _check(choice: Choice, checked: rx.Var, on_toggle) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=checked,
                on_change=lambda _value: on_toggle(choice.key),
                aria_label=choice.label,
            ),
            rx.text(choice.label, weight="medium"),
            rx.cond(choice.note != "", rx.text(choice.note, size="1", color_scheme="gray")),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        style={"cursor": "pointer"},
    )


# --- step 1 -------------------------------------------------------------------------------


def _candidates_step() -> rx.Component:
    return _step(
        0,
        rx.flex(
            rx.vstack(
                _label(tx("Job"), "job-filter"),
                rx.select.root(
                    rx.select.trigger(id="job-filter", aria_label=tx("Job")),
                    rx.select.content(
                        rx.select.item(tx("All jobs"), value="all"),
                        rx.foreach(
                            S.jobs, lambda j: rx.select.item(j.label, value=j.key.to_string())
                        ),
                    ),
                    value=S.job,
                    on_change=S.set_job,
                ),
                spacing="1",
            ),
            rx.vstack(
                _label(tx("Search candidates"), "candidate-search"),
                rx.input(
                    id="candidate-search",
                    value=S.search,
                    on_change=S.set_search.debounce(250),
                    width="100%",
                ),
                spacing="1",
                flex="1",
                min_width="200px",
            ),
            gap="3",
            wrap="wrap",
            width="100%",
        ),
        rx.text(tx("Chosen candidates"), ": ", S.chosen_names.join(", "), size="2"),
        rx.el.fieldset(
            rx.el.legend(tx("Candidates"), style={"font_weight": "500"}),
            rx.cond(
                S.people.length() == 0,
                rx.text(tx("No candidates match."), color_scheme="gray"),
                rx.vstack(
                    rx.foreach(
                        S.people,
                        lambda c: rx.hstack(
                            _check(c, S.chosen_candidates.contains(c.key), S.toggle_candidate),
                            # The candidate's page in a new tab: the wizard keeps its place.
                            rx.link(
                                tx("Profile"),
                                href=c.href,
                                is_external=True,
                                size="1",
                                aria_label=tx("Profile") + ": " + c.label,
                            ),
                            align="center",
                            spacing="3",
                            wrap="wrap",
                        ),
                    ),
                    spacing="1",
                ),
            ),
            style={"border": "none", "padding": "0", "margin": "0"},
        ),
        _error("candidates"),
    )


# --- step 2 -------------------------------------------------------------------------------


def _interview_step() -> rx.Component:
    return _step(
        1,
        _label(tx("Title"), "title"),
        rx.input(
            id="title",
            value=S.title,
            on_change=S.set_title,
            width="100%",
            aria_describedby="title-counter title-error",
        ),
        _counter(S.title, MAX_TITLE, "title-counter"),
        _error("title"),
        rx.flex(
            rx.vstack(
                _label(tx("Duration (minutes)"), "duration"),
                rx.select.root(
                    rx.select.trigger(id="duration", aria_label=tx("Duration (minutes)")),
                    rx.select.content(*[rx.select.item(d, value=d) for d in DURATIONS]),
                    value=S.duration,
                    on_change=S.set_duration,
                ),
                spacing="1",
            ),
            rx.vstack(
                _label(tx("Buffer before and after (minutes)"), "buffer"),
                rx.select.root(
                    rx.select.trigger(
                        id="buffer", aria_label=tx("Buffer before and after (minutes)")
                    ),
                    rx.select.content(*[rx.select.item(b, value=b) for b in BUFFERS]),
                    value=S.buffer,
                    on_change=S.set_buffer,
                ),
                spacing="1",
            ),
            gap="4",
            wrap="wrap",
        ),
        rx.el.label(
            rx.hstack(
                rx.checkbox(
                    checked=S.group_session,
                    on_change=S.set_group_session,
                    aria_label=tx("Group session: several candidates at the same time"),
                ),
                rx.text(tx("Group session: several candidates at the same time")),
                spacing="2",
                align="center",
            ),
        ),
        rx.cond(
            S.group_session,
            rx.vstack(
                _label(tx("Candidates per time"), "capacity"),
                rx.input(
                    id="capacity",
                    type="number",
                    min="2",
                    max="50",
                    value=S.capacity,
                    on_change=S.set_capacity,
                    width="120px",
                ),
                _error("capacity"),
                spacing="1",
            ),
        ),
        rx.el.fieldset(
            rx.el.legend(
                tx("Participants (you organise and take part)"), style={"font_weight": "500"}
            ),
            rx.vstack(
                rx.foreach(
                    S.staff_members,
                    lambda u: _check(u, S.chosen_staff.contains(u.key), S.toggle_staff),
                ),
                spacing="1",
            ),
            style={"border": "none", "padding": "0", "margin": "0"},
        ),
    )


# --- step 3 -------------------------------------------------------------------------------


def _time_button(option: TimeOption) -> rx.Component:
    return rx.button(
        rx.vstack(
            rx.text(option.label, weight="medium"),
            rx.text(option.note, size="1"),
            rx.cond(option.local != "", rx.text(option.local, size="1")),
            rx.cond(
                option.unsociable != "",
                rx.text("⚠ ", option.unsociable, size="1", weight="bold"),
            ),
            spacing="0",
            align="start",
        ),
        on_click=S.toggle_suggestion(option.key),
        variant=rx.cond(option.chosen, "solid", "outline"),
        color_scheme=rx.cond(option.all_free, "green", "amber"),
        aria_pressed=rx.cond(option.chosen, "true", "false"),
        custom_attrs={"data-start": option.start, "data-end": option.end},
        style={"height": "auto", "padding": "8px 12px", "text_align": "left"},
    )


def _day(day: SuggestionDay) -> rx.Component:
    return rx.vstack(
        rx.heading(day.heading, size="3", as_="h4"),
        rx.flex(rx.foreach(day.times, _time_button), wrap="wrap", gap="2"),
        spacing="1",
        width="100%",
    )


def _segment(segment: GridSegment) -> rx.Component:
    return rx.box(
        title=segment.label,
        class_name="planner-segment-" + segment.state,
        style={
            "position": "absolute",
            "top": "0",
            "bottom": "0",
            "left": segment.left,
            "width": segment.width,
        },
    )


def _grid_row(row: GridRow) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.text(row.name, size="2", weight="medium"),
            rx.cond(row.note != "", rx.badge(row.note, color_scheme="gray")),
            spacing="2",
        ),
        rx.box(
            rx.foreach(row.segments, _segment),
            rx.el.ul(
                rx.foreach(row.segments, lambda s: rx.el.li(s.label)),
                class_name="planner-visually-hidden",
            ),
            style={
                "position": "relative",
                "height": "18px",
                "border_radius": "3px",
                "overflow": "hidden",
            },
            class_name="planner-segment-free",
        ),
        style={"list_style": "none", "margin_bottom": "6px"},
    )


def _legend() -> rx.Component:
    items = [
        ("free", tx("Free")),
        ("busy", tx("Busy")),
        ("tentative", tx("Tentative")),
        ("unknown", tx("Unknown")),
        ("outside_working_hours", tx("Outside working hours")),
        ("held", tx("Offered in another interview")),
        ("booked", tx("Booked in Planner")),
    ]
    return rx.flex(
        *[
            rx.hstack(
                rx.box(
                    class_name=f"planner-segment-{state}",
                    width="14px",
                    height="14px",
                    border_radius="3px",
                ),
                rx.text(label, size="1"),
                spacing="1",
                align="center",
            )
            for state, label in items
        ],
        gap="3",
        wrap="wrap",
    )


def _participant_rows() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(tx("Availability per participant"), size="3", as_="h3"),
            rx.spacer(),
            rx.button(
                "‹", on_click=S.day_before, variant="soft", size="1", aria_label=tx("Previous day")
            ),
            rx.text(S.grid_heading, size="2", weight="medium"),
            rx.button(
                "›", on_click=S.day_after, variant="soft", size="1", aria_label=tx("Next day")
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.text(
            tx(
                "07:00-21:00 in your time zone; busy or free only, never what the time is used for."
            ),
            size="1",
            color_scheme="gray",
        ),
        rx.el.ul(
            rx.foreach(S.grid_rows, _grid_row),
            style={"padding": "0", "margin": "0", "width": "100%"},
            id="participant-rows",
        ),
        _legend(),
        spacing="2",
        width="100%",
    )


def _offered(offered: OfferedTime) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.text(offered.label, weight="medium", size="2"),
                rx.cond(offered.note != "", rx.text(offered.note, size="1", color_scheme="amber")),
                spacing="0",
            ),
            rx.spacer(),
            rx.button(
                tx("Remove"),
                rx.el.span(" ", offered.label, class_name="planner-visually-hidden"),
                on_click=S.remove_offered(offered.key),
                variant="ghost",
                color_scheme="red",
                size="1",
            ),
            width="100%",
            align="center",
        ),
        style={"list_style": "none"},
    )


def _collision_warning() -> rx.Component:
    return rx.cond(
        S.pending_warning != "",
        rx.callout.root(
            rx.callout.text(
                rx.text(S.pending_label, weight="bold"),
                rx.text(S.pending_warning),
            ),
            rx.hstack(
                rx.button(
                    tx("Offer this time anyway"), on_click=S.confirm_pending, color_scheme="amber"
                ),
                rx.button(
                    tx("Cancel"), on_click=S.cancel_pending, variant="soft", color_scheme="gray"
                ),
                spacing="2",
            ),
            color_scheme="amber",
            role="alert",
            id="collision-warning",
            tab_index=-1,
            width="100%",
        ),
    )


def _times_step() -> rx.Component:
    return _step(
        2,
        rx.flex(
            rx.vstack(
                _label(tx("From"), "from-date"),
                rx.input(
                    id="from-date",
                    type="date",
                    value=S.from_date,
                    on_change=S.set_from_date.debounce(300),
                ),
                spacing="1",
            ),
            rx.vstack(
                _label(tx("Days to search"), "range-days"),
                rx.select.root(
                    rx.select.trigger(id="range-days", aria_label=tx("Days to search")),
                    rx.select.content(*[rx.select.item(r, value=r) for r in RANGES]),
                    value=S.range_days,
                    on_change=S.set_range_days,
                ),
                spacing="1",
            ),
            gap="4",
            wrap="wrap",
        ),
        rx.text(
            tx("Times are shown in your time zone"),
            ": ",
            SessionState.zone,
            ". ",
            tx("Suggestions follow the form and skip times offered in other open interviews."),
            size="2",
            color_scheme="gray",
        ),
        rx.el.details(
            rx.el.summary(tx("Participants (you organise and take part)")),
            rx.vstack(
                rx.foreach(
                    S.staff_members,
                    lambda u: _check(u, S.chosen_staff.contains(u.key), S.toggle_staff),
                ),
                spacing="1",
                padding_top="6px",
            ),
            id="times-participants",
        ),
        rx.heading(tx("Suggested times"), size="3", as_="h3"),
        rx.box(
            rx.cond(
                S.suggestions_ready & (S.days.length() == 0),
                rx.text(
                    tx("No time fits. Try fewer participants, a shorter interview or more days."),
                    color_scheme="gray",
                ),
            ),
            rx.vstack(rx.foreach(S.days, _day), spacing="3", width="100%"),
            id="suggestions",
            custom_attrs={"data-for": S.computed_for},
            width="100%",
        ),
        _participant_rows(),
        rx.heading(tx("Calendar"), size="3", as_="h3"),
        rx.text(
            tx("Click or drag on the calendar to add a time; click a suggestion to offer it."),
            size="2",
            color_scheme="gray",
        ),
        rx.box(
            full_calendar(
                events=S.events,
                time_zone=S.calendar_zone,
                locale=SessionState.locale,
                initial_date=S.calendar_date,
                selectable=True,
                on_range_select=S.calendar_range_selected,
                on_event_click=S.calendar_event_clicked,
                on_dates_set=S.calendar_shown,
            ),
            width="100%",
            class_name="planner-calendar",
        ),
        rx.el.fieldset(
            rx.el.legend(tx("Add a time by hand"), style={"font_weight": "500"}),
            rx.flex(
                rx.vstack(
                    _label(tx("Date"), "custom-date"),
                    rx.input(
                        id="custom-date",
                        type="date",
                        value=S.custom_date,
                        on_change=S.set_custom_date,
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    _label(tx("Start time"), "custom-time"),
                    rx.input(
                        id="custom-time",
                        type="time",
                        step="900",
                        value=S.custom_time,
                        on_change=S.set_custom_time,
                    ),
                    spacing="1",
                ),
                rx.button(tx("Add time"), on_click=S.propose_typed_time, variant="soft"),
                gap="3",
                align="end",
                wrap="wrap",
            ),
            style={"border": "none", "padding": "0", "margin": "0"},
        ),
        _error("custom"),
        _collision_warning(),
        rx.heading(tx("Times to offer"), size="3", as_="h3"),
        rx.cond(
            S.offered.length() == 0,
            rx.text(tx("No time chosen yet."), color_scheme="gray", size="2"),
            rx.el.ul(
                rx.foreach(S.offered, _offered),
                style={"padding": "0", "margin": "0", "width": "100%"},
                id="offered-times",
            ),
        ),
        _error("times"),
    )


# --- step 4 -------------------------------------------------------------------------------


def _meeting_option(option: MeetingOption) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.el.input(
                type="radio",
                name="meeting-kind",
                value=option.kind,
                checked=S.meeting_kind == option.kind,
                disabled=~option.enabled,
                on_change=S.set_meeting_kind(option.kind),
            ),
            rx.text(
                option.label,
                color_scheme=rx.cond(option.enabled, "gray", "gray"),
                high_contrast=option.enabled,
            ),
            rx.cond(
                ~option.enabled, rx.text("(", option.reason, ")", size="1", color_scheme="gray")
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        style={"cursor": rx.cond(option.enabled, "pointer", "not-allowed")},
    )


def _place_step() -> rx.Component:
    return _step(
        3,
        rx.el.fieldset(
            rx.el.legend(tx("Meeting kind"), style={"font_weight": "500"}),
            rx.vstack(rx.foreach(S.meeting_options, _meeting_option), spacing="1"),
            style={"border": "none", "padding": "0", "margin": "0"},
        ),
        rx.cond(
            S.meeting_kind == "none",
            rx.vstack(
                _label(tx("Location"), "location"),
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(
                            id="location",
                            placeholder=tx("Choose a location"),
                            aria_label=tx("Location"),
                        ),
                        rx.select.content(
                            rx.foreach(
                                S.places, lambda p: rx.select.item(p.label, value=p.key.to_string())
                            )
                        ),
                        value=S.place,
                        on_change=S.set_place,
                    ),
                    rx.button(
                        tx("Archive location"),
                        on_click=S.ask_archive_place,
                        variant="soft",
                        color_scheme="red",
                        disabled=S.place == "",
                    ),
                    align="center",
                    wrap="wrap",
                ),
                _error("place"),
                rx.cond(
                    S.archive_question != "",
                    rx.callout.root(
                        rx.callout.text(S.archive_question),
                        rx.hstack(
                            rx.button(tx("Archive"), on_click=S.archive_place, color_scheme="red"),
                            rx.button(
                                tx("Keep it"),
                                on_click=S.cancel_archive,
                                variant="soft",
                                color_scheme="gray",
                            ),
                            spacing="2",
                        ),
                        color_scheme="red",
                        role="alertdialog",
                        aria_label=tx("Archive location"),
                        width="100%",
                    ),
                ),
                rx.el.fieldset(
                    rx.el.legend(tx("New location"), style={"font_weight": "500"}),
                    rx.flex(
                        rx.vstack(
                            _label(tx("Name"), "new-place-name"),
                            rx.input(
                                id="new-place-name",
                                value=S.new_place_name,
                                on_change=S.set_new_place_name,
                            ),
                            spacing="1",
                        ),
                        rx.vstack(
                            _label(tx("Address"), "new-place-address"),
                            rx.input(
                                id="new-place-address",
                                value=S.new_place_address,
                                on_change=S.set_new_place_address,
                            ),
                            spacing="1",
                        ),
                        rx.button(tx("Add location"), on_click=S.add_place, variant="soft"),
                        gap="3",
                        align="end",
                        wrap="wrap",
                    ),
                    _error("new_place"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                spacing="2",
                width="100%",
            ),
            rx.text(
                tx("The meeting link is created when a candidate books."),
                size="2",
                color_scheme="gray",
            ),
        ),
    )


# --- step 5 -------------------------------------------------------------------------------


def _preview(preview: Preview) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(preview.language, size="3", as_="h3"),
            rx.text(tx("Subject"), ": ", preview.subject, weight="medium", size="2"),
            rx.el.pre(
                preview.body,
                style={
                    "white_space": "pre-wrap",
                    "font_family": "inherit",
                    "font_size": "13px",
                    "margin": "0",
                },
            ),
            spacing="2",
        ),
        width="100%",
    )


def _invitation_step() -> rx.Component:
    return _step(
        4,
        _label(tx("Subject (empty: the standard subject in each candidate's language)"), "subject"),
        rx.input(
            id="subject",
            value=S.invitation_subject,
            on_change=S.set_invitation_subject.debounce(200),
            width="100%",
            aria_describedby="subject-counter",
        ),
        _counter(S.invitation_subject, MAX_SUBJECT, "subject-counter"),
        _error("subject"),
        _label(tx("Personal message to the candidates (optional)"), "message"),
        rx.text_area(
            id="message",
            value=S.invitation_text,
            on_change=S.set_invitation_text.debounce(200),
            rows="5",
            width="100%",
            aria_describedby="message-counter",
        ),
        _counter(S.invitation_text, MAX_TEXT, "message-counter"),
        _error("text"),
        rx.heading(tx("Preview"), size="3", as_="h3"),
        rx.grid(
            rx.foreach(S.previews, _preview),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
    )


# --- step 6 -------------------------------------------------------------------------------


def _review_step() -> rx.Component:
    return _step(
        5,
        rx.el.dl(
            rx.foreach(
                S.review,
                lambda item: rx.fragment(
                    rx.el.dt(item[0], style={"font_weight": "600"}),
                    rx.el.dd(item[1], style={"margin": "0 0 8px 0"}),
                ),
            ),
            style={"margin": "0"},
        ),
        _error("send"),
        rx.cond(
            S.done == "",
            rx.button(tx("Send invitations"), on_click=S.send, size="3", loading=S.sending),
        ),
    )


def _sent() -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.heading(tx("Invitations sent"), size="4", as_="h2", id="sent-heading", tab_index=-1),
            rx.text(S.done),
            rx.hstack(
                rx.link(tx("Open the calendar"), on_click=S.go_calendar, href="#"),
                rx.link(tx("Schedule another interview"), href="/schedule", on_click=S.load),
                spacing="4",
            ),
            spacing="2",
        ),
        color_scheme="green",
        width="100%",
    )


def _navigation() -> rx.Component:
    return rx.hstack(
        rx.button(tx("Back"), on_click=S.previous_step, variant="soft", disabled=S.step == 0),
        rx.spacer(),
        rx.cond(S.step < 5, rx.button(tx("Next"), on_click=S.next_step)),
        width="100%",
    )


def schedule_page() -> rx.Component:
    return page_shell(
        tx("Schedule interview"),
        rx.el.style(AVAILABILITY_STYLES),
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.cond(
                    S.done != "",
                    _sent(),
                    rx.vstack(
                        _step_indicator(),
                        _candidates_step(),
                        _interview_step(),
                        _times_step(),
                        _place_step(),
                        _invitation_step(),
                        _review_step(),
                        _navigation(),
                        spacing="4",
                        width="100%",
                    ),
                ),
                rx.box(
                    S.announcement,
                    role="status",
                    aria_live="polite",
                    class_name="planner-visually-hidden",
                ),
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
    )
