"""Mail as data: content blocks rendered to plain text and escaped HTML, and the MIME message."""

import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from planner.domain.ical import Method, checked_address, single_line

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_TRAILING_PUNCTUATION = ".,;:!?"


@dataclass(frozen=True)
class Paragraph:
    """Running text; line breaks in it are kept."""

    text: str


@dataclass(frozen=True)
class Details:
    """Label and value pairs (when, where, who)."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Action:
    """A link the reader is meant to follow, shown as a button in HTML."""

    label: str
    url: str


@dataclass(frozen=True)
class Quote:
    """Text someone else wrote (a candidate's comment, the recruiter's invitation text)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A short list (e.g. the offered times)."""

    items: tuple[str, ...]


Block = Paragraph | Details | Action | Quote | Bullets


@dataclass(frozen=True)
class MailContent:
    """What one mail says, in the recipient's language, before it becomes MIME."""

    subject: str
    blocks: tuple[Block, ...]
    footer: str
    lang: str


@dataclass(frozen=True)
class Mailbox:
    """A display name and an address, for From, To and Reply-To."""

    name: str
    email: str


def is_web_link(url: str) -> bool:
    """Only http(s) links are put into mails (no javascript:, data: or mailto: tricks)."""
    return bool(_URL.fullmatch(url))


def render_text(content: MailContent) -> str:
    """The text/plain body: readable as is on a phone, links on their own line."""
    parts: list[str] = []
    for block in content.blocks:
        if isinstance(block, Paragraph):
            parts.append(block.text.strip())
        elif isinstance(block, Details):
            parts.append("\n".join(f"{label}: {value}" for label, value in block.rows))
        elif isinstance(block, Action):
            parts.append(f"{block.label}:\n{block.url}")
        elif isinstance(block, Quote):
            parts.append("\n".join(f"> {line}" for line in block.text.strip().splitlines()))
        else:
            parts.append("\n".join(f"- {item}" for item in block.items))
    parts.append("-- \n" + content.footer)
    return "\n\n".join(parts) + "\n"


def _multiline(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.strip().splitlines())


_FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_BUTTON = (
    "display:inline-block;background:#1d4ed8;color:#ffffff;padding:12px 20px;"
    "border-radius:6px;text-decoration:none;font-weight:600"
)


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f'<p style="margin:0 0 16px">{_multiline(block.text)}</p>'
    if isinstance(block, Details):
        rows = "".join(
            '<tr><th scope="row" style="text-align:left;vertical-align:top;'
            f'padding:4px 12px 4px 0;font-weight:600">{html.escape(label)}</th>'
            f'<td style="padding:4px 0">{_multiline(value)}</td></tr>'
            for label, value in block.rows
        )
        return (
            '<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">'
            f"{rows}</table>"
        )
    if isinstance(block, Action):
        if not is_web_link(block.url):
            return f'<p style="margin:0 0 16px">{html.escape(block.label)}</p>'
        href = html.escape(block.url, quote=True)
        return (
            f'<p style="margin:0 0 20px"><a href="{href}" style="{_BUTTON}">'
            f"{html.escape(block.label)}</a></p>"
        )
    if isinstance(block, Quote):
        return (
            '<blockquote style="margin:0 0 16px;padding:8px 12px;'
            f'border-left:4px solid #d4d4d8;color:#3f3f46">{_multiline(block.text)}</blockquote>'
        )
    items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
    return f'<ul style="margin:0 0 16px;padding-left:20px">{items}</ul>'


def render_html(content: MailContent) -> str:
    """The text/html body: every value escaped, one narrow column that fits a phone."""
    body = "".join(_html_block(block) for block in content.blocks)
    return (
        f'<!DOCTYPE html><html lang="{html.escape(content.lang, quote=True)}"><head>'
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(single_line(content.subject))}</title></head>"
        '<body style="margin:0;padding:0;background:#f4f4f5">'
        f'<div style="max-width:600px;margin:0 auto;padding:24px 16px;{_FONT};'
        'font-size:16px;line-height:1.5;color:#18181b;background:#ffffff">'
        f"{body}"
        '<p style="margin:24px 0 0;font-size:13px;color:#71717a">'
        f"{html.escape(content.footer)}</p></div></body></html>\n"
    )


class EncodedSubject(str):
    """A Subject header folded into RFC 2047 encoded-words that keep every space.

    RFC 2047 §6.2: whitespace between two adjacent encoded-words is not displayed, so each
    space must sit inside an encoded-word. Python's own folder (3.11) sometimes puts the
    space between two encoded-words ("Haastattelu –pitkä"); `email.header.Header` does not.
    The value reads as the plain subject; the policy folds it with `fold()`."""

    name = "Subject"

    def fold(self, *, policy) -> str:  # type: ignore[no-untyped-def]
        """The header line(s) as sent, ending with the policy's line separator."""
        encoded = Header(str(self), "utf-8", header_name=self.name).encode(
            linesep=policy.linesep, maxlinelen=policy.max_line_length or 78
        )
        return f"{self.name}: {encoded}{policy.linesep}"


def subject_header(text: str) -> str:
    """The Subject value to set on a message: plain ASCII as it is, anything else as an
    `EncodedSubject` (one line; at most 250 characters)."""
    value = single_line(text)[:250]
    return value if value.isascii() else EncodedSubject(value)


def _header_address(box: Mailbox) -> Address:
    email = checked_address(box.email)
    username, _, domain = email.rpartition("@")
    return Address(display_name=single_line(box.name)[:200], username=username, domain=domain)


def parse_mailbox(value: str) -> Mailbox:
    """A 'Name <address>' setting as a Mailbox (ValueError when it holds no address)."""
    name, address = parseaddr(value)
    return Mailbox(name=name, email=checked_address(address))


def sender_domain(value: str) -> str:
    """The domain of the From address, for Message-IDs."""
    return parse_mailbox(value).email.rpartition("@")[2]


def build_message(
    *,
    content: MailContent,
    sender: Mailbox,
    to: Mailbox,
    message_id: str,
    date: datetime,
    reply_to: Mailbox | None = None,
    calendar: bytes | None = None,
    method: Method | None = None,
) -> EmailMessage:
    """The MIME message: multipart/alternative of text/plain, text/html and, for iMIP, a
    text/calendar part last, without Content-Disposition, whose method= equals the METHOD
    inside. Header values are single lines whatever the names and titles contain."""
    if (calendar is None) != (method is None):
        raise ValueError("a calendar part needs its method, and a method needs a calendar")
    message = EmailMessage(policy=SMTP)
    message["From"] = _header_address(sender)
    message["To"] = _header_address(to)
    if reply_to is not None:
        message["Reply-To"] = _header_address(reply_to)
    message["Subject"] = subject_header(content.subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message.set_content(render_text(content), charset="utf-8", cte="quoted-printable")
    message.add_alternative(
        render_html(content), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    if calendar is not None and method is not None:
        message.add_alternative(
            calendar.decode("utf-8"),
            subtype="calendar",
            charset="utf-8",
            cte="base64",
            params={"method": method.value},
        )
        *_, calendar_part = message.iter_parts()
        calendar_part.set_param("charset", "UTF-8")
    for part in message.iter_parts():
        del part["MIME-Version"]
    # Set after the parts exist: make_alternative() moves Content-* headers into the first part.
    message["Content-Language"] = content.lang
    message["Auto-Submitted"] = "auto-generated"
    return message


def linkify(text: str) -> list[tuple[str, str]]:
    """Split text into ("text", ...) and ("link", url) pieces, so that a page can show a
    mail's links as links without ever rendering the mail's own HTML."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if match.start() > position:
            pieces.append(("text", text[position : match.start()]))
        pieces.append(("link", url))
        position = match.start() + len(url)
    if position < len(text):
        pieces.append(("text", text[position:]))
    return pieces
