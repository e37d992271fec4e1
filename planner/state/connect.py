"""The connect page of a sync-invitation link: every provider (disabled with the reason when
not set up), CalDAV form, the user's connections with their sync status, disconnect after a
confirmation. Shown in the invited user's language and time zone."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import reflex as rx

from planner import routes
from planner.api.oauth_routes import oauth_configured
from planner.db import session_scope
from planner.domain.sync_problems import (
    ConnectionFacts,
    describe_last_sync,
    describe_own_error,
    describe_unreadable,
    provider_name,
)
from planner.i18n import Translator, translator
from planner.integrations.calendar.oauth import REVOCABLE
from planner.models.base import utcnow
from planner.services import connections
from planner.services.errors import InvalidInput
from planner.settings import get_settings
from planner.state.session import SessionState

PROVIDERS = ("google", "microsoft", "caldav")
# While a first sync is pending, the page looks for its result this often, this long.
WATCH_SECONDS = 2.0
WATCH_LIMIT = timedelta(minutes=2)


def oauth_error(tr: Translator, code: str) -> str:
    """The page's words for a result code the OAuth callback put in the address ("" for
    an unknown code)."""
    messages = {
        "state": tr("That sign-in could not be verified. Please start again from this page."),
        "expired": tr("That sign-in took too long and has expired. Please start again."),
        "used": tr("That sign-in was already used. Please start again if you want to reconnect."),
        "denied": tr("The calendar was not connected: access was not granted."),
        "grant": tr(
            "The provider refused the sign-in (it may have been used already). Please start again."
        ),
        "provider": tr(
            "The provider could not be reached or refused the request. Please try again later."
        ),
        "no_calendar": tr("That account has no calendar to connect."),
        "provider_off": tr("This provider is not available. Please use another one."),
    }
    return messages.get(code, "")


def invalid_link(tr: Translator) -> str:
    return tr(
        "This link is not valid or has expired. Please ask your administrator for a new "
        "calendar sync invitation."
    )


@dataclass(frozen=True)
class ProviderOption:
    """A provider the page offers; `reason` says why a disabled one cannot be used."""

    key: str
    label: str
    enabled: bool
    reason: str


@dataclass(frozen=True)
class ConnectionRow:
    """One connection as the page lists it; `key` is its position, ids stay on the server."""

    key: int
    provider: str
    account: str
    status: str
    status_label: str
    last_sync: str
    last_sync_exact: str
    problem: str
    pending: bool


class ConnectState(rx.State):
    """View models only; the link token is read from the address for every action."""

    loaded: bool = False
    valid: bool = False
    name: str = ""
    account_name: str = ""
    email: str = ""
    intro: str = ""
    notice: str = ""
    notice_kind: str = "info"
    server_url: str = ""
    username: str = ""
    password: str = ""
    busy: bool = False
    rows: list[ConnectionRow] = []
    oauth_providers: list[ProviderOption] = []
    confirm_key: int = -1
    confirm_title: str = ""
    confirm_text: str = ""
    watching: bool = False
    _connection_ids: list[int] = []
    _providers: list[str] = []
    _locale: str = "en"

    def _token(self) -> str:
        return routes.token_from_path(self.router.url.path)

    def _invitee(self) -> connections.Invitee | None:
        return _invitee_for(self._token())

    @property
    def _tr(self) -> Translator:
        return translator(self._locale)

    async def _speak(self, invitee: connections.Invitee | None) -> None:
        """Show the page in the invited user's language."""
        if invitee is not None:
            self._locale = invitee.locale
        session_state = await self.get_state(SessionState)
        if session_state.locale != self._locale or not session_state.texts:
            session_state._use_language(self._locale)

    def _fill(self, invitee: connections.Invitee | None) -> None:
        tr = self._tr
        self.loaded = True
        self.valid = invitee is not None
        if invitee is None:
            self.confirm_key = -1
            self.name = self.account_name = self.email = self.intro = ""
            self.rows, self._connection_ids, self._providers = [], [], []
            self.password = ""
            self._say(invalid_link(tr), "error")
            return
        self.name, self.account_name, self.email = (
            invitee.name,
            invitee.account_name,
            invitee.email,
        )
        self.intro = tr(
            "This invitation is for {name} ({account}). Connect a calendar so that your busy "
            "times are respected and interviews are added to it. Planner shows colleagues "
            "only when you are busy, never what.",
            name=invitee.name,
            account=invitee.account_name,
        )
        with session_scope() as session:
            found = connections.connections_of(session=session, staff_user_id=invitee.staff_user_id)
        self._connection_ids = [c.id for c in found]
        self._providers = [c.provider for c in found]
        now = utcnow()
        rows = []
        for position, c in enumerate(found):
            facts = ConnectionFacts(
                provider=c.provider,
                status=c.status,
                error_kind=c.error_kind,
                last_error=c.last_error,
                unreadable_count=c.unreadable_count,
                unknown_from=c.unknown_from,
            )
            relative, exact = describe_last_sync(
                tr, c.last_synced_at, now, locale=invitee.locale, time_zone=invitee.time_zone
            )
            problem = " ".join(
                text
                for text in (
                    describe_own_error(tr, facts),
                    describe_unreadable(
                        tr, facts, locale=invitee.locale, time_zone=invitee.time_zone
                    ),
                )
                if text
            )
            rows.append(
                ConnectionRow(
                    key=position,
                    provider=provider_name(tr, c.provider),
                    account=c.external_account,
                    status=c.status,
                    status_label=tr("Connected") if c.status == "synced" else tr("Needs attention"),
                    last_sync=tr("Last synced: {when}", when=relative),
                    last_sync_exact=exact,
                    problem=problem,
                    pending=c.sync_pending,
                )
            )
        self.rows = rows

    def _watch_if_pending(self):  # type: ignore[no-untyped-def]
        if any(row.pending for row in self.rows) and not self.watching:
            self.watching = True
            return ConnectState.watch_sync
        return None

    @rx.event(background=True)
    async def watch_sync(self):
        """While a sync of the user's calendar is pending (just connected), show its result
        when the worker has polled, without a reload."""
        deadline = utcnow() + WATCH_LIMIT
        try:
            while utcnow() < deadline:
                await asyncio.sleep(WATCH_SECONDS)
                async with self:
                    token = self._token()
                invitee = _invitee_for(token)
                async with self:
                    self._fill(invitee)
                    if not any(row.pending for row in self.rows):
                        return
        finally:
            async with self:
                self.watching = False

    def _say(self, text: str, kind: str) -> None:
        self.notice, self.notice_kind = text, kind

    @rx.event
    async def load(self):
        settings = get_settings()
        self.password, self.busy = "", False
        self._say("", "info")
        invitee = self._invitee()
        await self._speak(invitee)
        tr = self._tr
        reasons = {
            "google": tr("Ask your administrator to set up Google sign-in."),
            "microsoft": tr("Ask your administrator to set up Microsoft sign-in."),
        }
        self.oauth_providers = [
            ProviderOption(
                key=key,
                label=tr("Connect Google Calendar")
                if key == "google"
                else tr("Connect Microsoft 365"),
                enabled=oauth_configured(key, settings),
                reason="" if oauth_configured(key, settings) else reasons[key],
            )
            for key in ("google", "microsoft")
        ]
        self._fill(invitee)
        if not self.valid:
            return
        params = self.router.url.query_parameters
        connected = str(params.get("connected", ""))
        error = str(params.get("error", ""))
        if connected in PROVIDERS:
            self._say(
                tr("{provider} is connected.", provider=provider_name(tr, connected)), "success"
            )
        elif oauth_error(tr, error):
            self._say(oauth_error(tr, error), "error")
        return self._watch_if_pending()

    @rx.event
    def set_server_url(self, value: str):
        self.server_url = value[:500]

    @rx.event
    def set_username(self, value: str):
        self.username = value[:320]

    @rx.event
    def set_password(self, value: str):
        self.password = value[:1000]

    @rx.event(background=True)
    async def connect_caldav(self):
        """Check the login against the server without holding the page state, then store it;
        the password leaves the page state as soon as the attempt starts."""
        async with self:
            if self.busy:
                return
            server_url, username, password = self.server_url, self.username, self.password
            self.busy, self.password = True, ""
            self._say("", "info")
            token = self._token()
            tr = self._tr
        invitee = _invitee_for(token)
        if invitee is None:
            message, kind = invalid_link(tr), "error"
        else:
            try:
                with session_scope() as session:
                    await connections.connect_caldav(
                        session=session,
                        invitee=invitee,
                        server_url=server_url,
                        username=username,
                        password=password,
                        settings=get_settings(),
                        now=utcnow(),
                    )
            except InvalidInput as exc:
                message, kind = exc.message_in(tr.locale), "error"
            else:
                message, kind = tr("Your CalDAV calendar is connected."), "success"
        del password
        async with self:
            self.busy, self.password = False, ""
            self._fill(_invitee_for(token))
            self._say(message, kind)
            if kind == "success":
                self.server_url, self.username = "", ""
            follow = self._watch_if_pending()
        if follow is not None:
            yield follow

    @rx.event
    def ask_disconnect(self, key: int):
        """Open the confirmation that names what disconnecting does."""
        key = int(key)
        if not 0 <= key < len(self._connection_ids):
            return
        tr = self._tr
        provider = self._providers[key]
        label = provider_name(tr, provider)
        self.confirm_key = key
        self.confirm_title = tr("Disconnect {provider}?", provider=label)
        if provider in REVOCABLE:
            self.confirm_text = tr(
                "Planner stops reading your busy times, forgets the ones it has cached and "
                "gives back its access to {provider}. Interviews stop being added to this "
                "calendar.",
                provider=label,
            )
        else:
            self.confirm_text = tr(
                "Planner stops reading your busy times, forgets the ones it has cached and "
                "deletes the stored sign-in. Interviews stop being added to this calendar. "
                "To withdraw the app password or access at {provider} too, do it in your "
                "account settings there.",
                provider=label,
            )

    @rx.event
    def cancel_disconnect(self):
        self.confirm_key = -1

    @rx.event
    async def disconnect(self):
        key, self.confirm_key = self.confirm_key, -1
        tr = self._tr
        invitee = self._invitee()
        if invitee is None:
            self._fill(None)
            return
        if not 0 <= key < len(self._connection_ids):
            self._fill(invitee)
            return
        with session_scope() as session:
            done = await connections.disconnect_and_revoke(
                session=session,
                staff_user_id=invitee.staff_user_id,
                connection_id=self._connection_ids[key],
                settings=get_settings(),
                now=utcnow(),
            )
        self._fill(invitee)
        if done.done and done.revoked:
            self._say(
                tr(
                    "The calendar is disconnected and Planner's access at {provider} is withdrawn.",
                    provider=provider_name(tr, done.provider),
                ),
                "success",
            )
        elif done.done:
            self._say(tr("The calendar is disconnected."), "success")
        else:
            self._say(tr("That calendar was already disconnected."), "info")


def _invitee_for(token: str) -> connections.Invitee | None:
    with session_scope() as session:
        return connections.invitee_for(session=session, token=token, now=utcnow())
