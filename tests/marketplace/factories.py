"""Suppliers and offers written straight to the database, for tests that need a catalog."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.documents import cnpj_check_digits
from marketplace.models import Distributor, Offer, OfferDistributor, OfferState, Supplier
from tests.conftest import TEST_NOW

_serial = itertools.count(1)


def distributor_id(session: Session, sigla: str) -> int:
    """The id of the active distributor with this ANEEL sigla."""
    return session.scalars(
        select(Distributor.id).where(Distributor.sigla == sigla, Distributor.active.is_(True))
    ).one()


def add_supplier(
    session: Session,
    name: str,
    *,
    rating: Decimal | str | None = None,
    accepting_leads: bool = True,
    is_demo: bool = False,
) -> Supplier:
    """A supplier with a fresh valid CNPJ."""
    root = f"{next(_serial):08d}0001"
    supplier = Supplier(
        cnpj=root + cnpj_check_digits(root),
        name=name,
        is_demo=is_demo,
        rating=Decimal(rating) if rating is not None else None,
        accepting_leads=accepting_leads,
        created_at=TEST_NOW,
    )
    session.add(supplier)
    session.flush()
    return supplier


def add_offer(
    session: Session,
    supplier: Supplier,
    code: str,
    *,
    kind: str = "subscription",
    states: Iterable[str] = ("CE",),
    distributor_ids: Iterable[int] = (),
    discount_pct: Decimal | str | None = None,
    energy_price_rs_mwh: Decimal | str | None = None,
    price_per_kwp_brl: Decimal | str | None = None,
    min_bill_brl: Decimal | str = "0",
    consumer_class: str = "residential",
    active: bool = True,
    loyalty_months: int = 0,
) -> Offer:
    """An offer of `supplier`; a subscription at 10 % off unless told otherwise."""
    if kind == "subscription" and discount_pct is None:
        discount_pct = "10"
    offer = Offer(
        supplier_id=supplier.id,
        code=code,
        kind=kind,
        title=f"{kind} offer {code}",
        discount_pct=_decimal(discount_pct),
        energy_price_rs_mwh=_decimal(energy_price_rs_mwh),
        price_per_kwp_brl=_decimal(price_per_kwp_brl),
        min_bill_brl=Decimal(min_bill_brl),
        consumer_class=consumer_class,
        active=active,
        loyalty_months=loyalty_months,
        updated_at=TEST_NOW,
    )
    offer.states = [OfferState(uf=uf) for uf in states]
    offer.distributors = [OfferDistributor(distributor_id=id_) for id_ in distributor_ids]
    session.add(offer)
    session.flush()
    return offer


def _decimal(value: Decimal | str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None
