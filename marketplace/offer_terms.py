"""An offer as a consumer reads it: its terms, what it saves on their bill, its exit fee.

The fact sheet of DOMAIN.md shows every offer with the same fields in the same order; this
module gathers them, prices the offer for one consumer, and works out the cancellation fee
(multa) of leaving during the loyalty period.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from marketplace.bills import (
    DEFAULT_TAXES,
    HUNDRED,
    BillEstimate,
    Consumption,
    Phase,
    TaxAssumptions,
    estimate_bill,
)
from marketplace.clock import Clock
from marketplace.geography import DistributorRef, distributor_ref, known_as
from marketplace.models import Offer, OfferDistributor, OfferState, Supplier
from marketplace.money import round_centavos
from marketplace.savings import OfferKind, OfferNotPriced, OfferPrice, SavingEstimate
from marketplace.savings import estimate_saving as price_saving
from marketplace.search import is_available_now
from marketplace.tariffs import NoTariff, current_price_basis
from marketplace.transaction_cache import transaction_cache


@dataclass(frozen=True)
class OfferTerms:
    """Every fact-sheet field of one offer, with who sells it."""

    offer_id: int
    kind: str
    title: str
    supplier_id: int
    supplier_name: str
    response_hours: int
    discount_pct: Decimal | None
    energy_price_rs_mwh: Decimal | None
    price_per_kwp_brl: Decimal | None
    loyalty_months: int
    cancellation_fee_pct: Decimal | None
    notice_days: int
    starts_in_days: int
    readjustment: str
    two_bills: bool
    consumer_class: str
    min_bill_brl: Decimal
    states: tuple[str, ...]
    distributors: tuple[str, ...]  # names as on the bill; empty: every one of the states
    sign_directly: bool = False  # the consumer signs at once: no call from the supplier first

    @property
    def available_now(self) -> bool:
        """Whether a home can sign it today (free market is a waitlist for now)."""
        return is_available_now(self.kind)

    @property
    def price(self) -> OfferPrice:
        """The price columns the saving is worked out from."""
        return OfferPrice(
            kind=self.kind,
            discount_pct=self.discount_pct,
            energy_price_rs_mwh=self.energy_price_rs_mwh,
            price_per_kwp_brl=self.price_per_kwp_brl,
        )


@dataclass(frozen=True)
class OfferQuote:
    """An offer's terms priced for one consumer; no estimate when there is no tariff."""

    terms: OfferTerms
    distributor: DistributorRef
    estimate: BillEstimate | None
    saving: SavingEstimate | None


def load_offer_terms(session: Session, offer_id: int) -> OfferTerms | None:
    """The terms of an offer open to consumers, or None when it is withdrawn or unknown.

    Read once per transaction (marketplace.transaction_cache): a batch of messages about
    the same offer costs one read.
    """
    known = transaction_cache(session, "offer_terms")
    if offer_id not in known:
        known[offer_id] = _read_offer_terms(session, offer_id)
    terms: OfferTerms | None = known[offer_id]
    return terms


def _read_offer_terms(session: Session, offer_id: int) -> OfferTerms | None:
    # One statement: the offer, its supplier, and its states and distributors as lists.
    states = (
        select(func.aggregate_strings(OfferState.uf, ","))
        .where(OfferState.offer_id == Offer.id)
        .scalar_subquery()
    )
    distributor_ids = (
        select(func.aggregate_strings(cast(OfferDistributor.distributor_id, String), ","))
        .where(OfferDistributor.offer_id == Offer.id)
        .scalar_subquery()
    )
    row = session.execute(
        select(
            Offer,
            Supplier.name,
            Supplier.response_hours,
            Supplier.accepting_leads,
            states.label("states"),
            distributor_ids.label("distributor_ids"),
        )
        .join(Offer.supplier)
        .where(Offer.id == offer_id)
    ).one_or_none()
    if row is None or not row.Offer.active or not row.accepting_leads:
        return None
    offer: Offer = row.Offer
    return OfferTerms(
        offer_id=offer.id,
        kind=offer.kind,
        title=offer.title,
        supplier_id=offer.supplier_id,
        supplier_name=row.name,
        response_hours=row.response_hours,
        discount_pct=offer.discount_pct,
        energy_price_rs_mwh=offer.energy_price_rs_mwh,
        price_per_kwp_brl=offer.price_per_kwp_brl,
        loyalty_months=offer.loyalty_months,
        cancellation_fee_pct=offer.cancellation_fee_pct,
        notice_days=offer.notice_days,
        starts_in_days=offer.starts_in_days,
        readjustment=offer.readjustment,
        two_bills=offer.two_bills,
        consumer_class=offer.consumer_class,
        min_bill_brl=offer.min_bill_brl,
        states=tuple(sorted(_listed(row.states))),
        distributors=_distributor_names(
            session, [int(id_) for id_ in _listed(row.distributor_ids)]
        ),
        sign_directly=offer.sign_directly,
    )


def _listed(joined: str | None) -> list[str]:
    return joined.split(",") if joined else []


def quote_offer(
    session: Session,
    offer_id: int,
    *,
    distributor_id: int,
    consumption: Consumption,
    clock: Clock,
    taxes: TaxAssumptions = DEFAULT_TAXES,
    phase: Phase = Phase.SINGLE,
) -> OfferQuote | None:
    """Price an offer for a consumer of this distributor, as the offer search does.

    Returns None when the offer is withdrawn or unknown.

    Raises:
        BillError: when the consumption cannot be turned into a bill (marketplace.bills).
    """
    terms = load_offer_terms(session, offer_id)
    distributor = distributor_ref(session, distributor_id)
    if terms is None or distributor is None:
        return None
    try:
        basis = current_price_basis(session, distributor, clock)
    except NoTariff:
        return OfferQuote(terms, distributor, estimate=None, saving=None)

    estimate = estimate_bill(consumption, basis, taxes=taxes, phase=phase)
    try:
        saving = price_saving(terms.price, estimate)
    except OfferNotPriced:
        saving = None
    return OfferQuote(terms, distributor, estimate, saving)


def supplier_bill(saving: SavingEstimate) -> Decimal | None:
    """What the consumer would pay the supplier each month; None for a solar purchase.

    A subscription bills the credited energy less the discount; a trader bills its energy
    price. Both are the value of the energy replaced, as shown, less the saving.
    """
    if saving.kind == OfferKind.SOLAR:
        return None
    return round_centavos(saving.base_value_brl) - saving.monthly_saving_brl


def cancellation_fee(
    terms: OfferTerms, saving: SavingEstimate | None, *, leaving_month: int
) -> Decimal | None:
    """The fee of leaving in `leaving_month` of the loyalty period, when one can be worked out.

    The catalog's rule: a percentage of the supplier bills estimated for the loyalty months
    still remaining. None when the offer has no loyalty or no fee, or no monthly bill.
    """
    if not terms.loyalty_months or terms.cancellation_fee_pct is None or saving is None:
        return None
    monthly = supplier_bill(saving)
    if monthly is None:
        return None
    remaining = max(0, terms.loyalty_months - leaving_month)
    return round_centavos(terms.cancellation_fee_pct / HUNDRED * remaining * monthly)


def _distributor_names(session: Session, distributor_ids: list[int]) -> tuple[str, ...]:
    refs = (distributor_ref(session, distributor_id) for distributor_id in distributor_ids)
    return tuple(sorted(known_as(ref) for ref in refs if ref is not None))
