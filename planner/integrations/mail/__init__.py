"""Mail delivery: an SMTP transport, and the embedded SMTP server of the local run."""

from planner.integrations.mail.smtp import (
    MailDeliveryError,
    MailTransport,
    SmtpConfig,
    SmtpTransport,
)

__all__ = ["MailDeliveryError", "MailTransport", "SmtpConfig", "SmtpTransport"]
