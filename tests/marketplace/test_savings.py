"""What each kind of offer saves, worked out by hand on ENEL CE at 300 kWh.

Basis (see test_bills.py): TE 213.26 + TUSD 488.49 + Amarela 18.85 = 720.60 R$/MWh, taxes
25 % ("/ 0.75"), CIP R$ 15.00, so the current bill is R$ 303.24.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.bills import BillEstimate, Phase, estimate_from_kwh
from marketplace.clock import FixedClock
from marketplace.geography import find_distributor
from marketplace.savings import (
    OfferKind,
    OfferNotPriced,
    OfferPrice,
    SavingBase,
    SavingEstimate,
    estimate_saving,
)
from marketplace.tariffs import current_price_basis


@pytest.fixture
def enel_ce_bill(sessions: sessionmaker[Session], clock: FixedClock) -> BillEstimate:
    return bill_of(sessions, clock, Decimal(300))


def bill_of(
    sessions: sessionmaker[Session], clock: FixedClock, kwh: Decimal, phase: Phase = Phase.SINGLE
) -> BillEstimate:
    with sessions() as session:
        basis = current_price_basis(session, find_distributor(session, "CE", None), clock)
    return estimate_from_kwh(kwh, basis, phase=phase)


def test_subscription_discounts_the_compensated_energy(enel_ce_bill: BillEstimate) -> None:
    # Compensated: 300 - 30 (single-phase minimum) = 270 kWh.
    # Its value: 270 * 720.60 / 1000 = 194.562; / 0.75 = 259.416.
    # 15 % of it: 38.9124 -> 38.91. New bill 303.24 - 38.91 = 264.33; a year 466.92.
    saving = estimate_saving(OfferPrice("subscription", discount_pct=Decimal(15)), enel_ce_bill)

    assert (saving.kind, saving.base) == (OfferKind.SUBSCRIPTION, SavingBase.COMPENSATED_ENERGY)
    assert saving.covered_kwh == Decimal(270)
    assert saving.base_value_brl == Decimal("259.416")
    assert saving.monthly_saving_brl == Decimal("38.91")
    assert saving.new_bill_brl == Decimal("264.33")
    assert saving.yearly_saving_brl == Decimal("466.92")


@pytest.mark.parametrize(
    ("phase", "saving"),
    [
        # 250 kWh compensated: 250 * 720.60 / 1000 / 0.75 = 240.20; 15 % = 36.03.
        (Phase.TWO, "36.03"),
        # 200 kWh compensated: 200 * 720.60 / 1000 / 0.75 = 192.16; 15 % = 28.824 -> 28.82.
        (Phase.THREE, "28.82"),
    ],
)
def test_minimum_charge_grows_with_the_phases(
    sessions: sessionmaker[Session], clock: FixedClock, phase: Phase, saving: str
) -> None:
    bill = bill_of(sessions, clock, Decimal(300), phase)

    found = estimate_saving(OfferPrice("subscription", discount_pct=Decimal(15)), bill)

    assert found.monthly_saving_brl == Decimal(saving)


def test_consumption_under_the_minimum_saves_nothing_by_subscription(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    bill = bill_of(sessions, clock, Decimal(25))

    found = estimate_saving(OfferPrice("subscription", discount_pct=Decimal(20)), bill)

    assert (found.covered_kwh, found.monthly_saving_brl) == (Decimal(0), Decimal("0.00"))


def test_free_market_price_replaces_te_and_flag(enel_ce_bill: BillEstimate) -> None:
    # Replaced: 300 * (213.26 + 18.85) / 1000 = 69.633; / 0.75 = 92.844.
    # Paid instead: 300 * 150 / 1000 = 45; / 0.75 = 60. Saving 32.844 -> 32.84.
    saving = estimate_saving(
        OfferPrice("free_market", energy_price_rs_mwh=Decimal(150)), enel_ce_bill
    )

    assert (saving.base, saving.covered_kwh) == (SavingBase.ENERGY_AND_FLAG, Decimal(300))
    assert saving.base_value_brl == Decimal("92.844")
    assert saving.monthly_saving_brl == Decimal("32.84")
    assert saving.new_bill_brl == Decimal("270.40")


def test_dearer_free_market_energy_shows_a_loss(enel_ce_bill: BillEstimate) -> None:
    # Paid instead: 300 * 250 / 1000 / 0.75 = 100; 92.844 - 100 = -7.156 -> -7.16.
    saving = estimate_saving(
        OfferPrice("free_market", energy_price_rs_mwh=Decimal(250)), enel_ce_bill
    )

    assert saving.monthly_saving_brl == Decimal("-7.16")
    assert saving.new_bill_brl == Decimal("310.40")


def test_solar_saving_is_net_of_the_system_price_over_the_horizon(
    enel_ce_bill: BillEstimate,
) -> None:
    # Generation to cover: 270 kWh; at 115 kWh/kWp a month that is 2.3478... kWp.
    # Price: 2.3478... * 4000 = 9391.304... -> 9391.30; over 60 months 156.5216... -> 156.52.
    # Energy value (gross): 270 kWh = 259.416 -> 259.42. Net: 259.42 - 156.52 = 102.90.
    # New bill 303.24 - 102.90 = 200.34; a year 12 * 102.90 = 1234.80.
    # Payback: 9391.30 / 259.42 = 36.2 -> 37 months.
    saving = estimate_saving(OfferPrice("solar", price_per_kwp_brl=Decimal(4000)), enel_ce_bill)

    assert saving.solar is not None
    assert saving.solar.kwp.quantize(Decimal("0.0001")) == Decimal("2.3478")
    assert saving.solar.price_brl == Decimal("9391.30")
    assert saving.solar.gross_monthly_saving_brl == Decimal("259.42")
    assert (saving.solar.monthly_cost_brl, saving.solar.horizon_months) == (Decimal("156.52"), 60)
    assert saving.solar.payback_months == 37
    assert saving.monthly_saving_brl == Decimal("102.90")
    assert saving.new_bill_brl == Decimal("200.34")
    assert saving.yearly_saving_brl == Decimal("1234.80")


def test_dearer_solar_saves_less(enel_ce_bill: BillEstimate) -> None:
    # Same 259.42 of energy. At 5000/kWp: 2.3478... * 5000 = 11739.13; / 60 = 195.65;
    # net 259.42 - 195.65 = 63.77. At 8000/kWp: 18782.61 / 60 = 313.04; net -53.62.
    def net(per_kwp: int) -> Decimal:
        price = OfferPrice("solar", price_per_kwp_brl=Decimal(per_kwp))
        return estimate_saving(price, enel_ce_bill).monthly_saving_brl

    assert (net(5000), net(8000)) == (Decimal("63.77"), Decimal("-53.62"))


def test_solar_that_generates_nothing_never_pays_back(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    bill = bill_of(sessions, clock, Decimal(30))

    saving = estimate_saving(OfferPrice("solar", price_per_kwp_brl=Decimal(4000)), bill)

    assert saving.solar is not None
    assert (saving.solar.kwp, saving.solar.payback_months) == (Decimal(0), None)


def test_new_bill_never_goes_below_zero(enel_ce_bill: BillEstimate) -> None:
    saving = SavingEstimate(
        kind=OfferKind.SUBSCRIPTION,
        base=SavingBase.COMPENSATED_ENERGY,
        rate=Decimal(100),
        covered_kwh=Decimal(300),
        base_value_brl=Decimal(400),
        monthly_saving_brl=Decimal("400.00"),
        current_bill_brl=enel_ce_bill.bill_brl,
    )

    assert saving.new_bill_brl == Decimal("0.00")


@pytest.mark.parametrize(
    "price",
    [
        OfferPrice("subscription"),
        OfferPrice("subscription", discount_pct=Decimal(0)),
        OfferPrice("subscription", discount_pct=Decimal(101)),
        OfferPrice("free_market"),
        OfferPrice("free_market", energy_price_rs_mwh=Decimal(-1)),
        OfferPrice("solar"),
        OfferPrice("solar", price_per_kwp_brl=Decimal(0)),
        OfferPrice("wind", discount_pct=Decimal(10)),
    ],
)
def test_offer_without_the_price_of_its_kind_is_not_priced(
    enel_ce_bill: BillEstimate, price: OfferPrice
) -> None:
    with pytest.raises(OfferNotPriced):
        estimate_saving(price, enel_ce_bill)
