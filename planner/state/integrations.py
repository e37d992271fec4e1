"""The Integrations admin page: API keys, webhook URLs, the recent webhook deliveries and
the mails that could not be delivered."""

from dataclasses import dataclass

import reflex as rx

from planner.db import session_scope
from planner.i18n import translator
from planner.i18n.dates import format_short
from planner.models.base import utcnow
from planner.services import api_keys, mail_log, webhooks
from planner.services.actor import Actor
from planner.services.errors import InvalidInput, NotFound, PermissionDenied
from planner.state.guard import signed_in_actor
from planner.state.session import error_text, sign_in_redirect


def _when_in(value, locale: str = "en", zone: str = "UTC") -> str:  # type: ignore[no-untyped-def]
    """A time of the page in the reader's language and zone ("—" for none)."""
    return format_short(value, locale=locale, time_zone=zone) if value else "—"


@dataclass(frozen=True)
class ApiKeyView:
    """One API key as listed (never the key itself)."""

    name: str
    prefix: str
    created_by: str
    created_at: str
    last_used_at: str
    revoked: bool


@dataclass(frozen=True)
class EndpointView:
    url: str
    events: str


@dataclass(frozen=True)
class DeliveryView:
    """One delivery attempt of the log."""

    attempted_at: str
    event: str
    url: str
    attempt: int
    result: str
    succeeded: bool


@dataclass(frozen=True)
class UndeliveredMailView:
    """A mail the outbox gave up on, as the admin reads it."""

    failed_at: str
    recipient: str
    subject: str
    reason: str


class IntegrationsState(rx.State):
    """Keys and webhooks of the admin's account; a new key or secret is shown once."""

    allowed: bool = False
    loaded: bool = False
    keys: list[ApiKeyView] = []
    endpoints: list[EndpointView] = []
    deliveries: list[DeliveryView] = []
    undelivered: list[UndeliveredMailView] = []
    events: list[str] = list(webhooks.EVENTS)
    new_key_name: str = ""
    new_url: str = ""
    new_events: list[str] = list(webhooks.EVENTS)
    # Shown once, right after creation; cleared on the next action or page load.
    shown_once_label: str = ""
    shown_once_value: str = ""
    error: str = ""
    _key_ids: list[int] = []
    _endpoint_ids: list[int] = []

    async def _admin(self) -> Actor | None:
        actor = await signed_in_actor(self)
        self.allowed = actor is not None and actor.is_admin
        return actor if self.allowed else None

    def _fill(self, actor: Actor) -> None:
        tr = translator(actor.locale)

        def _when(value):  # type: ignore[no-untyped-def]
            return _when_in(value, actor.locale, actor.time_zone)

        with session_scope() as session:
            keys = api_keys.list_api_keys(session=session, actor=actor)
            endpoints = webhooks.list_endpoints(session=session, actor=actor)
            deliveries = webhooks.recent_deliveries(session=session, actor=actor, limit=50)
            undelivered = mail_log.undelivered_mail(session=session, actor=actor, limit=50)
        self.keys = [
            ApiKeyView(
                name=k.name,
                prefix=k.prefix,
                created_by=k.created_by,
                created_at=_when(k.created_at),
                last_used_at=_when(k.last_used_at),
                revoked=k.revoked_at is not None,
            )
            for k in keys
        ]
        self._key_ids = [k.id for k in keys]
        self._endpoint_ids = [e.id for e in endpoints]
        self.endpoints = [EndpointView(url=e.url, events=", ".join(e.events)) for e in endpoints]
        self.deliveries = [
            DeliveryView(
                attempted_at=_when(d.attempted_at),
                event=d.event,
                url=d.endpoint_url,
                attempt=d.attempt,
                result=(f"HTTP {d.status_code}" if d.status_code else d.error or tr("no answer")),
                succeeded=d.succeeded,
            )
            for d in deliveries
        ]
        self.undelivered = [
            UndeliveredMailView(
                failed_at=_when(m.failed_at), recipient=m.to, subject=m.subject, reason=m.reason
            )
            for m in undelivered
        ]
        self.loaded = True

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.shown_once_label = self.shown_once_value = self.error = ""
        self.allowed = actor.is_admin
        if self.allowed:
            self._fill(actor)
        self.loaded = True
        return None

    @rx.event
    def set_new_key_name(self, value: str):
        self.new_key_name = value[:100]

    @rx.event
    def set_new_url(self, value: str):
        self.new_url = value[:2000]

    @rx.event
    def toggle_event(self, event: str, checked: bool):
        chosen = [e for e in self.new_events if e != event]
        if checked and event in webhooks.EVENTS:
            chosen.append(event)
        self.new_events = [e for e in webhooks.EVENTS if e in chosen]

    @rx.event
    async def create_key(self):
        actor = await self._admin()
        if actor is None:
            return sign_in_redirect(self)
        self.shown_once_label = self.shown_once_value = self.error = ""
        try:
            with session_scope() as session:
                created = api_keys.create_api_key(
                    session=session, actor=actor, name=self.new_key_name, now=utcnow()
                )
        except (InvalidInput, PermissionDenied) as exc:
            self.error = error_text(actor, exc)
            return None
        tr = translator(actor.locale)
        self.shown_once_label = tr("API key “{name}”", name=created.name)
        self.shown_once_value = created.key
        self.new_key_name = ""
        self._fill(actor)
        return None

    @rx.event
    async def revoke_key(self, index: int):
        actor = await self._admin()
        if actor is None:
            return sign_in_redirect(self)
        self.shown_once_label = self.shown_once_value = self.error = ""
        try:
            with session_scope() as session:
                api_keys.revoke_api_key(
                    session=session, actor=actor, key_id=self._key_ids[index], now=utcnow()
                )
        except (NotFound, PermissionDenied) as exc:
            self.error = error_text(actor, exc)
        except IndexError:
            tr = translator(actor.locale)
            self.error = tr("This key no longer exists; reload the page.")
        self._fill(actor)
        return None

    @rx.event
    async def add_endpoint(self):
        actor = await self._admin()
        if actor is None:
            return sign_in_redirect(self)
        self.shown_once_label = self.shown_once_value = self.error = ""
        try:
            with session_scope() as session:
                created = webhooks.add_endpoint(
                    session=session,
                    actor=actor,
                    url=self.new_url,
                    events=list(self.new_events),
                    now=utcnow(),
                )
        except (InvalidInput, PermissionDenied) as exc:
            self.error = error_text(actor, exc)
            return None
        tr = translator(actor.locale)
        self.shown_once_label = tr("Signing secret for {url}", url=created.url)
        self.shown_once_value = created.secret
        self.new_url = ""
        self._fill(actor)
        return None

    @rx.event
    async def remove_endpoint(self, index: int):
        actor = await self._admin()
        if actor is None:
            return sign_in_redirect(self)
        self.shown_once_label = self.shown_once_value = self.error = ""
        try:
            with session_scope() as session:
                webhooks.remove_endpoint(
                    session=session, actor=actor, endpoint_id=self._endpoint_ids[index]
                )
        except (NotFound, PermissionDenied) as exc:
            self.error = error_text(actor, exc)
        except IndexError:
            tr = translator(actor.locale)
            self.error = tr("This URL no longer exists; reload the page.")
        self._fill(actor)
        return None
