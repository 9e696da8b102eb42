"""Delivery statuses from WhatsApp, applied to the outbox rows they are about.

`sent`, `delivered` and `read` are recorded as they come. A `failed` status is a message
Meta accepted and then could not deliver; its error code says what to do, exactly as if
Meta had refused it when we sent it. Statuses never reach the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.whatsapp import CHANNEL
from bot.whatsapp.errors import Remedy, remedy_for
from bot.whatsapp.inbound import StatusReport
from bot.whatsapp.sender import PAIR_PAUSE, THROUGHPUT_PAUSE
from marketplace import deliveries, identities, outbox

logger = logging.getLogger(__name__)


def apply_statuses(session: Session, reports: Sequence[StatusReport], now: datetime) -> int:
    """Apply each report to its outbox row; how many named a row of ours."""
    matched = 0
    for report in reports:
        row = deliveries.find_reported(session, CHANNEL, report.message_id)
        if row is None:
            logger.debug("status %s for a message that is not ours", report.status)
            continue
        matched += 1
        if report.status in (deliveries.ACCEPTED, deliveries.DELIVERED, deliveries.READ):
            deliveries.note_progress(session, row.id, report.status)
        elif report.status == deliveries.UNDELIVERED:
            _undelivered(session, row, report, now)
    return matched


def _undelivered(
    session: Session, row: deliveries.ReportedMessage, report: StatusReport, now: datetime
) -> None:
    deliveries.note_failure(session, row.id, f"WhatsApp {report.error_code}: {report.error_title}")
    remedy = remedy_for(report.error_code)
    logger.warning("outbox %s undelivered: code %s", row.id, report.error_code)
    if remedy is Remedy.TEMPLATE:
        deliveries.requeue(session, row.id, now, needs_template=True)
    elif remedy in (Remedy.SLOW_DOWN, Remedy.BACK_OFF, Remedy.RETRY):
        pause = timedelta(seconds=max(THROUGHPUT_PAUSE, PAIR_PAUSE))
        deliveries.requeue(session, row.id, now + max(pause, outbox.retry_delay(row.attempts)))
    elif remedy is Remedy.UNREACHABLE:
        identities.mark_unreachable(session, (CHANNEL, row.recipient))
        deliveries.give_up(session, row.id, also_held=True)
    else:
        deliveries.give_up(session, row.id)
