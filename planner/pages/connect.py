"""The page a sync invitation links to: connect a calendar, see and disconnect connections."""

import reflex as rx

from planner.components.i18n import tx
from planner.state.connect import ConnectionRow, ConnectState, ProviderOption

S = ConnectState
_TOKEN = rx.State.router.page.params.to(dict)["token"].to(str)


def _notice() -> rx.Component:
    return rx.cond(
        S.notice != "",
        rx.callout(
            S.notice,
            color_scheme=rx.match(S.notice_kind, ("error", "red"), ("success", "green"), "blue"),
            role=rx.cond(S.notice_kind == "error", "alert", "status"),
            high_contrast=True,
            width="100%",
        ),
    )


def _oauth_option(option: ProviderOption) -> rx.Component:
    """A real link (full page load) when the provider is set up: the start route is served
    beside Reflex, not by it. Otherwise a disabled button with the reason under it."""
    return rx.cond(
        option.enabled,
        rx.button(
            rx.el.a(option.label, href="/oauth/" + option.key + "/start?token=" + _TOKEN),
            as_child=True,
            size="3",
            variant="soft",
            width="100%",
        ),
        rx.vstack(
            rx.button(
                option.label,
                disabled=True,
                size="3",
                variant="soft",
                width="100%",
                aria_describedby="reason-" + option.key,
            ),
            rx.text(option.reason, id="reason-" + option.key, size="2", color_scheme="gray"),
            spacing="1",
            width="100%",
        ),
    )


def _field(label: rx.Var | str, field_id: str, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_weight": "500"}),
        rx.input(id=field_id, name=field_id, width="100%", size="3", **props),
        spacing="1",
        width="100%",
    )


def _caldav_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(tx("CalDAV (iCloud, Fastmail, Nextcloud, …)"), size="4", as_="h2"),
            _field(
                tx("Server URL"),
                "server_url",
                value=S.server_url,
                on_change=S.set_server_url,
                type="url",
                placeholder="https://caldav.example.com/",
                auto_complete="url",
                max_length=500,
            ),
            _field(
                tx("Username"),
                "username",
                value=S.username,
                on_change=S.set_username,
                auto_complete="username",
                max_length=320,
            ),
            _field(
                tx("App password"),
                "password",
                value=S.password,
                on_change=S.set_password,
                type="password",
                auto_complete="off",
                max_length=1000,
            ),
            rx.button(
                rx.cond(S.busy, tx("Connecting…"), tx("Connect CalDAV calendar")),
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
                rx.hstack(
                    rx.cond(
                        row.pending,
                        rx.badge(
                            rx.spinner(size="1"),
                            tx("Syncing…"),
                            color_scheme="blue",
                            high_contrast=True,
                        ),
                        rx.badge(
                            row.status_label,
                            color_scheme=rx.cond(row.status == "synced", "green", "red"),
                            variant="soft",
                            high_contrast=True,
                        ),
                    ),
                    rx.text(
                        row.last_sync, size="1", color_scheme="gray", title=row.last_sync_exact
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(row.problem != "", rx.text(row.problem, size="2", color_scheme="red")),
                spacing="1",
                min_width="0",
            ),
            rx.button(
                tx("Disconnect"),
                on_click=S.ask_disconnect(row.key),
                variant="outline",
                color_scheme="red",
                aria_label=tx("Disconnect") + " " + row.provider,
            ),
            justify="between",
            align="center",
            gap="3",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def _confirm_disconnect() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(S.confirm_title),
            rx.alert_dialog.description(S.confirm_text),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(
                        tx("Keep it connected"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.cancel_disconnect,
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(tx("Disconnect"), color_scheme="red", on_click=S.disconnect)
                ),
                gap="3",
                justify="end",
                wrap="wrap",
                margin_top="16px",
            ),
        ),
        open=S.confirm_key >= 0,
    )


def _connections() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("Your connected calendars"), size="4", as_="h2"),
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(rx.foreach(S.rows, _connection), spacing="2", width="100%"),
            rx.text(tx("No calendar is connected yet."), color_scheme="gray"),
        ),
        _confirm_disconnect(),
        spacing="2",
        width="100%",
    )


def _valid() -> rx.Component:
    return rx.vstack(
        rx.text(S.intro),
        _notice(),
        _connections(),
        rx.vstack(
            rx.foreach(S.oauth_providers, _oauth_option),
            spacing="3",
            width="100%",
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
                    rx.heading(tx("Connect your calendar"), size="6", as_="h1"),
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
        style={"overflow_wrap": "anywhere"},
    )
