"""The worked example of docs/estimator.md is what the code computes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.bills import estimate_from_bill, estimate_from_kwh
from marketplace.clock import FixedClock
from marketplace.geography import find_distributor
from marketplace.money import format_plain
from marketplace.savings import OfferPrice, estimate_saving
from marketplace.tariffs import PriceBasis, current_price_basis

DOC = Path(__file__).parents[2] / "docs" / "estimator.md"


@pytest.fixture
def worked_example(sessions: sessionmaker[Session], clock: FixedClock) -> PriceBasis:
    with sessions() as session:
        return current_price_basis(session, find_distributor(session, "CE", None), clock)


def test_doc_shows_the_bill_the_code_computes(worked_example: PriceBasis) -> None:
    text = DOC.read_text(encoding="utf-8")
    bill = estimate_from_kwh(Decimal(300), worked_example)
    kwh = estimate_from_bill(Decimal("350.00"), worked_example).kwh

    assert f"= R$ {format_plain(bill.bill_brl)}" in text
    minimum = estimate_from_kwh(Decimal(30), worked_example)
    assert f"minimum bill**, R$ {format_plain(minimum.bill_brl)} at ENEL CE" in text
    exact = minimum.with_taxes_brl + minimum.taxes.cip_brl
    assert f"= {exact}, rounded to {minimum.bill_brl})" in text
    assert f"= {bill.with_taxes_brl}" in text
    assert f"→ {kwh} kWh" in text
    assert f"{worked_example.tariff.act}: TE {worked_example.tariff.te_rs_mwh}" in text
    assert f"{worked_example.flag.flag}, {worked_example.flag.rs_mwh} R$/MWh" in text


@pytest.mark.parametrize(
    ("label", "price"),
    [
        ("subscription, 15 %", OfferPrice("subscription", discount_pct=Decimal(15))),
        ("free market at 150", OfferPrice("free_market", energy_price_rs_mwh=Decimal(150))),
        ("solar at R$ 4,000", OfferPrice("solar", price_per_kwp_brl=Decimal(4000))),
    ],
)
def test_doc_shows_the_savings_the_code_computes(
    worked_example: PriceBasis, label: str, price: OfferPrice
) -> None:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if label in line]
    saving = estimate_saving(price, estimate_from_kwh(Decimal(300), worked_example))

    (row,) = rows
    monthly, new_bill = format_plain(saving.monthly_saving_brl), format_plain(saving.new_bill_brl)
    assert row.endswith(f"| R$ {monthly} | R$ {new_bill} |")
    if saving.solar is not None:
        system = saving.solar
        assert f"system R$ {format_plain(system.price_brl)}" in row
        assert f"{system.payback_months} months" in row
        gross, share = format_plain(system.gross_monthly_saving_brl), system.monthly_cost_brl
        assert f"{gross} \N{MINUS SIGN} {format_plain(share)}" in row
        assert f"/ {system.horizon_months} =" in row
