"""The page a sync invitation links to: connect a calendar, see and disconnect connections."""

import reflex as rx

from planner.state.connect import ConnectionRow, ConnectState

S = ConnectState
_TOKEN = rx.State.router.page.params.to(dict)["token"].to(str)


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


def _oauth_button(provider: str, label: str) -> rx.Component:
    """A real link (full page load): the start route is served beside Reflex, not by it."""
    return rx.button(
        rx.el.a(label, href="/oauth/" + provider + "/start?token=" + _TOKEN),
        as_child=True,
        size="3",
        variant="soft",
        width="100%",
    )


def _field(label: str, field_id: str, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "500"}),
        rx.input(id=field_id, name=field_id, width="100%", size="3", **props),
        spacing="1",
        width="100%",
    )


def _caldav_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("CalDAV (iCloud, Fastmail, Nextcloud, …)", size="4", as_="h2"),
            _field(
                "Server URL",
                "server_url",
                value=S.server_url,
                on_change=S.set_server_url,
                type="url",
                placeholder="https://caldav.example.com/",
                auto_complete="url",
                max_length=500,
            ),
            _field(
                "Username",
                "username",
                value=S.username,
                on_change=S.set_username,
                auto_complete="username",
                max_length=320,
            ),
            _field(
                "App password",
                "password",
                value=S.password,
                on_change=S.set_password,
                type="password",
                auto_complete="off",
                max_length=1000,
            ),
            rx.button(
                rx.cond(S.busy, "Connecting…", "Connect CalDAV calendar"),
                type="submit",
                loading=S.busy,
                size="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.connect_caldav,
        reset_on_submit=False,
        width="100%",
    )


def _connection(row: ConnectionRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(row.provider, weight="bold"),
                rx.text(row.account, size="2", color_scheme="gray"),
                rx.badge(row.status, color_scheme="green", variant="soft"),
                spacing="1",
                min_width="0",
            ),
            rx.button(
                "Disconnect",
                on_click=S.disconnect(row.key),
                variant="outline",
                color_scheme="red",
                aria_label="Disconnect " + row.provider,
            ),
            justify="between",
            align="center",
            gap="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def _connections() -> rx.Component:
    return rx.vstack(
        rx.heading("Your connected calendars", size="4", as_="h2"),
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(rx.foreach(S.rows, _connection), spacing="2", width="100%"),
            rx.text("No calendar is connected yet.", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )


def _valid() -> rx.Component:
    return rx.vstack(
        rx.text(
            "This invitation is for ",
            rx.text.strong(S.name),
            " (",
            S.account_name,
            "). Connect a calendar so that your busy times are respected and interviews are "
            "added to it. Planner shows colleagues only when you are busy, never what.",
        ),
        _notice(),
        _connections(),
        rx.cond(
            S.google_enabled | S.microsoft_enabled,
            rx.vstack(
                rx.cond(S.google_enabled, _oauth_button("google", "Connect Google Calendar")),
                rx.cond(S.microsoft_enabled, _oauth_button("microsoft", "Connect Microsoft 365")),
                spacing="2",
                width="100%",
            ),
        ),
        rx.card(_caldav_form(), width="100%"),
        spacing="5",
        width="100%",
    )


def connect_page() -> rx.Component:
    return rx.box(
        rx.el.main(
            rx.cond(
                S.loaded,
                rx.vstack(
                    rx.heading("Connect your calendar", size="6", as_="h1"),
                    rx.cond(S.valid, _valid(), _notice()),
                    spacing="4",
                    width="100%",
                ),
                rx.spinner(),
            ),
            style={"max_width": "560px", "margin": "0 auto", "padding": "24px 16px"},
        ),
        min_height="100vh",
        background="var(--gray-2)",
    )
