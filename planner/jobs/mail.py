"""ARQ task that renders requested notifications and delivers due outbox mail over SMTP."""

import asyncio
import logging
from typing import Any

from planner.db import session_scope
from planner.integrations.mail.smtp import SmtpConfig, SmtpTransport
from planner.models.base import utcnow
from planner.services import notifications, outbox
from planner.settings import get_settings

log = logging.getLogger(__name__)

# Seconds of every minute at which the worker looks for due mail.
POLL_SECONDS = frozenset({0, 10, 20, 30, 40, 50})


def smtp_config() -> SmtpConfig:
    """The SMTP server from settings (PLANNER_SMTP_*)."""
    settings = get_settings()
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_seconds=settings.smtp_timeout_seconds,
    )


def _deliver_batches(max_batches: int) -> outbox.DeliveryReport:
    with session_scope() as session:
        while notifications.render_requested(session=session) == notifications.RENDER_BATCH:
            pass
    total = outbox.DeliveryReport()
    for _ in range(max_batches):
        with session_scope() as session:
            report = outbox.deliver_due_mail(
                session=session, transport=SmtpTransport(smtp_config()), now=utcnow()
            )
        total = outbox.DeliveryReport(
            sent=total.sent + report.sent,
            retrying=total.retrying + report.retrying,
            given_up=total.given_up + report.given_up,
            window_ms=max(total.window_ms, report.window_ms),
            resent=total.resent + report.resent,
        )
        if report.sent + report.retrying + report.given_up < outbox.BATCH_SIZE:
            break
    return total


async def deliver_outbox_mail(_ctx: dict[str, Any], max_batches: int = 10) -> dict[str, float]:
    """Deliver due outbox mail (blocking SMTP and database work runs in a thread)."""
    report = await asyncio.to_thread(_deliver_batches, max_batches)
    if report.sent or report.retrying or report.given_up:
        log.info(
            "outbox mail: %d sent, %d to retry, %d given up, %d sent again after a crash; "
            "longest accepted-to-done-mark window %.1f ms",
            report.sent,
            report.retrying,
            report.given_up,
            report.resent,
            report.window_ms,
        )
    return {
        "sent": report.sent,
        "retrying": report.retrying,
        "given_up": report.given_up,
        "resent": report.resent,
        "window_ms": report.window_ms,
    }
