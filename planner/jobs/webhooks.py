"""ARQ task that delivers due webhook events (signed POSTs) from the outbox."""

import asyncio
import logging
from typing import Any

from planner.db import session_scope
from planner.models.base import utcnow
from planner.services import notifications, webhooks

log = logging.getLogger(__name__)

# Seconds of every minute at which the worker looks for due webhook events.
POLL_SECONDS = frozenset({5, 15, 25, 35, 45, 55})


def _deliver_batches(max_batches: int) -> webhooks.DeliveryReport:
    delivered = retrying = given_up = 0
    with session_scope() as session:
        # Bookings record one outbox row each; expanding it makes their webhook rows.
        notifications.render_requested(session=session)
    with webhooks.delivery_client() as client:
        for _ in range(max_batches):
            with session_scope() as session:
                report = webhooks.deliver_due(session=session, client=client, now=utcnow())
            delivered += report.delivered
            retrying += report.retrying
            given_up += report.given_up
            if report.delivered + report.retrying + report.given_up < webhooks.BATCH_SIZE:
                break
    return webhooks.DeliveryReport(delivered=delivered, retrying=retrying, given_up=given_up)


async def deliver_webhooks(_ctx: dict[str, Any], max_batches: int = 10) -> dict[str, int]:
    """Deliver due webhook events (blocking HTTP and database work runs in a thread)."""
    report = await asyncio.to_thread(_deliver_batches, max_batches)
    if report.delivered or report.retrying or report.given_up:
        log.info(
            "webhooks: %d delivered, %d to retry, %d given up",
            report.delivered,
            report.retrying,
            report.given_up,
        )
    return {
        "delivered": report.delivered,
        "retrying": report.retrying,
        "given_up": report.given_up,
    }
