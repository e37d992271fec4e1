"""The local run's SMTP server (aiosmtpd): keeps every received mail in a Maildir under var/."""

import mailbox
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from planner.settings import VAR_DIR

MAILDIR = VAR_DIR / "mail"
_KEY = re.compile(r"^[A-Za-z0-9._,-]{1,200}$")


class MaildirHandler:
    """aiosmtpd handler that stores each message, byte for byte, in a Maildir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for sub in ("tmp", "new", "cur"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(str(directory), factory=None, create=True)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        self._maildir.add(content)
        return "250 Message accepted for delivery"


def start_dev_smtp(host: str, port: int, directory: Path = MAILDIR):  # type: ignore[no-untyped-def]
    """Start the embedded SMTP server in a background thread; returns its controller
    (call `.stop()` on it). Raises OSError when the port is taken."""
    from aiosmtpd.controller import Controller

    controller = Controller(
        MaildirHandler(directory), hostname=host, port=port, enable_SMTPUTF8=True
    )
    controller.start()
    return controller


@dataclass(frozen=True)
class ReceivedMail:
    """One mail in the local Maildir, as the "Sent mail" list shows it."""

    key: str
    to: str
    subject: str
    received_at: datetime
    calendar_method: str
    message_id: str = ""


@dataclass(frozen=True)
class ReceivedMailDetail:
    """A received mail's headers and its plain-text body (never its HTML)."""

    key: str
    sender: str
    to: str
    subject: str
    received_at: datetime
    calendar_method: str
    text: str
    message_id: str = ""


def _parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _date(message: EmailMessage, fallback: float) -> datetime:
    header = message.get("Date")
    if header:
        try:
            parsed = parsedate_to_datetime(str(header))
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return datetime.fromtimestamp(fallback, UTC)


def _calendar_method(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return str(part.get_param("method") or "").upper() or "CALENDAR"
    return ""


def _header(message: EmailMessage, name: str) -> str:
    return " ".join(str(message.get(name, "")).split())


def _files(directory: Path) -> dict[str, Path]:
    """Maildir key -> file of every delivered message (new/ and cur/)."""
    found: dict[str, Path] = {}
    for sub in ("new", "cur"):
        folder = directory / sub
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and not path.name.startswith("."):
                    found[path.name.split(":", 1)[0]] = path
    return found


def list_received(directory: Path = MAILDIR, *, limit: int | None = 200) -> list[ReceivedMail]:
    """The newest received mails first (all of them with limit=None)."""
    found: list[tuple[datetime, float, ReceivedMail]] = []
    for key, path in _files(directory).items():
        try:
            mtime = path.stat().st_mtime
            message = _parse(path.read_bytes())
        except OSError:
            continue  # removed meanwhile
        mail = ReceivedMail(
            key=key,
            to=_header(message, "To"),
            subject=_header(message, "Subject"),
            received_at=_date(message, mtime),
            calendar_method=_calendar_method(message),
            message_id=_header(message, "Message-ID"),
        )
        found.append((mail.received_at, mtime, mail))
    # Date headers have whole seconds; the file's time orders mails of the same second.
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [mail for _, _, mail in (found if limit is None else found[:limit])]


def read_received(key: str, directory: Path = MAILDIR) -> ReceivedMailDetail | None:
    """One received mail by its Maildir key (None for an unknown or malformed key); only
    names found in the Maildir are opened, never a path built from the key."""
    if not _KEY.match(key):
        return None
    path = _files(directory).get(key)
    if path is None:
        return None
    try:
        mtime = path.stat().st_mtime
        message = _parse(path.read_bytes())
    except OSError:
        return None
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return ReceivedMailDetail(
        key=key,
        sender=_header(message, "From"),
        to=_header(message, "To"),
        subject=_header(message, "Subject"),
        received_at=_date(message, mtime),
        calendar_method=_calendar_method(message),
        text=str(text),
        message_id=_header(message, "Message-ID"),
    )
