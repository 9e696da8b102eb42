"""A supplier's answer to a lead: accepted, declined with a reason, or missed by the timer.

Each change is one conditional UPDATE on the lead's status, so when two agents tap accept
at once, or an agent answers as the timer fires, exactly one of them changes the lead and
the others learn that it was already answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketplace.leads import LeadStatus
from marketplace.models import Lead, LeadMessage, Supplier

logger = logging.getLogger(__name__)

MAX_REASON = 200
SUPPLIER, CONSUMER = "supplier", "consumer"


@dataclass(frozen=True)
class RelayedMessage:
    """One line of the conversation between a supplier and a consumer about a lead."""

    sender: str  # SUPPLIER | CONSUMER
    body: str
    created_at: datetime


def accept_lead(
    session: Session, lead_id: int, *, supplier_id: int, agent_id: int, now: datetime
) -> bool:
    """Accept the lead for this agent; False when it was answered (or missed) already."""
    won = _answer(
        session,
        lead_id,
        supplier_id,
        status=LeadStatus.ACCEPTED,
        values={"agent_id": agent_id, "accepted_at": now},
    )
    if won:
        logger.info("lead %s accepted by agent %s", lead_id, agent_id)
    return won


def decline_lead(
    session: Session,
    lead_id: int,
    *,
    supplier_id: int,
    agent_id: int,
    reason: str,
    now: datetime,
) -> bool:
    """Decline the lead with a reason; False when it was answered (or missed) already."""
    won = _answer(
        session,
        lead_id,
        supplier_id,
        status=LeadStatus.DECLINED,
        values={"agent_id": agent_id, "declined_at": now, "decline_reason": reason[:MAX_REASON]},
    )
    if won:
        logger.info("lead %s declined by agent %s", lead_id, agent_id)
    return won


def lead_status(session: Session, lead_id: int, *, hold: bool = False) -> str | None:
    """The lead's status now, or None when there is no such lead.

    `hold` keeps it until the transaction ends (FOR SHARE): an answer or a miss waits, so a
    message relayed on the strength of it reaches the other side before the news that the
    lead is closed, never after.
    """
    statement = select(Lead.status).where(Lead.id == lead_id)
    if hold:
        statement = statement.with_for_update(read=True)
    return session.scalar(statement)


def record_lead_message(
    session: Session,
    lead_id: int,
    *,
    sender: str,
    body: str,
    now: datetime,
    agent_id: int | None = None,
) -> None:
    """Keep one relayed message in the lead's transcript."""
    session.add(
        LeadMessage(lead_id=lead_id, sender=sender, agent_id=agent_id, body=body, created_at=now)
    )
    session.flush()


def lead_transcript(session: Session, lead_id: int) -> list[RelayedMessage]:
    """Every message relayed about the lead, in order."""
    rows = session.scalars(
        select(LeadMessage).where(LeadMessage.lead_id == lead_id).order_by(LeadMessage.id)
    )
    return [RelayedMessage(row.sender, row.body, row.created_at) for row in rows]


def miss_overdue_leads(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Mark new leads whose response time ran out as missed; return their ids.

    Rows are locked with `SKIP LOCKED` on PostgreSQL, so several processes sweeping at once
    share the work and never miss one lead twice; the supplier's record counts each miss.
    """
    due = session.scalars(
        select(Lead.id)
        .where(Lead.status == LeadStatus.NEW, Lead.respond_by <= now)
        .order_by(Lead.respond_by, Lead.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    missed: list[int] = []
    for lead_id in due:
        supplier_id = session.scalar(
            update(Lead)
            .where(Lead.id == lead_id, Lead.status == LeadStatus.NEW)
            .values(status=LeadStatus.MISSED, missed_at=now)
            .returning(Lead.supplier_id)
        )
        if supplier_id is None:
            continue  # answered between the select and the update (SQLite has no row locks)
        session.execute(
            update(Supplier)
            .where(Supplier.id == supplier_id)
            .values(missed_leads=Supplier.missed_leads + 1)
        )
        missed.append(lead_id)
    if missed:
        logger.info("%s leads missed their response time", len(missed))
    return missed


def _answer(
    session: Session, lead_id: int, supplier_id: int, *, status: str, values: dict[str, object]
) -> bool:
    answered = session.scalar(
        update(Lead)
        .where(
            Lead.id == lead_id,
            Lead.supplier_id == supplier_id,
            Lead.status == LeadStatus.NEW,
        )
        .values(status=status, **values)
        .returning(Lead.id)
    )
    return answered is not None
