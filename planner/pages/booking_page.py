"""The candidate's booking page (mobile first, no sign-in)."""

import reflex as rx

from planner.state.booking_page import BookingPageState, DayChoices, TimeChoice

S = BookingPageState


def _notice() -> rx.Component:
    return rx.cond(
        S.notice != "",
        rx.callout(
            S.notice,
            color_scheme=rx.match(S.notice_kind, ("error", "red"), ("success", "green"), "blue"),
            role=rx.cond(S.notice_kind == "error", "alert", "status"),
            width="100%",
        ),
    )


def _facts() -> rx.Component:
    return rx.vstack(
        rx.heading(S.title, size="6", as_="h1"),
        rx.text(S.duration, color_scheme="gray"),
        rx.cond(S.place != "", rx.text(S.place, color_scheme="gray")),
        rx.cond(S.meeting != "", rx.text(S.meeting, color_scheme="gray")),
        spacing="1",
        width="100%",
    )


def _time_button(choice: TimeChoice) -> rx.Component:
    chosen = S.selected == choice.slot_id
    return rx.button(
        choice.label,
        on_click=S.select(choice.slot_id),
        variant=rx.cond(chosen, "solid", "outline"),
        aria_pressed=rx.cond(chosen, "true", "false"),
        size="3",
        min_width="140px",
        flex="1 1 140px",
    )


def _day(day: DayChoices) -> rx.Component:
    return rx.vstack(
        rx.heading(day.day, size="3", as_="h2"),
        rx.flex(rx.foreach(day.times, _time_button), wrap="wrap", gap="2", width="100%"),
        spacing="2",
        width="100%",
    )


def _choose() -> rx.Component:
    return rx.vstack(
        rx.heading(S.texts["choose_title"], size="4", as_="h2"),
        rx.text(S.zone_note, size="2", color_scheme="gray"),
        rx.foreach(S.days, _day),
        rx.cond(
            S.days.length() > 0,
            rx.button(
                S.texts["book"],
                on_click=S.book_selected,
                disabled=S.selected < 0,
                size="4",
                width="100%",
            ),
        ),
        rx.button(
            S.texts["none_fit"],
            on_click=S.show("no_fit_form"),
            variant="ghost",
            size="3",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _booked() -> rx.Component:
    return rx.vstack(
        rx.heading(S.texts["confirmed_title"], size="5", as_="h2"),
        rx.card(
            rx.vstack(
                rx.text(S.texts["when"], weight="bold", size="2"),
                rx.text(S.booked_when),
                rx.cond(
                    S.place != "",
                    rx.fragment(
                        rx.text(S.texts["where"], weight="bold", size="2"),
                        rx.text(S.place),
                    ),
                ),
                spacing="1",
            ),
            width="100%",
        ),
        rx.vstack(
            rx.link(
                rx.button(S.texts["add_ics"], variant="soft", width="100%"),
                href=S.ics_url,
                width="100%",
            ),  # fmt: skip
            rx.cond(
                S.google_url != "",
                rx.link(
                    rx.button(S.texts["add_google"], variant="soft", width="100%"),
                    href=S.google_url,
                    is_external=True,
                    width="100%",
                ),  # fmt: skip
            ),
            rx.cond(
                S.outlook_url != "",
                rx.link(
                    rx.button(S.texts["add_outlook"], variant="soft", width="100%"),
                    href=S.outlook_url,
                    is_external=True,
                    width="100%",
                ),  # fmt: skip
            ),
            spacing="2",
            width="100%",
        ),
        rx.button(
            S.texts["cancel_booking"],
            on_click=S.show("cancel_form"),
            variant="outline",
            color_scheme="red",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _comment_form() -> rx.Component:
    cancelling = S.view == "cancel_form"
    return rx.vstack(
        rx.text(rx.cond(cancelling, S.texts["cancel_intro"], S.texts["no_fit_intro"])),
        rx.el.label(S.texts["comment_label"], html_for="comment", style={"font_weight": "500"}),
        rx.text_area(
            id="comment",
            value=S.comment,
            on_change=S.set_comment,
            rows="5",
            width="100%",
        ),
        rx.cond(S.comment_error != "", rx.text(S.comment_error, color_scheme="red", role="alert")),
        rx.button(
            rx.cond(cancelling, S.texts["confirm_cancel"], S.texts["send"]),
            on_click=S.send_comment,
            color_scheme=rx.cond(cancelling, "red", "indigo"),
            size="3",
            width="100%",
        ),
        rx.button(
            S.texts["back"],
            on_click=S.show(rx.cond(cancelling, "booked", "choose")),
            variant="ghost",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def booking_page() -> rx.Component:
    return rx.box(
        rx.el.main(
            rx.cond(
                S.loaded,
                rx.vstack(
                    rx.cond(S.view != "invalid", _facts()),
                    _notice(),
                    rx.match(
                        S.view,
                        ("choose", _choose()),
                        ("booked", _booked()),
                        ("no_fit_form", _comment_form()),
                        ("cancel_form", _comment_form()),
                        rx.fragment(),
                    ),
                    spacing="5",
                    width="100%",
                ),
                rx.spinner(),
            ),
            lang=S.lang,
            style={"max_width": "560px", "margin": "0 auto", "padding": "24px 16px"},
        ),
        min_height="100vh",
        background="var(--gray-2)",
    )
