"""Leads: a consumer asking the supplier of one offer to contact them.

A lead rests on a consent to share the consumer's name and contact with THAT supplier, so
the consent is recorded first and the lead points at it. Asking twice for the same offer
returns the first lead: `leads` is unique on (consumer_id, offer_id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.consents import (
    PRIVACY_TERMS,
    MissingConsent,
    has_privacy_consent,
    privacy_consent_standing,
    record_share_consent,
)
from marketplace.consumers import round_kwh
from marketplace.models import Contract, Lead, Offer, Supplier
from marketplace.money import round_centavos
from marketplace.search import is_available_now

logger = logging.getLogger(__name__)


class LeadStatus(StrEnum):
    """Where a lead stands; a waitlist lead waits for the offer to open to homes.

    A new lead waits for the supplier's answer until `respond_by`: accepted or declined by
    an agent, or missed when the time ran out (marketplace.lead_responses).
    """

    NEW = "new"
    WAITLIST = "waitlist"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MISSED = "missed"


class OfferUnavailable(LookupError):
    """The offer is unknown, withdrawn, or its supplier takes no leads now."""

    def __init__(self, offer_id: int) -> None:
        super().__init__(f"offer {offer_id} takes no leads")
        self.offer_id = offer_id


@dataclass(frozen=True)
class LeadContact:
    """How the supplier may reach the consumer: a name and a phone or an e-mail."""

    name: str
    phone: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if not self.name or (self.phone is None and self.email is None):
            raise ValueError("a lead contact needs a name and a phone or an e-mail")


@dataclass(frozen=True)
class LeadRequest:
    """Everything a lead records about the consumer's situation when they asked."""

    consumer_id: int
    offer_id: int
    contact: LeadContact
    uf: str
    distributor_id: int
    monthly_kwh: Decimal | None
    bill_brl: Decimal | None
    monthly_saving_brl: Decimal | None
    conversation_id: int | None = None  # where the supplier's answers go back to


@dataclass(frozen=True)
class LeadRecord:
    """A recorded lead; `created` is False when it was there from an earlier request."""

    id: int
    offer_id: int
    supplier_id: int
    consent_id: int
    status: str
    created_at: datetime
    created: bool
    conversation_id: int | None
    respond_by: datetime | None


def create_lead(session: Session, request: LeadRequest, now: datetime) -> LeadRecord:
    """Record the consent to share with the offer's supplier, then the lead, once.

    Raises:
        MissingConsent: when the consumer has not accepted the privacy terms.
        OfferUnavailable: when the offer takes no leads.
    """
    existing = find_lead(session, request.consumer_id, request.offer_id)
    if existing is not None:
        return existing
    offer = _open_offer(session, request.offer_id, request.consumer_id)

    try:
        with session.begin_nested():
            lead = _insert(session, request, offer, now)
    except IntegrityError:
        # Another transaction recorded the same request first; theirs is the lead.
        logger.info(
            "lead of consumer %s for offer %s already recorded",
            request.consumer_id,
            request.offer_id,
        )
        raced = find_lead(session, request.consumer_id, request.offer_id)
        assert raced is not None
        return raced
    logger.info("lead %s recorded for offer %s (%s)", lead.id, offer.id, lead.status)
    return lead


def find_lead(session: Session, consumer_id: int, offer_id: int) -> LeadRecord | None:
    """The consumer's lead for this offer, if they asked for it before."""
    row = session.execute(
        select(
            Lead.id,
            Lead.offer_id,
            Lead.supplier_id,
            Lead.consent_id,
            Lead.status,
            Lead.created_at,
            Lead.conversation_id,
            Lead.respond_by,
        ).where(Lead.consumer_id == consumer_id, Lead.offer_id == offer_id)
    ).one_or_none()
    if row is None:
        return None
    return LeadRecord(
        id=row.id,
        offer_id=row.offer_id,
        supplier_id=row.supplier_id,
        consent_id=row.consent_id,
        status=row.status,
        created_at=row.created_at,
        created=False,
        conversation_id=row.conversation_id,
        respond_by=row.respond_by,
    )


def _open_offer(session: Session, offer_id: int, consumer_id: int) -> _OpenOffer:
    # The consumer's consent and the offer in one round trip; the consent is checked first.
    row = session.execute(
        select(
            privacy_consent_standing(consumer_id).label("consented"),
            Offer.id,
            Offer.kind,
            Offer.supplier_id,
            Offer.active,
            Supplier.accepting_leads,
            Supplier.response_hours,
        )
        .select_from(Offer)
        .join(Offer.supplier)
        .where(Offer.id == offer_id)
    ).one_or_none()
    consented = row.consented if row is not None else has_privacy_consent(session, consumer_id)
    if not consented:
        raise MissingConsent(consumer_id, PRIVACY_TERMS)
    if row is None or not row.active or not row.accepting_leads:
        raise OfferUnavailable(offer_id)
    return _OpenOffer(row.id, row.kind, row.supplier_id, row.response_hours)


@dataclass(frozen=True)
class _OpenOffer:
    id: int
    kind: str
    supplier_id: int
    response_hours: int


def _insert(
    session: Session, request: LeadRequest, offer: _OpenOffer, now: datetime
) -> LeadRecord:
    consent_id = record_share_consent(session, request.consumer_id, offer.supplier_id, now)
    contact = request.contact
    status = LeadStatus.NEW if is_available_now(offer.kind) else LeadStatus.WAITLIST
    # The supplier's response time runs from now; a waitlist lead has nothing to answer yet.
    respond_by = now + timedelta(hours=offer.response_hours) if status is LeadStatus.NEW else None
    statement = (
        insert(Lead)
        .values(
            consumer_id=request.consumer_id,
            offer_id=offer.id,
            supplier_id=offer.supplier_id,
            consent_id=consent_id,
            status=status,
            contact_name=contact.name,
            contact_phone=contact.phone,
            contact_email=contact.email,
            uf=request.uf,
            distributor_id=request.distributor_id,
            monthly_kwh=_maybe(round_kwh, request.monthly_kwh),
            bill_brl=_maybe(round_centavos, request.bill_brl),
            monthly_saving_brl=_maybe(round_centavos, request.monthly_saving_brl),
            created_at=now,
            conversation_id=request.conversation_id,
            respond_by=respond_by,
        )
        .returning(Lead.id)
    )
    lead_id: int = session.execute(statement).scalar_one()
    return LeadRecord(
        id=lead_id,
        offer_id=offer.id,
        supplier_id=offer.supplier_id,
        consent_id=consent_id,
        status=status,
        created_at=now,
        created=True,
        conversation_id=request.conversation_id,
        respond_by=respond_by,
    )


def has_requests(session: Session, consumer_id: int) -> bool:
    """Whether this consumer ever asked a supplier for anything: a lead or a contract."""
    lead = select(Lead.id).where(Lead.consumer_id == consumer_id).limit(1)
    contract = select(Contract.id).where(Contract.consumer_id == consumer_id).limit(1)
    return (
        session.execute(lead).first() is not None or session.execute(contract).first() is not None
    )


def _maybe(rounding: Callable[[Decimal], Decimal], amount: Decimal | None) -> Decimal | None:
    return rounding(amount) if amount is not None else None
