"""Which offers a consumer may sign, and in what order they are shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from marketplace.bills import BillAmount, MonthlyKwh
from marketplace.clock import FixedClock
from marketplace.search import OfferSearchResult, search_offers
from marketplace.supplier_accounts import set_accepting_leads
from tests.marketplace.factories import add_offer, add_supplier, distributor_id

BILL = BillAmount(Decimal("350.00"))


def search(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    *,
    sigla: str = "ENEL CE",
    uf: str = "CE",
    consumption: BillAmount | MonthlyKwh = BILL,
    page: int = 1,
    page_size: int = 20,
) -> OfferSearchResult:
    with sessions() as session:
        return search_offers(
            session,
            distributor_id=distributor_id(session, sigla),
            uf=uf,
            consumption=consumption,
            clock=clock,
            page=page,
            page_size=page_size,
        )


def codes(result: OfferSearchResult) -> list[str]:
    return [offer.offer_code for offer in result.offers]


def test_only_offers_open_to_this_consumer_are_found(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        enel_ce, coelba = distributor_id(session, "ENEL CE"), distributor_id(session, "COELBA")
        open_one = add_supplier(session, "Sol do Ceará")
        closed = add_supplier(session, "Fechada Energia", accepting_leads=False)
        add_offer(session, open_one, "any-area")
        add_offer(session, open_one, "enel-ce-only", distributor_ids=[enel_ce])
        add_offer(session, open_one, "several-states", states=["BA", "CE", "PE"])
        add_offer(session, open_one, "bill-floor-met", min_bill_brl="350.00")
        add_offer(session, open_one, "bill-floor-missed", min_bill_brl="350.01")
        add_offer(session, open_one, "other-state", states=["SP"])
        add_offer(
            session, open_one, "other-distributor", states=["CE", "BA"], distributor_ids=[coelba]
        )
        add_offer(session, open_one, "inactive", active=False)
        add_offer(session, open_one, "shops-only", consumer_class="commercial")
        add_offer(session, closed, "supplier-not-accepting")

    result = search(sessions, clock)

    assert sorted(codes(result)) == [
        "any-area",
        "bill-floor-met",
        "enel-ce-only",
        "several-states",
    ]
    assert result.total == 4


def test_offers_are_ranked_by_saving_then_rating_then_id(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        rated = add_supplier(session, "Bem Avaliada", rating="4.8")
        average = add_supplier(session, "Mediana", rating="3.9")
        unrated = add_supplier(session, "Nova")
        add_offer(session, unrated, "10-unrated", discount_pct="10")
        add_offer(session, average, "10-average", discount_pct="10")
        add_offer(session, rated, "10-rated", discount_pct="10")
        add_offer(session, unrated, "20-unrated", discount_pct="20")
        add_offer(session, unrated, "10-unrated-later", discount_pct="10")
        add_offer(session, rated, "5-rated", discount_pct="5")

    result = search(sessions, clock)

    assert codes(result) == [
        "20-unrated",
        "10-rated",
        "10-average",
        "10-unrated",
        "10-unrated-later",
        "5-rated",
    ]
    savings = [offer.monthly_saving_brl for offer in result.offers]
    assert savings == sorted(savings, key=lambda s: -(s or 0))


def test_free_market_is_ranked_by_saving_but_not_available_now(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Comercializadora Livre")
        add_offer(session, supplier, "gd-5", discount_pct="5")
        add_offer(session, supplier, "acl", kind="free_market", energy_price_rs_mwh="120")
        add_offer(session, supplier, "gd-30", discount_pct="30")

    result = search(sessions, clock)

    assert codes(result) == ["gd-30", "acl", "gd-5"]
    assert [offer.available_now for offer in result.offers] == [True, False, True]


def test_each_kind_carries_its_saving_and_new_bill(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Três Jeitos", rating="4.0")
        add_offer(session, supplier, "gd", discount_pct="15", loyalty_months=12)
        add_offer(session, supplier, "sun", kind="solar", price_per_kwp_brl="4000")

    result = search(sessions, clock, consumption=MonthlyKwh(Decimal(300)))

    assert result.current_bill_brl == Decimal("303.24")
    solar, subscription = result.offers
    # Same figures as tests/marketplace/test_savings.py, worked out by hand there: the
    # solar saving is net of the system price spread over 60 months.
    assert (solar.kind, solar.monthly_saving_brl, solar.new_bill_brl) == (
        "solar",
        Decimal("102.90"),
        Decimal("200.34"),
    )
    assert (subscription.monthly_saving_brl, subscription.yearly_saving_brl) == (
        Decimal("38.91"),
        Decimal("466.92"),
    )
    assert (subscription.loyalty_months, subscription.rating) == (12, Decimal("4.0"))


def test_cheaper_solar_ranks_above_dearer_solar(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Dois Preços")
        add_offer(session, supplier, "solar-dear", kind="solar", price_per_kwp_brl="6000")
        add_offer(session, supplier, "gd-15", discount_pct="15")
        add_offer(session, supplier, "solar-cheap", kind="solar", price_per_kwp_brl="3000")

    result = search(sessions, clock, consumption=MonthlyKwh(Decimal(300)))

    # 259.42 of energy a month; 270 kWh / 115 * 3000 = 7043.48 -> 117.39 a month over 60,
    # net 142.03; at 6000, 14086.96 -> 234.78, net 24.64; the subscription saves 38.91.
    assert codes(result) == ["solar-cheap", "gd-15", "solar-dear"]
    assert [offer.monthly_saving_brl for offer in result.offers] == [
        Decimal("142.03"),
        Decimal("38.91"),
        Decimal("24.64"),
    ]


def test_offers_that_save_nothing_come_last(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Nada a Ganhar", rating="5.0")
        add_offer(session, supplier, "dear-acl", kind="free_market", energy_price_rs_mwh="400")
        add_offer(session, supplier, "gd-10", discount_pct="10")
        add_offer(session, supplier, "no-price", kind="solar")
        add_offer(session, supplier, "cheap-acl", kind="free_market", energy_price_rs_mwh="100")

    # 20 kWh: nothing above the 30 kWh minimum charge for credits to offset, so the
    # subscription saves 0.00; the trader at 400 R$/MWh costs more than TE + flag.
    result = search(sessions, clock, consumption=MonthlyKwh(Decimal(20)))

    # At 100 R$/MWh: 20 * (232.11 - 100) / 1000 / 0.75 = 3.5229... -> 3.52; at 400 R$/MWh:
    # 20 * (232.11 - 400) / 1000 / 0.75 = -4.4770... -> -4.48.
    assert codes(result) == ["cheap-acl", "no-price", "gd-10", "dear-acl"]
    assert [offer.monthly_saving_brl for offer in result.offers] == [
        Decimal("3.52"),
        None,
        Decimal("0.00"),
        Decimal("-4.48"),
    ]


def test_pages_split_the_ranking(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Muitas Ofertas")
        for discount in range(1, 8):
            add_offer(session, supplier, f"off-{discount}", discount_pct=str(discount))

    pages = [search(sessions, clock, page=page, page_size=3) for page in (1, 2, 3, 4)]

    assert [codes(page) for page in pages] == [
        ["off-7", "off-6", "off-5"],
        ["off-4", "off-3", "off-2"],
        ["off-1"],
        [],
    ]
    assert {page.total for page in pages} == {7}


@pytest.mark.parametrize(("page", "page_size"), [(0, 5), (1, 0), (1, 101)])
def test_impossible_pages_are_refused(
    sessions: sessionmaker[Session], clock: FixedClock, page: int, page_size: int
) -> None:
    with pytest.raises(ValueError, match="page"):
        search(sessions, clock, page=page, page_size=page_size)


def test_distributor_without_tariff_lists_offers_without_savings(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        good = add_supplier(session, "Boa Nota", rating="4.9")
        plain = add_supplier(session, "Sem Nota")
        add_offer(session, plain, "unrated", states=["SP"], discount_pct="30")
        add_offer(session, good, "rated", states=["SP"], discount_pct="5")

    result = search(sessions, clock, sigla="CEDRI", uf="SP")

    assert result.estimate is None
    assert result.current_bill_brl == Decimal("350.00")
    assert codes(result) == ["rated", "unrated"]
    assert all(offer.saving is None for offer in result.offers)


def test_offer_missing_its_price_is_listed_last_without_saving(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Incompleta", rating="5.0")
        add_offer(session, supplier, "no-price", kind="solar")
        add_offer(session, supplier, "priced", discount_pct="1")

    result = search(sessions, clock)

    assert codes(result) == ["priced", "no-price"]
    assert result.offers[1].monthly_saving_brl is None


@contextmanager
def counting_selects(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_query_count_does_not_grow_with_the_offers(
    engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        enel_ce = distributor_id(session, "ENEL CE")
        supplier = add_supplier(session, "Primeira")
        add_offer(session, supplier, "first")

    def selects_of_one_search() -> int:
        with counting_selects(engine) as statements, sessions() as session:
            search_offers(session, distributor_id=enel_ce, uf="CE", consumption=BILL, clock=clock)
        return len(statements)

    selects_of_one_search()  # reads the reference data, once per process (reference_cache)
    with_one = selects_of_one_search()
    with sessions.begin() as session:
        for number in range(12):
            other = add_supplier(session, f"Outra {number}")
            add_offer(session, other, f"more-{number}", distributor_ids=[enel_ce])
    with_thirteen = selects_of_one_search()

    assert with_one == with_thirteen <= 4


def test_a_pause_hides_the_supplier_from_the_rest_of_its_transaction(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Sol do Ceará")
        add_offer(session, supplier, "paused-later")
        supplier_id = supplier.id

    with sessions.begin() as session:
        enel_ce = distributor_id(session, "ENEL CE")

        def found() -> list[str]:
            result = search_offers(
                session, distributor_id=enel_ce, uf="CE", consumption=BILL, clock=clock
            )
            return codes(result)

        assert found() == ["paused-later"]
        set_accepting_leads(session, supplier_id, False)
        assert found() == []
