"""A supplier's own view of its account in chat: its offers with their leads, and the pause.

A paused supplier takes no new leads: its offers drop out of the ranking
(marketplace.search) and `create_lead` refuses them, until it resumes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketplace.models import Lead, Offer, Supplier
from marketplace.transaction_cache import forget_transaction_cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfferLeads:
    """One of the supplier's offers and how many leads it brought."""

    offer_id: int
    title: str
    active: bool
    leads: int


def offers_with_leads(session: Session, supplier_id: int) -> list[OfferLeads]:
    """The supplier's offers, most leads first, with how many leads each brought."""
    counted = (
        select(Offer.id, Offer.title, Offer.active, func.count(Lead.id))
        .outerjoin(Lead, Lead.offer_id == Offer.id)
        .where(Offer.supplier_id == supplier_id)
        .group_by(Offer.id, Offer.title, Offer.active)
        .order_by(func.count(Lead.id).desc(), Offer.title)
    )
    return [OfferLeads(*row) for row in session.execute(counted)]


def is_accepting_leads(session: Session, supplier_id: int) -> bool:
    """Whether the supplier takes new leads now."""
    return bool(session.scalar(select(Supplier.accepting_leads).where(Supplier.id == supplier_id)))


def set_accepting_leads(session: Session, supplier_id: int, accepting: bool) -> None:
    """Pause (False) or resume (True) new leads for the supplier."""
    session.execute(
        update(Supplier).where(Supplier.id == supplier_id).values(accepting_leads=accepting)
    )
    # Offers and rankings read earlier in this transaction still show the old state.
    forget_transaction_cache(session)
    logger.info("supplier %s %s leads", supplier_id, "resumed" if accepting else "paused")
