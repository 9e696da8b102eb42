"""The next-best offer for a consumer whose lead was declined or missed.

The consumer's situation is the lead's (state, distributor, bill or kWh); suppliers they
already asked are left out, so a decline never brings the same company back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.bills import BillAmount, BillError, Consumption, MonthlyKwh
from marketplace.clock import Clock
from marketplace.models import Lead, Offer
from marketplace.search import MAX_PAGE_SIZE, RankedOffer, search_offers


def next_best_offer(session: Session, lead_id: int, clock: Clock) -> RankedOffer | None:
    """The best-ranked offer, open now, of a supplier the consumer has not asked yet."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    asked = set(
        session.scalars(select(Lead.supplier_id).where(Lead.consumer_id == lead.consumer_id))
    )
    for offer in _offers_for(session, lead, clock):
        if offer.available_now and _supplier_of(session, offer.offer_id) not in asked:
            return offer
    return None


def offered_for_lead(session: Session, lead_id: int, offer_id: int, clock: Clock) -> bool:
    """Whether the offer is among those for the lead's situation (state, distributor, bill):
    a "see this offer" button names one, and a forged one must not open any other."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return False
    return any(offer.offer_id == offer_id for offer in _offers_for(session, lead, clock))


def _offers_for(session: Session, lead: Lead, clock: Clock) -> tuple[RankedOffer, ...]:
    """Every offer for the lead's situation, best first (none if its bill is unusable)."""
    consumption = _consumption(lead)
    if consumption is None:
        return ()
    try:
        result = search_offers(
            session,
            distributor_id=lead.distributor_id,
            uf=lead.uf,
            consumption=consumption,
            clock=clock,
            page_size=MAX_PAGE_SIZE,
        )
    except BillError:
        return ()
    return result.offers


def _consumption(lead: Lead) -> Consumption | None:
    if lead.bill_brl is not None:
        return BillAmount(lead.bill_brl)
    if lead.monthly_kwh is not None:
        return MonthlyKwh(lead.monthly_kwh)
    return None


def _supplier_of(session: Session, offer_id: int) -> int | None:
    return session.scalar(select(Offer.supplier_id).where(Offer.id == offer_id))
