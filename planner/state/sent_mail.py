"""The development-only "Sent mail" page: mails the embedded SMTP server received."""

from dataclasses import dataclass

import reflex as rx

from planner.db import session_scope
from planner.domain.mail import linkify
from planner.i18n import format_short
from planner.integrations.mail.devserver import read_received
from planner.services import mail_log
from planner.services.actor import Actor
from planner.settings import get_settings
from planner.state.guard import signed_in_actor
from planner.state.session import sign_in_redirect


@dataclass(frozen=True)
class SentMailRow:
    """One received mail in the list."""

    index: int
    recipient: str
    subject: str
    received: str
    calendar: str


@dataclass(frozen=True)
class TextPiece:
    """A run of a mail's text: plain text, or a link to show as a link."""

    kind: str
    text: str


def _may_see(actor: Actor | None) -> bool:
    return actor is not None and actor.is_admin and get_settings().is_development


def _of_account(actor: Actor, message_ids: list[str]) -> set[str]:
    with session_scope() as session:
        return mail_log.message_ids_of_account(
            session=session, actor=actor, message_ids=message_ids
        )


class SentMailState(rx.State):
    """Received mails, newest first, and the plain text of the one selected; only for
    admins, and only in development mode."""

    available: bool = False
    allowed: bool = False
    loaded: bool = False
    rows: list[SentMailRow] = []
    selected: int = -1
    subject: str = ""
    sender: str = ""
    recipient: str = ""
    received: str = ""
    calendar: str = ""
    pieces: list[TextPiece] = []
    _keys: list[str] = []
    _time_zone: str = "UTC"
    _locale: str = "en"

    def _clear_selection(self) -> None:
        self.selected = -1
        self.subject = self.sender = self.recipient = self.received = self.calendar = ""
        self.pieces = []

    def _when(self, mail_time) -> str:  # type: ignore[no-untyped-def]
        return format_short(mail_time, locale=self._locale, time_zone=self._time_zone)

    @rx.event
    async def load(self):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        self.available = get_settings().is_development
        self.allowed = actor.is_admin
        self._time_zone, self._locale = actor.time_zone, actor.locale
        self._clear_selection()
        self.rows, self._keys = [], []
        if _may_see(actor):
            with session_scope() as session:
                mails = mail_log.received_mail_of_account(session=session, actor=actor)
            self._keys = [mail.key for mail in mails]
            self.rows = [
                SentMailRow(
                    index=number,
                    recipient=mail.to,
                    subject=mail.subject or "(no subject)",
                    received=self._when(mail.received_at),
                    calendar=mail.calendar_method,
                )
                for number, mail in enumerate(mails)
            ]
        self.loaded = True
        return None

    @rx.event
    async def select(self, index: int):
        actor = await signed_in_actor(self)
        if actor is None:
            return sign_in_redirect(self)
        if not _may_see(actor) or not 0 <= index < len(self._keys):
            self._clear_selection()
            return None
        detail = read_received(self._keys[index])
        if detail is None or not _of_account(actor, [detail.message_id]):
            self._clear_selection()
            return None
        self.selected = index
        self.subject = detail.subject or "(no subject)"
        self.sender = detail.sender
        self.recipient = detail.to
        self.received = self._when(detail.received_at)
        self.calendar = detail.calendar_method
        self.pieces = [TextPiece(kind=kind, text=text) for kind, text in linkify(detail.text)]
        return None
