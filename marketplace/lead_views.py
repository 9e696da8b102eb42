"""What a supplier's agent may see of a lead: the situation, and the contact only by consent.

The consumer agreed to share their name and the contact they gave with the lead's supplier
(marketplace.consents); a revoked consent hides them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from marketplace.consents import SHARE_WITH_SUPPLIER
from marketplace.geography import DistributorRef, known_as
from marketplace.models import Consent, Distributor, Lead, Offer, State, Supplier


@dataclass(frozen=True)
class SharedContact:
    """The name and contact the consumer agreed to give this supplier."""

    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class LeadView:
    """A lead as its supplier's agents see it."""

    id: int
    status: str
    supplier_id: int
    supplier_name: str
    offer_id: int
    offer_title: str
    offer_kind: str
    uf: str
    state_name: str
    distributor_name: str  # as the consumer's chat names it (marketplace.geography.known_as)
    monthly_kwh: Decimal | None
    bill_brl: Decimal | None
    monthly_saving_brl: Decimal | None
    created_at: datetime
    respond_by: datetime | None
    conversation_id: int | None
    contact: SharedContact | None
    consumer_id: int = 0


def load_lead_view(session: Session, lead_id: int, *, hold: bool = False) -> LeadView | None:
    """The lead with this id, as an agent sees it, or None when there is none.

    `hold` keeps the lead from being deleted until the transaction ends, for one that shows
    it to someone: forgetting its consumer (marketplace.erasure) then waits, and finds the
    copies written, instead of missing them while they are not committed yet; one that
    comes second finds no lead.
    """
    statement = _query().where(Lead.id == lead_id)
    if hold:
        statement = statement.with_for_update(read=True, key_share=True, of=Lead)
    row = session.execute(statement).first()
    return _view(session, *row) if row else None


def open_leads(session: Session, supplier_id: int, *, limit: int = 20) -> list[LeadView]:
    """The supplier's leads still waiting for an answer, oldest first."""
    rows = session.execute(
        _query()
        .where(Lead.supplier_id == supplier_id, Lead.status == "new")
        .order_by(Lead.created_at, Lead.id)
        .limit(limit)
    )
    return [_view(session, *row) for row in rows]


def _query() -> Select[Lead, Offer, str, str, Distributor]:
    return (
        select(Lead, Offer, Supplier.name, State.name, Distributor)
        .join(Offer, Offer.id == Lead.offer_id)
        .join(Supplier, Supplier.id == Lead.supplier_id)
        .join(State, State.uf == Lead.uf)
        .join(Distributor, Distributor.id == Lead.distributor_id)
    )


def _view(
    session: Session,
    lead: Lead,
    offer: Offer,
    supplier: str,
    state: str,
    distributor: Distributor,
) -> LeadView:
    return LeadView(
        id=lead.id,
        status=lead.status,
        supplier_id=lead.supplier_id,
        supplier_name=supplier,
        offer_id=offer.id,
        offer_title=offer.title,
        offer_kind=offer.kind,
        uf=lead.uf,
        state_name=state,
        distributor_name=known_as(
            DistributorRef(distributor.id, distributor.sigla, distributor.name, distributor.cnpj)
        ),
        monthly_kwh=lead.monthly_kwh,
        bill_brl=lead.bill_brl,
        monthly_saving_brl=lead.monthly_saving_brl,
        created_at=lead.created_at,
        respond_by=lead.respond_by,
        conversation_id=lead.conversation_id,
        contact=_shared_contact(session, lead),
        consumer_id=lead.consumer_id,
    )


def _shared_contact(session: Session, lead: Lead) -> SharedContact | None:
    consent = session.get(Consent, lead.consent_id)
    if (
        consent is None
        or consent.revoked_at is not None
        or consent.purpose != SHARE_WITH_SUPPLIER
        or consent.supplier_id != lead.supplier_id
    ):
        return None
    return SharedContact(lead.contact_name, lead.contact_phone, lead.contact_email)
