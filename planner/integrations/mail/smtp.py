"""SMTP delivery over smtplib: plain, STARTTLS or implicit TLS, optional auth, classified errors."""

import smtplib
import ssl
from dataclasses import dataclass
from typing import Protocol

from planner.integrations.errors import IntegrationError


class MailDeliveryError(IntegrationError):
    """A mail could not be handed to the SMTP server."""


class MailTransport(Protocol):
    """Hands finished messages to a mail server; one instance per batch."""

    def send(self, *, envelope_from: str, recipients: list[str], message: bytes) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server (from settings)."""

    host: str
    port: int
    security: str = "none"  # none | starttls | tls
    username: str = ""
    password: str = ""
    timeout_seconds: float = 20

    def __repr__(self) -> str:  # never show the password in logs or tracebacks
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"username={self.username!r})"
        )


def classify(exc: Exception) -> MailDeliveryError:
    """Turn what smtplib or the network raised into a MailDeliveryError.

    A 4xx reply, a dropped connection, a timeout, a TLS failure or refused credentials are
    temporary: the server or the configuration will be fixed and the same mail can go then.
    A 5xx reply to the sender, the recipient or the data is about this mail and is final."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        retryable = bool(codes) and all(400 <= code < 500 for code in codes)
        return MailDeliveryError(
            f"recipient refused ({', '.join(map(str, codes))})", retryable=retryable
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailDeliveryError(f"SMTP authentication failed ({exc.smtp_code})", retryable=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        retryable = not (500 <= exc.smtp_code < 600)
        return MailDeliveryError(f"SMTP {exc.smtp_code}: {text[:300]}", retryable=retryable)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailDeliveryError(f"SMTP server lacks a needed extension: {exc}", retryable=True)
    if isinstance(exc, smtplib.SMTPException | OSError):
        return MailDeliveryError(
            f"SMTP connection failed: {type(exc).__name__}: {exc}", retryable=True
        )
    raise TypeError(f"not an SMTP or network error: {type(exc).__name__}") from exc


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a batch of mails."""

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._ssl_context = ssl_context
        self._client: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        client: smtplib.SMTP
        if config.security == "tls":
            client = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_seconds, context=self._context()
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        try:
            client.ehlo()
            if config.security == "starttls":
                client.starttls(context=self._context())
                client.ehlo()
            if config.username:
                client.login(config.username, config.password)
        except (smtplib.SMTPException, OSError):
            client.close()
            raise
        return client

    def _ready_client(self) -> smtplib.SMTP:
        if self._client is not None:
            try:
                code, _ = self._client.noop()
                if code == 250:
                    return self._client
            except (smtplib.SMTPException, OSError):
                pass
            self._client.close()
            self._client = None
        self._client = self._connect()
        return self._client

    def send(self, *, envelope_from: str, recipients: list[str], message: bytes) -> None:
        """Hand one finished message to the server (MailDeliveryError on failure)."""
        try:
            client = self._ready_client()
            client.sendmail(envelope_from, recipients, message)
        except (smtplib.SMTPException, OSError) as exc:
            if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
                self.close()
            raise classify(exc) from exc

    def close(self) -> None:
        """Say QUIT and drop the connection, ignoring a server that is already gone."""
        if self._client is None:
            return
        try:
            self._client.quit()
        except (smtplib.SMTPException, OSError):
            self._client.close()
        self._client = None
