"""The bundled demo catalog: fictional, clearly marked, and broad enough to demonstrate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from marketplace.catalog import load_demo_catalog
from marketplace.db import make_engine
from marketplace.documents import normalize_cnpj
from marketplace.models import Distributor, Offer, Supplier
from marketplace.schema import has_suppliers, prepare_embedded_database

REQUIRED_STATES = {"CE", "SP", "RJ", "MG", "BA", "PE", "PR", "RS", "SC", "GO", "DF", "PA"}


@pytest.fixture
def demo_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on a database holding the demo catalog."""
    with sessions.begin() as session:
        report = load_demo_catalog(session)
    assert report.rejections == []
    return sessions


def all_offers(session: Session) -> list[Offer]:
    query = select(Offer).options(
        selectinload(Offer.states), selectinload(Offer.distributors), selectinload(Offer.supplier)
    )
    return list(session.scalars(query))


def offers_for(session: Session, uf: str, sigla: str, bill: Decimal) -> list[Offer]:
    """Active offers a consumer of this distributor paying `bill` may sign."""
    distributor = session.scalars(
        select(Distributor).where(Distributor.sigla == sigla, Distributor.active)
    ).one()
    return [
        offer
        for offer in all_offers(session)
        if offer.active
        and uf in {link.uf for link in offer.states}
        and (
            not offer.distributors
            or distributor.id in {link.distributor_id for link in offer.distributors}
        )
        and offer.min_bill_brl <= bill
    ]


def test_demo_suppliers_are_fictional_and_say_so(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions() as session:
        suppliers = list(session.scalars(select(Supplier)))

    assert len(suppliers) >= 8
    assert all(supplier.is_demo for supplier in suppliers)
    assert all(supplier.name.endswith("(demo)") for supplier in suppliers)
    assert all(supplier.cnpj.startswith("DEMO") for supplier in suppliers)
    assert all(normalize_cnpj(supplier.cnpj) == supplier.cnpj for supplier in suppliers)
    assert len({supplier.rating for supplier in suppliers}) >= 5
    assert any(supplier.rating is None for supplier in suppliers)


def test_demo_offers_cover_the_states_and_kinds_they_claim(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions() as session:
        offers = all_offers(session)

    states = {link.uf for offer in offers for link in offer.states}
    assert 25 <= len(offers) <= 35
    assert states >= REQUIRED_STATES
    assert len(states) >= 12
    assert {offer.kind for offer in offers} == {"subscription", "free_market", "solar"}
    assert sum(offer.sign_directly for offer in offers) >= 3
    assert sum(len(offer.distributors) == 1 for offer in offers) >= 4
    assert all("fictícia" in offer.description for offer in offers)


def test_demo_offer_terms_are_realistic(demo_sessions: sessionmaker[Session]) -> None:
    with demo_sessions() as session:
        offers = all_offers(session)

    subscriptions = [offer for offer in offers if offer.kind == "subscription"]
    solar = [offer for offer in offers if offer.kind == "solar"]
    free_market = [offer for offer in offers if offer.kind == "free_market"]
    assert all(Decimal(8) <= (o.discount_pct or 0) <= Decimal(20) for o in subscriptions)
    assert all(60 <= offer.starts_in_days <= 90 for offer in subscriptions)
    assert all(offer.two_bills for offer in subscriptions)
    assert all(0 <= offer.loyalty_months <= 24 for offer in offers)
    assert all(Decimal(3000) <= (o.price_per_kwp_brl or 0) <= Decimal(5000) for o in solar)
    assert all(Decimal(150) <= (o.energy_price_rs_mwh or 0) <= Decimal(400) for o in free_market)


@pytest.mark.parametrize(("uf", "sigla"), [("CE", "ENEL CE"), ("SP", "ELETROPAULO")])
def test_a_consumer_paying_350_finds_several_kinds_of_offer(
    demo_sessions: sessionmaker[Session], uf: str, sigla: str
) -> None:
    with demo_sessions() as session:
        offers = offers_for(session, uf, sigla, Decimal("350"))

    assert len(offers) >= 4
    assert {offer.kind for offer in offers} == {"subscription", "free_market", "solar"}
    assert len({offer.supplier_id for offer in offers}) >= 3


def test_reloading_the_demo_catalog_changes_nothing(
    demo_sessions: sessionmaker[Session],
) -> None:
    with demo_sessions.begin() as session:
        report = load_demo_catalog(session)

    assert report.suppliers["created"] == report.suppliers["updated"] == []
    assert report.offers["created"] == report.offers["updated"] == []
    assert len(report.offers["unchanged"]) >= 25


def test_a_new_embedded_database_gets_the_demo_catalog(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        prepare_embedded_database(engine, load_demo_catalog=True)

        assert has_suppliers(engine)
    finally:
        engine.dispose()
