"""The offers a consumer may sign, ranked by what they would save."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from marketplace.bills import (
    DEFAULT_TAXES,
    BillAmount,
    BillEstimate,
    Consumption,
    Phase,
    TaxAssumptions,
    estimate_bill,
)
from marketplace.clock import Clock
from marketplace.geography import DistributorRef, distributor_ref
from marketplace.models import Offer, OfferDistributor, OfferState, Supplier
from marketplace.money import round_centavos
from marketplace.savings import (
    OfferKind,
    OfferNotPriced,
    OfferPrice,
    SavingEstimate,
    estimate_saving,
)
from marketplace.tariffs import NoTariff, current_price_basis
from marketplace.transaction_cache import transaction_cache

logger = logging.getLogger(__name__)

RESIDENTIAL = "residential"
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class RankedOffer:
    """One eligible offer with the saving it brings this consumer (None when unknown)."""

    offer_id: int
    offer_code: str
    supplier_name: str
    supplier_cnpj: str
    supplier_is_demo: bool
    kind: str
    title: str
    loyalty_months: int
    rating: Decimal | None
    sign_directly: bool
    available_now: bool
    saving: SavingEstimate | None

    @property
    def monthly_saving_brl(self) -> Decimal | None:
        """The estimated saving each month."""
        return self.saving.monthly_saving_brl if self.saving else None

    @property
    def yearly_saving_brl(self) -> Decimal | None:
        """Twelve months of the monthly saving."""
        return self.saving.yearly_saving_brl if self.saving else None

    @property
    def new_bill_brl(self) -> Decimal | None:
        """The bill after the saving."""
        return self.saving.new_bill_brl if self.saving else None


@dataclass(frozen=True)
class OfferSearchResult:
    """One page of ranked offers, with the bill estimate they were ranked on.

    `estimate` is None when the distributor has no tariff at all: offers are then listed
    without savings, best rated first.
    """

    uf: str
    distributor: DistributorRef
    estimate: BillEstimate | None
    current_bill_brl: Decimal | None
    offers: tuple[RankedOffer, ...]
    total: int
    page: int
    page_size: int


def search_offers(
    session: Session,
    *,
    distributor_id: int,
    uf: str,
    consumption: Consumption,
    clock: Clock,
    page: int = 1,
    page_size: int = 5,
    taxes: TaxAssumptions = DEFAULT_TAXES,
    phase: Phase = Phase.SINGLE,
) -> OfferSearchResult:
    """Rank the offers the consumer may sign by estimated monthly saving, one page at a time.

    Raises:
        ValueError: for a page below 1 or a page size outside 1 to MAX_PAGE_SIZE.
        BillError: when the consumption cannot be turned into a bill (marketplace.bills).
    """
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page must be 1 or more and page_size 1 to {MAX_PAGE_SIZE}")
    distributor = _distributor(session, distributor_id)
    estimate = _estimate(session, distributor, consumption, clock, taxes, phase)
    current_bill = _current_bill(consumption, estimate)

    # Without a bill (kWh given, no tariff to price it), only offers with no minimum fit.
    floor = current_bill if current_bill is not None else Decimal(0)
    eligible = _eligible(session, distributor_id=distributor_id, uf=uf)
    ranked = sorted(
        (_rank(offer, estimate) for offer in eligible if offer.min_bill_brl <= floor),
        key=_ranking_key,
    )

    start = (page - 1) * page_size
    return OfferSearchResult(
        uf=uf,
        distributor=distributor,
        estimate=estimate,
        current_bill_brl=current_bill,
        offers=tuple(ranked[start : start + page_size]),
        total=len(ranked),
        page=page,
        page_size=page_size,
    )


def is_available_now(kind: str) -> bool:
    """Whether a residential consumer can sign this kind of offer today.

    Low-voltage consumers reach the free market only by law, within 36 months of Nov 2025
    for homes and on dates regulation has yet to set; until then it is "notify me" only.
    """
    return kind != OfferKind.FREE_MARKET


def _distributor(session: Session, distributor_id: int) -> DistributorRef:
    found = distributor_ref(session, distributor_id)
    if found is None:
        raise LookupError(f"no distributor {distributor_id}")
    return found


def _estimate(
    session: Session,
    distributor: DistributorRef,
    consumption: Consumption,
    clock: Clock,
    taxes: TaxAssumptions,
    phase: Phase,
) -> BillEstimate | None:
    try:
        basis = current_price_basis(session, distributor, clock)
    except NoTariff:
        logger.info("distributor %s has no tariff; offers listed without savings", distributor.id)
        return None
    return estimate_bill(consumption, basis, taxes=taxes, phase=phase)


def _current_bill(consumption: Consumption, estimate: BillEstimate | None) -> Decimal | None:
    if isinstance(consumption, BillAmount):
        return round_centavos(consumption.brl)
    return estimate.bill_brl if estimate else None


@dataclass(frozen=True)
class _Candidate:
    """An active offer open to a state's homes, with what ranking it needs to know."""

    offer_id: int
    offer_code: str
    kind: str
    title: str
    loyalty_months: int
    sign_directly: bool
    min_bill_brl: Decimal
    price: OfferPrice
    supplier_name: str
    supplier_cnpj: str
    supplier_is_demo: bool
    rating: Decimal | None


def _eligible(session: Session, *, distributor_id: int, uf: str) -> tuple[_Candidate, ...]:
    # Once per transaction and place: a batch ranks many bills against the same offers, and
    # so does a consumer paging through them (marketplace.transaction_cache).
    known = transaction_cache(session, "eligible_offers")
    key = (uf, distributor_id)
    if key not in known:
        known[key] = _read_eligible(session, distributor_id=distributor_id, uf=uf)
    candidates: tuple[_Candidate, ...] = known[key]
    return candidates


def _read_eligible(session: Session, *, distributor_id: int, uf: str) -> tuple[_Candidate, ...]:
    serves_state = exists().where(OfferState.offer_id == Offer.id, OfferState.uf == uf)
    limited_to_areas = exists().where(OfferDistributor.offer_id == Offer.id)
    serves_distributor = exists().where(
        OfferDistributor.offer_id == Offer.id, OfferDistributor.distributor_id == distributor_id
    )
    statement = (
        select(
            Offer.id,
            Offer.code,
            Offer.kind,
            Offer.title,
            Offer.loyalty_months,
            Offer.sign_directly,
            Offer.min_bill_brl,
            Offer.discount_pct,
            Offer.energy_price_rs_mwh,
            Offer.price_per_kwp_brl,
            Supplier.name,
            Supplier.cnpj,
            Supplier.is_demo,
            Supplier.rating,
        )
        .join(Offer.supplier)
        .where(
            Offer.active.is_(True),
            Supplier.accepting_leads.is_(True),
            Offer.consumer_class == RESIDENTIAL,
            serves_state,
            or_(~limited_to_areas, serves_distributor),
        )
    )
    return tuple(
        _Candidate(
            offer_id=row.id,
            offer_code=row.code,
            kind=row.kind,
            title=row.title,
            loyalty_months=row.loyalty_months,
            sign_directly=row.sign_directly,
            min_bill_brl=row.min_bill_brl,
            price=OfferPrice(
                kind=row.kind,
                discount_pct=row.discount_pct,
                energy_price_rs_mwh=row.energy_price_rs_mwh,
                price_per_kwp_brl=row.price_per_kwp_brl,
            ),
            supplier_name=row.name,
            supplier_cnpj=row.cnpj,
            supplier_is_demo=row.is_demo,
            rating=row.rating,
        )
        for row in session.connection().execute(statement)
    )


def _rank(offer: _Candidate, estimate: BillEstimate | None) -> RankedOffer:
    return RankedOffer(
        offer_id=offer.offer_id,
        offer_code=offer.offer_code,
        supplier_name=offer.supplier_name,
        supplier_cnpj=offer.supplier_cnpj,
        supplier_is_demo=offer.supplier_is_demo,
        kind=offer.kind,
        title=offer.title,
        loyalty_months=offer.loyalty_months,
        rating=offer.rating,
        sign_directly=offer.sign_directly,
        available_now=is_available_now(offer.kind),
        saving=_saving(offer, estimate),
    )


def _saving(offer: _Candidate, estimate: BillEstimate | None) -> SavingEstimate | None:
    if estimate is None:
        return None
    try:
        return estimate_saving(offer.price, estimate)
    except OfferNotPriced as error:
        logger.warning("offer %s left without a saving: %s", offer.offer_id, error)
        return None


def _ranking_key(offer: RankedOffer) -> tuple[int, Decimal, bool, Decimal, int]:
    # Offers that save something first, best saving first; then those whose saving is
    # unknown; last those known to save nothing or to cost more, as an offer that does not
    # pay is worth less than one not yet priced. Then best rating; id breaks ties.
    saving = offer.monthly_saving_brl
    group = 1 if saving is None else 0 if saving > 0 else 2
    return (
        group,
        -(saving or Decimal(0)),
        offer.rating is None,
        -(offer.rating or Decimal(0)),
        offer.offer_id,
    )
