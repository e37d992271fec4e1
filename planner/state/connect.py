"""The connect page of a sync-invitation link: CalDAV form, OAuth buttons, connections."""

from dataclasses import dataclass

import reflex as rx

from planner import routes
from planner.api.oauth_routes import oauth_configured
from planner.db import session_scope
from planner.models.base import utcnow
from planner.services import connections
from planner.services.errors import InvalidInput
from planner.settings import get_settings

PROVIDER_LABELS = {"google": "Google Calendar", "microsoft": "Microsoft 365", "caldav": "CalDAV"}
STATUS_LABELS = {"synced": "Connected", "error": "Needs attention", "invited": "Connected"}
# Result codes the OAuth callback puts in the address; the page shows fixed texts only.
OAUTH_ERRORS = {
    "state": "That sign-in could not be verified. Please start again from this page.",
    "expired": "That sign-in took too long and has expired. Please start again.",
    "used": "That sign-in was already used. Please start again if you want to reconnect.",
    "denied": "The calendar was not connected: access was not granted.",
    "grant": "The provider refused the sign-in (it may have been used already). Please start "
    "again.",
    "provider": "The provider could not be reached or refused the request. Please try again later.",
    "no_calendar": "That account has no calendar to connect.",
    "provider_off": "This provider is not available. Please use another one.",
}
INVALID_LINK = (
    "This link is not valid or has expired. Please ask your administrator for a new "
    "calendar sync invitation."
)


@dataclass(frozen=True)
class ConnectionRow:
    """One connection as the page lists it; `key` is its position, ids stay on the server."""

    key: int
    provider: str
    account: str
    status: str


class ConnectState(rx.State):
    """View models only; the link token is read from the address for every action."""

    loaded: bool = False
    valid: bool = False
    name: str = ""
    account_name: str = ""
    email: str = ""
    notice: str = ""
    notice_kind: str = "info"
    server_url: str = ""
    username: str = ""
    password: str = ""
    busy: bool = False
    rows: list[ConnectionRow] = []
    google_enabled: bool = False
    microsoft_enabled: bool = False
    _connection_ids: list[int] = []

    def _token(self) -> str:
        return routes.token_from_path(self.router.url.path)

    def _invitee(self) -> connections.Invitee | None:
        return _invitee_for(self._token())

    def _fill(self, invitee: connections.Invitee | None) -> None:
        self.loaded = True
        self.valid = invitee is not None
        if invitee is None:
            self.name = self.account_name = self.email = ""
            self.rows, self._connection_ids = [], []
            self.password = ""
            self._say(INVALID_LINK, "error")
            return
        self.name, self.account_name, self.email = (
            invitee.name,
            invitee.account_name,
            invitee.email,
        )
        with session_scope() as session:
            found = connections.connections_of(session=session, staff_user_id=invitee.staff_user_id)
        self._connection_ids = [c.id for c in found]
        self.rows = [
            ConnectionRow(
                key=position,
                provider=PROVIDER_LABELS.get(c.provider, c.provider),
                account=c.external_account,
                status=STATUS_LABELS.get(c.status, c.status.replace("_", " ").capitalize()),
            )
            for position, c in enumerate(found)
        ]

    def _say(self, text: str, kind: str) -> None:
        self.notice, self.notice_kind = text, kind

    @rx.event
    def load(self):
        settings = get_settings()
        self.google_enabled = oauth_configured("google", settings)
        self.microsoft_enabled = oauth_configured("microsoft", settings)
        self.password, self.busy = "", False
        self._say("", "info")
        self._fill(self._invitee())
        if not self.valid:
            return
        params = self.router.url.query_parameters
        connected = str(params.get("connected", ""))
        error = str(params.get("error", ""))
        if connected in PROVIDER_LABELS:
            self._say(f"{PROVIDER_LABELS[connected]} is connected.", "success")
        elif error in OAUTH_ERRORS:
            self._say(OAUTH_ERRORS[error], "error")

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
        invitee = _invitee_for(token)
        if invitee is None:
            message, kind = INVALID_LINK, "error"
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
                message, kind = _sentence(exc.reason), "error"
            else:
                message, kind = "Your CalDAV calendar is connected.", "success"
        del password
        async with self:
            self.busy, self.password = False, ""
            self._fill(_invitee_for(token))
            self._say(message, kind)
            if kind == "success":
                self.server_url, self.username = "", ""

    @rx.event
    def disconnect(self, key: int):
        invitee = self._invitee()
        if invitee is None:
            self._fill(None)
            return
        if not 0 <= key < len(self._connection_ids):
            self._fill(invitee)
            return
        with session_scope() as session:
            done = connections.disconnect(
                session=session,
                staff_user_id=invitee.staff_user_id,
                connection_id=self._connection_ids[key],
                now=utcnow(),
            )
        self._fill(invitee)
        if done:
            self._say("The calendar is disconnected.", "success")
        else:
            self._say("That calendar was already disconnected.", "info")


def _invitee_for(token: str) -> connections.Invitee | None:
    with session_scope() as session:
        return connections.invitee_for(session=session, token=token, now=utcnow())


def _sentence(message: str) -> str:
    """A service message (lower case, no stop) as a sentence on the page."""
    text = message.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text
