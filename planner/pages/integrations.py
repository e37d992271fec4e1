"""The Integrations admin page: API keys, webhook URLs, their recent deliveries and the
mails that could not be delivered."""

import reflex as rx

from planner.components.i18n import tx
from planner.components.layout import (
    STACKED_TABLE,
    empty_state,
    loading,
    page_shell,
    stacked_cell,
    table_caption,
)
from planner.state.integrations import (
    ApiKeyView,
    DeliveryView,
    EndpointView,
    IntegrationsState,
    UndeliveredMailView,
)

ROUTE = "/admin/integrations"
S = IntegrationsState


def _table(caption: rx.Var, headers: tuple[rx.Var | str, ...], body: rx.Component) -> rx.Component:
    return rx.table.root(
        table_caption(caption),
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(body),
        variant="surface",
        width="100%",
        style=STACKED_TABLE,
    )


def _shown_once() -> rx.Component:
    return rx.cond(
        S.shown_once_value != "",
        rx.callout(
            rx.vstack(
                rx.text(S.shown_once_label, " — ", tx("copy it now; it will not be shown again.")),
                rx.code(S.shown_once_value, size="3", style={"word_break": "break-all"}),
                spacing="2",
            ),
            color_scheme="green",
            role="status",
        ),
    )


def _key_row(key: ApiKeyView, index: rx.Var[int]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(key.name),
        stacked_cell(tx("Key"), rx.code(key.prefix)),
        stacked_cell(tx("Created by"), key.created_by),
        stacked_cell(tx("Created"), key.created_at),
        stacked_cell(tx("Last used"), key.last_used_at),
        rx.table.cell(
            rx.cond(
                key.revoked,
                rx.badge(tx("Revoked"), color_scheme="gray"),
                rx.button(
                    tx("Revoke"),
                    color_scheme="red",
                    variant="soft",
                    size="1",
                    on_click=S.revoke_key(index),
                    aria_label=tx("Revoke") + " " + key.name,
                ),
            )
        ),
    )


def _keys() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("API keys"), size="4", as_="h2"),
        rx.text(
            tx("A key acts as the admin who created it. Only a hash is stored."),
            color_scheme="gray",
            size="2",
        ),
        rx.hstack(
            rx.input(
                placeholder=tx("Name, e.g. ATS production"),
                value=S.new_key_name,
                on_change=S.set_new_key_name,
                aria_label=tx("New API key name"),
                max_length=100,
            ),
            rx.button(tx("Create key"), on_click=S.create_key),
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            S.keys.length() == 0,
            empty_state(tx("No API keys"), tx("Create one for the ATS to call Planner's API.")),
            _table(
                tx("API keys"),
                (tx("Name"), tx("Key"), tx("Created by"), tx("Created"), tx("Last used"), ""),
                rx.foreach(S.keys, _key_row),
            ),
        ),
        spacing="3",
        width="100%",
    )


def _endpoint_row(endpoint: EndpointView, index: rx.Var[int]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(endpoint.url),
        stacked_cell(tx("Events"), endpoint.events),
        rx.table.cell(
            rx.button(
                tx("Remove"),
                color_scheme="red",
                variant="soft",
                size="1",
                on_click=S.remove_endpoint(index),
                aria_label=tx("Remove") + " " + endpoint.url,
            )
        ),
    )


def _event_choice(event: rx.Var[str]) -> rx.Component:
    return rx.checkbox(
        event,
        checked=S.new_events.contains(event),
        on_change=lambda checked: S.toggle_event(event, checked),
    )


def _webhooks() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("Webhooks"), size="4", as_="h2"),
        rx.text(
            tx(
                "Planner POSTs each event as JSON, signed in the Planner-Signature header "
                "(t=<unix time>,v1=<HMAC-SHA256 of “t.body” with the URL's secret>)."
            ),
            color_scheme="gray",
            size="2",
        ),
        rx.hstack(
            rx.input(
                placeholder="https://ats.example.com/hooks/planner",
                value=S.new_url,
                on_change=S.set_new_url,
                aria_label=tx("Webhook URL"),
                width="100%",
                max_width="420px",
            ),
            rx.button(tx("Add URL"), on_click=S.add_endpoint),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        rx.hstack(rx.foreach(S.events, _event_choice), spacing="4", wrap="wrap"),
        rx.cond(
            S.endpoints.length() == 0,
            empty_state(tx("No webhook URLs"), tx("Add one to hear about bookings.")),
            _table(
                tx("Webhook URLs"),
                (tx("URL"), tx("Events"), ""),
                rx.foreach(S.endpoints, _endpoint_row),
            ),
        ),
        spacing="3",
        width="100%",
    )


def _delivery_row(delivery: DeliveryView) -> rx.Component:
    return rx.table.row(
        stacked_cell(tx("When"), delivery.attempted_at),
        stacked_cell(tx("Event"), delivery.event),
        stacked_cell(tx("URL"), delivery.url),
        stacked_cell(tx("Attempt"), delivery.attempt),
        stacked_cell(
            tx("Result"),
            rx.badge(delivery.result, color_scheme=rx.cond(delivery.succeeded, "green", "red")),
        ),
    )


def _deliveries() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("Recent deliveries"), size="4", as_="h2"),
        rx.cond(
            S.deliveries.length() == 0,
            empty_state(tx("No deliveries yet"), tx("Attempts to deliver events show here.")),
            _table(
                tx("Recent webhook deliveries"),
                (tx("When"), tx("Event"), tx("URL"), tx("Attempt"), tx("Result")),
                rx.foreach(S.deliveries, _delivery_row),
            ),
        ),
        spacing="3",
        width="100%",
    )


def _undelivered_row(mail: UndeliveredMailView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(mail.failed_at),
        rx.table.cell(mail.recipient),
        rx.table.cell(mail.subject),
        rx.table.cell(rx.badge(mail.reason, color_scheme="red")),
    )


def _undelivered() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("Undelivered mail"), size="4", as_="h2"),
        rx.cond(
            S.undelivered.length() == 0,
            empty_state(
                tx("No undelivered mail"), tx("Mails Planner had to give up on show here.")
            ),
            _table(
                tx("Mails that could not be delivered"),
                (tx("When"), tx("To"), tx("Subject"), tx("Why")),
                rx.foreach(S.undelivered, _undelivered_row),
            ),
        ),
        spacing="3",
        width="100%",
    )


def integrations_page() -> rx.Component:
    return page_shell(
        tx("Integrations"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.allowed,
                rx.vstack(
                    rx.cond(
                        S.error != "",
                        rx.callout(S.error, color_scheme="red", role="alert"),
                    ),
                    _shown_once(),
                    _keys(),
                    _webhooks(),
                    _deliveries(),
                    _undelivered(),
                    spacing="6",
                    width="100%",
                ),
                rx.callout(
                    tx("Only admins of the account can see this page."),
                    color_scheme="amber",
                    role="alert",
                ),
            ),
            loading(),
        ),
    )
