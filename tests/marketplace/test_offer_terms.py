"""An offer's terms, priced for one consumer the way the search prices it, and its exit fee."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from marketplace.bills import BillAmount, MonthlyKwh
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.models import Offer
from marketplace.offer_terms import (
    cancellation_fee,
    load_offer_terms,
    quote_offer,
    supplier_bill,
)
from marketplace.search import search_offers
from tests.marketplace.factories import distributor_id
from tests.support.consumers import offer_id

BILL = BillAmount(Decimal("350.00"))


@pytest.fixture
def demo_catalog(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)


@pytest.mark.usefixtures("demo_catalog")
def test_terms_carry_every_fact_sheet_field(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        terms = load_offer_terms(session, offer_id(session, "SN-CE-12M"))

    assert terms is not None
    assert terms.supplier_name == "Sol Nascente Energia (demo)"
    assert (terms.kind, terms.discount_pct, terms.loyalty_months) == (
        "subscription",
        Decimal("15.00"),
        12,
    )
    assert (terms.cancellation_fee_pct, terms.notice_days, terms.starts_in_days) == (
        Decimal("20.00"),
        60,
        75,
    )
    assert terms.two_bills
    assert (terms.states, terms.distributors, terms.min_bill_brl) == (
        ("CE",),
        ("ENEL CE",),
        Decimal("150.00"),
    )
    assert terms.response_hours == 4
    assert terms.available_now


@pytest.mark.usefixtures("demo_catalog")
def test_trade_names_stand_for_aneel_siglas(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        terms = load_offer_terms(session, offer_id(session, "RL-ENELSP-12M"))

    assert terms is not None
    assert terms.distributors == ("ENEL SP",)


@pytest.mark.usefixtures("demo_catalog")
def test_withdrawn_offers_have_no_terms(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        withdrawn = offer_id(session, "SN-CE-12M")
        session.execute(update(Offer).where(Offer.id == withdrawn).values(active=False))

    with sessions() as session:
        assert load_offer_terms(session, withdrawn) is None
        assert load_offer_terms(session, 10_000_000) is None


@pytest.mark.usefixtures("demo_catalog")
@pytest.mark.parametrize("consumption", [BILL, MonthlyKwh(Decimal("250"))])
def test_a_quote_saves_what_the_search_says(
    sessions: sessionmaker[Session], clock: FixedClock, consumption: BillAmount | MonthlyKwh
) -> None:
    with sessions() as session:
        enel_ce = distributor_id(session, "ENEL CE")
        ranked = search_offers(
            session,
            distributor_id=enel_ce,
            uf="CE",
            consumption=consumption,
            clock=clock,
            page_size=20,
        )
        quotes = [
            quote_offer(
                session,
                offer.offer_id,
                distributor_id=enel_ce,
                consumption=consumption,
                clock=clock,
            )
            for offer in ranked.offers
        ]

    assert ranked.offers
    for offer, quote in zip(ranked.offers, quotes, strict=True):
        assert quote is not None
        assert quote.saving == offer.saving
        assert quote.estimate == ranked.estimate


@pytest.mark.usefixtures("demo_catalog")
def test_a_distributor_without_tariff_is_quoted_without_saving(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions() as session:
        quote = quote_offer(
            session,
            offer_id(session, "TL-SOLAR-SE"),
            distributor_id=distributor_id(session, "CEDRI"),
            consumption=BILL,
            clock=clock,
        )

    assert quote is not None
    assert (quote.estimate, quote.saving) == (None, None)


@pytest.mark.usefixtures("demo_catalog")
def test_leaving_in_month_six_costs_the_fee_on_the_months_left(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions() as session:
        enel_ce = distributor_id(session, "ENEL CE")
        quotes = {
            code: quote_offer(
                session,
                offer_id(session, code),
                distributor_id=enel_ce,
                consumption=BILL,
                clock=clock,
            )
            for code in ("SN-CE-12M", "SN-CE-LIVRE", "VA-ACL-NE", "TL-SOLAR-NE")
        }
    fees = {}
    for code, quote in quotes.items():
        assert quote is not None
        fees[code] = cancellation_fee(quote.terms, quote.saving, leaving_month=6)

    subscription = quotes["SN-CE-12M"]
    assert subscription is not None
    assert subscription.saving is not None
    monthly = supplier_bill(subscription.saving)
    assert monthly is not None
    # 15 % off the credited energy: the supplier bills the other 85 %.
    assert abs(monthly - subscription.saving.base_value_brl * Decimal("0.85")) <= Decimal("0.01")
    assert fees["SN-CE-12M"] == (Decimal("0.20") * 6 * monthly).quantize(Decimal("0.01"))
    assert fees["SN-CE-LIVRE"] is None  # no loyalty
    assert fees["VA-ACL-NE"] is not None
    assert fees["VA-ACL-NE"] > 0  # 24 months at 15 %
    assert fees["TL-SOLAR-NE"] is None
