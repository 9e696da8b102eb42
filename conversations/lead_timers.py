"""The supplier's response time: leads nobody answered in time are missed, and the consumer
is offered the next-best offer.

The deadline is the lead's `respond_by` column, so it survives restarts; the sweep is safe
to run in every app process at once (marketplace.lead_responses locks with SKIP LOCKED).
Each sweep is one transaction: the leads it marks and the messages it writes commit
together.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from conversations.events import Reply
from conversations.flow import Notification
from conversations.lead_card import to_agents
from conversations.lead_news import missed_news
from marketplace.clock import Clock
from marketplace.lead_responses import miss_overdue_leads
from marketplace.lead_views import load_lead_view
from marketplace.notifications import NotificationKind

logger = logging.getLogger(__name__)

SWEEP_BATCH = 100


def sweep_overdue_leads(
    sessions: sessionmaker[Session], clock: Clock, *, limit: int = SWEEP_BATCH
) -> int:
    """Mark leads past their response time as missed and tell both sides; how many."""
    with sessions.begin() as session:
        now = clock.now()
        missed = miss_overdue_leads(session, now, limit=limit)
        for lead_id in missed:
            for note in _news_of_miss(session, lead_id, clock):
                note.write(session, now)
    return len(missed)


def _news_of_miss(session: Session, lead_id: int, clock: Clock) -> list[Notification]:
    lead = load_lead_view(session, lead_id)
    if lead is None:
        return []
    notes = list(missed_news(session, lead, clock))
    notes.extend(
        to_agents(
            session,
            lead.supplier_id,
            lambda translator: Reply(
                translator.gettext(
                    "Lead #{number} passed its response time; the consumer was offered another."
                ).format(number=lead.id)
            ),
            kind=NotificationKind.NOTICE,
            data={"lead_id": str(lead.id)},
        )
    )
    return notes
