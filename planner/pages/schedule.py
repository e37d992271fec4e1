"""The invite wizard: who, when (from suggestions), where, and the invitation."""

import reflex as rx

from planner.components.layout import loading, page_shell
from planner.state.schedule import DURATIONS, Choice, ScheduleState, TimeOption

S = ScheduleState


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
        width="100%",
    )


def _check(choice: Choice, chosen, on_toggle) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=chosen.contains(choice.key),
                on_change=lambda _value: on_toggle(choice.key),
            ),
            rx.text(choice.label, weight="medium"),
            rx.cond(choice.note != "", rx.text(choice.note, size="1", color_scheme="gray")),
            align="center",
            spacing="2",
        ),
        style={"cursor": "pointer"},
    )


def _time(option: TimeOption) -> rx.Component:
    chosen = S.chosen_times.contains(option.key)
    return rx.button(
        rx.vstack(
            rx.text(option.label, weight="medium"),
            rx.text(option.note, size="1"),
            spacing="0",
            align="start",
        ),
        on_click=S.toggle_time(option.key),
        variant=rx.cond(chosen, "solid", "outline"),
        color_scheme=rx.cond(option.all_free, "green", "amber"),
        aria_pressed=rx.cond(chosen, "true", "false"),
        style={"height": "auto", "padding": "8px 12px", "text_align": "left"},
    )


def _who() -> rx.Component:
    return rx.grid(
        _section(
            "Candidates",
            rx.cond(
                S.people.length() == 0,
                rx.text("No candidates yet.", color_scheme="gray"),
                rx.vstack(
                    rx.foreach(
                        S.people, lambda c: _check(c, S.chosen_candidates, S.toggle_candidate)
                    ),
                    spacing="1",
                ),
            ),
        ),
        _section(
            "Interview",
            rx.el.label("Title", html_for="title", style={"font_weight": "500"}),
            rx.input(id="title", value=S.title, on_change=S.set_title, width="100%"),
            rx.el.label("Duration (minutes)", style={"font_weight": "500"}),
            rx.select(
                DURATIONS,
                value=S.duration,
                on_change=S.set_duration,
                aria_label="Duration (minutes)",
            ),  # fmt: skip
            rx.text("Participants (you organise and take part)", weight="medium"),
            rx.vstack(
                rx.foreach(S.staff_members, lambda u: _check(u, S.chosen_staff, S.toggle_staff)),
                spacing="1",
            ),
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


def _when() -> rx.Component:
    return _section(
        "Times to offer",
        rx.text(
            "Suggestions use synced calendars (busy or free only). Participants whose "
            "availability is unknown are named on each time.",
            size="2",
            color_scheme="gray",
        ),
        rx.button("Find times", on_click=S.find_times, variant="soft"),
        rx.cond(
            S.searched & (S.suggestions.length() == 0),
            rx.text(
                "No time fits in the next two weeks. Try fewer participants or a shorter "
                "interview.",
                color_scheme="gray",
            ),  # fmt: skip
        ),
        rx.flex(rx.foreach(S.suggestions, _time), wrap="wrap", gap="2"),
        rx.cond(
            S.chosen_times.length() > 0,
            rx.text(S.chosen_times.length(), " time(s) will be offered.", size="2"),
        ),
    )


def _where() -> rx.Component:
    return _section(
        "Where",
        rx.select.root(
            rx.select.trigger(aria_label="Meeting kind"),
            rx.select.content(
                rx.foreach(S.meeting_options, lambda o: rx.select.item(o[1], value=o[0]))
            ),
            value=S.meeting_kind,
            on_change=S.set_meeting_kind,
        ),
        rx.cond(
            S.meeting_kind == "none",
            rx.vstack(
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(placeholder="Choose a location", aria_label="Location"),
                        rx.select.content(
                            rx.foreach(
                                S.places,
                                lambda p: rx.select.item(p.label, value=p.key.to_string()),
                            )
                        ),
                        value=S.place,
                        on_change=S.set_place,
                    ),
                    rx.button(
                        "Remove location",
                        on_click=S.remove_place,
                        variant="ghost",
                        color_scheme="red",
                        disabled=S.place == "",
                    ),  # fmt: skip
                    align="center",
                ),
                rx.hstack(
                    rx.input(
                        placeholder="New location name",
                        value=S.new_place_name,
                        on_change=S.set_new_place_name,
                        aria_label="New location name",
                    ),
                    rx.input(
                        placeholder="Address",
                        value=S.new_place_address,
                        on_change=S.set_new_place_address,
                        aria_label="Address",
                    ),
                    rx.button("Add location", on_click=S.add_place, variant="soft"),
                    wrap="wrap",
                ),  # fmt: skip
                spacing="2",
            ),
            rx.text(
                "Online meetings need the organiser's connected calendar; the link is "
                "created when a candidate books.",
                size="2",
                color_scheme="gray",
            ),  # fmt: skip
        ),
    )


def _invitation() -> rx.Component:
    return _section(
        "Invitation",
        rx.el.label(
            "Personal message to the candidates (optional)",
            html_for="message",
            style={"font_weight": "500"},
        ),  # fmt: skip
        rx.text_area(
            id="message",
            value=S.invitation_text,
            on_change=S.set_invitation_text,
            rows="4",
            width="100%",
        ),  # fmt: skip
        rx.text(
            "Each candidate gets a mail in their own language with a personal link to choose "
            "one of the offered times in their time zone.",
            size="2",
            color_scheme="gray",
        ),
    )


def schedule_page() -> rx.Component:
    return page_shell(
        "Schedule interview",
        rx.cond(
            S.loaded,
            rx.vstack(
                _who(),
                _when(),
                _where(),
                _invitation(),
                rx.cond(
                    S.error != "",
                    rx.callout(S.error, color_scheme="red", role="alert", width="100%"),
                ),  # fmt: skip
                rx.cond(
                    S.done != "",
                    rx.callout(
                        rx.hstack(
                            rx.text(S.done),
                            rx.link("Open the calendar", on_click=S.go_calendar, href="#"),
                            spacing="2",
                        ),
                        color_scheme="green",
                        role="status",
                        width="100%",
                    ),
                ),
                rx.button(
                    "Send invitations", on_click=S.send, size="3", disabled=S.done != ""
                ),  # fmt: skip
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
    )
