"""The B1 bill estimator against bills worked out by hand.

Every hand calculation below uses the clock of the suite (15 Oct 2026). The bundled flag
history ends at 09/2026, so September's flag is assumed: Amarela, R$ 18.85/MWh. Taxes
are the defaults (PIS+COFINS 5 % + ICMS 20 % = 25 %, so "with taxes" is "/ 0.75") and the
CIP is R$ 15.00.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.bills import (
    BillAmount,
    BillTooSmall,
    ConsumptionOutOfRange,
    InvalidTaxAssumptions,
    MonthlyKwh,
    Phase,
    TaxAssumptions,
    estimate_bill,
    estimate_from_bill,
    estimate_from_kwh,
    minimum_bill,
)
from marketplace.clock import FixedClock
from marketplace.geography import DistributorRef, find_distributor
from marketplace.tariffs import FlagInUse, PriceBasis, TariffInUse, current_price_basis


def basis_for(
    sessions: sessionmaker[Session], clock: FixedClock, uf: str, sigla: str
) -> PriceBasis:
    with sessions() as session:
        distributor = find_distributor(session, uf, sigla)
        return current_price_basis(session, distributor, clock)


def made_up_basis(te: str, tusd: str, flag: str) -> PriceBasis:
    return PriceBasis(
        distributor=DistributorRef(1, "TEST", "TEST DISTRIBUIDORA", "00000000000000"),
        tariff=TariffInUse(
            act="REH 0.000/2026",
            valid_from=date(2026, 1, 1),
            valid_until=None,
            te_rs_mwh=Decimal(te),
            tusd_rs_mwh=Decimal(tusd),
            on=date(2026, 10, 15),
            in_force=True,
        ),
        flag=FlagInUse("2026-10", "Verde", Decimal(flag), "2026-10"),
    )


def test_enel_ce_worked_example(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    # ENEL CE, REH 3.324/2026: TE 213.26 + TUSD 488.49 = 701.75 R$/MWh.
    #   energy     = 300 * 701.75 / 1000 = 210.525     (DOMAIN.md: R$ 210.53)
    #   flag       = 300 * 18.85 / 1000  =   5.655
    #   before tax = 216.18
    #   with taxes = 216.18 / 0.75       = 288.24
    #   bill       = 288.24 + 15.00      = 303.24
    # Rounding each step instead (210.53 + 5.66 = 216.19 / 0.75 = 288.25) would give 303.25.
    estimate = estimate_from_kwh(Decimal(300), basis_for(sessions, clock, "CE", "ENEL CE"))

    assert estimate.energy_brl == Decimal("210.525")
    assert estimate.flag_brl == Decimal("5.655")
    assert estimate.before_tax_brl == Decimal("216.18")
    assert estimate.with_taxes_brl == Decimal("288.24")
    assert estimate.taxes_brl == Decimal("72.06")
    assert estimate.bill_brl == Decimal("303.24")
    assert estimate.basis.tariff.act == "REH 3.324/2026"
    assert estimate.basis.tariff.in_force
    assert (estimate.basis.flag.flag, estimate.basis.flag.assumed) == ("Amarela", True)


@pytest.mark.parametrize(
    ("uf", "sigla", "kwh", "bill"),
    [
        # ELETROPAULO (SP), REH 3.596/2026: 316.96 + 472.42 = 789.38 R$/MWh.
        #   250 * 789.38 / 1000 = 197.345; flag 250 * 18.85 / 1000 = 4.7125
        #   (197.345 + 4.7125) / 0.75 = 202.0575 / 0.75 = 269.41; + 15 = 284.41
        ("SP", "ELETROPAULO", 250, "284.41"),
        # CEMIG-D (MG), REH 3.589/2026: 310.21 + 593.08 = 903.29 R$/MWh.
        #   150 * 903.29 / 1000 = 135.4935; flag 2.8275; sum 138.321
        #   138.321 / 0.75 = 184.428; + 15 = 199.428 -> 199.43
        ("MG", "CEMIG-D", 150, "199.43"),
        # COPEL-DIS (PR), REH 3.592/2026: 310.85 + 457.17 = 768.02 R$/MWh.
        #   500 * 768.02 / 1000 = 384.01; flag 9.425; sum 393.435
        #   393.435 / 0.75 = 524.58; + 15 = 539.58
        ("PR", "COPEL-DIS", 500, "539.58"),
        # CEEE-D (RS), REH 3.547/2025: 343.37 + 478.63 = 822.00 R$/MWh.
        #   200 * 822 / 1000 = 164.40; flag 3.77; sum 168.17
        #   168.17 / 0.75 = 224.2266...; + 15 = 239.2266... -> 239.23
        ("RS", "CEEE-D", 200, "239.23"),
    ],
)
def test_bills_by_hand_in_other_states(
    sessions: sessionmaker[Session], clock: FixedClock, uf: str, sigla: str, kwh: int, bill: str
) -> None:
    estimate = estimate_from_kwh(Decimal(kwh), basis_for(sessions, clock, uf, sigla))

    assert estimate.bill_brl == Decimal(bill)


def test_rounding_is_half_up_once_at_the_end() -> None:
    # 30.01 kWh at 500 R$/MWh, no taxes, no CIP = 15.005 exactly: half up gives 15.01
    # (banker's rounding would give 15.00).
    no_taxes = TaxAssumptions(pis_cofins_pct=Decimal(0), icms_pct=Decimal(0), cip_brl=Decimal(0))
    basis = made_up_basis("250", "250", "0")
    estimate = estimate_from_kwh(Decimal("30.01"), basis, taxes=no_taxes)

    assert estimate.with_taxes_brl == Decimal("15.005")
    assert estimate.bill_brl == Decimal("15.01")


def test_bill_worked_back_to_kwh(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    # (303.24 - 15) * 0.75 = 216.18 before taxes; 216.18 * 1000 / (701.75 + 18.85) = 300 kWh.
    estimate = estimate_from_bill(Decimal("303.24"), basis_for(sessions, clock, "CE", "ENEL CE"))

    assert estimate.kwh == Decimal(300)
    assert estimate.from_bill


@pytest.mark.parametrize("sigla", ["ENEL CE", "ELETROPAULO", "CEMIG-D", "CEEE-D"])
@pytest.mark.parametrize("bill", ["60.00", "87.33", "350.00", "1234.56", "9999.99"])
def test_bill_to_kwh_and_back_comes_within_a_centavo(
    sessions: sessionmaker[Session], clock: FixedClock, sigla: str, bill: str
) -> None:
    # The kWh is kept to 0.01 kWh, the precision it is shown with; 0.005 kWh is worth at most
    # about R$ 0.008 with taxes at these tariffs, so the bill comes back within a centavo.
    uf = {"ENEL CE": "CE", "ELETROPAULO": "SP", "CEMIG-D": "MG", "CEEE-D": "RS"}[sigla]
    basis = basis_for(sessions, clock, uf, sigla)

    worked_back = estimate_from_bill(Decimal(bill), basis)
    again = estimate_from_kwh(worked_back.kwh, basis)

    assert worked_back.bill_brl == Decimal(bill)
    assert worked_back.kwh == worked_back.kwh.quantize(Decimal("0.01"))
    assert abs(again.bill_brl - Decimal(bill)) <= Decimal("0.01")


def test_estimate_bill_takes_either_consumption(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    basis = basis_for(sessions, clock, "CE", "ENEL CE")

    by_kwh = estimate_bill(MonthlyKwh(Decimal(300)), basis, phase=Phase.THREE)
    by_bill = estimate_bill(BillAmount(Decimal("303.24")), basis)

    assert (by_kwh.bill_brl, by_kwh.phase) == (Decimal("303.24"), Phase.THREE)
    assert by_bill.kwh == Decimal(300)


def test_tax_assumptions_can_be_corrected(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # ICMS 18 % + PIS/COFINS 4 % = 22 %; CIP R$ 0: 216.18 / 0.78 = 277.1538... -> 277.15.
    taxes = TaxAssumptions(pis_cofins_pct=Decimal(4), icms_pct=Decimal(18), cip_brl=Decimal(0))
    estimate = estimate_from_kwh(
        Decimal(300), basis_for(sessions, clock, "CE", "ENEL CE"), taxes=taxes
    )

    assert estimate.bill_brl == Decimal("277.15")


@pytest.mark.parametrize("bill", ["42.99", "15.01", "15.00", "10.00", "0", "-5"])
def test_bill_below_the_minimum_bill_is_refused_saying_the_minimum(bill: str) -> None:
    # The minimum charge, 30 kWh at 700 R$/MWh: 21.00 / 0.75 = 28.00; + CIP 15.00 = 43.00.
    with pytest.raises(BillTooSmall, match=r"minimum bill, about R\$ 43\.00") as refused:
        estimate_from_bill(Decimal(bill), made_up_basis("200", "500", "0"))

    assert (refused.value.minimum_brl, refused.value.minimum_kwh) == (
        Decimal("43.00"),
        Decimal(30),
    )


def test_the_minimum_bill_itself_is_accepted(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # ENEL CE: 30 * 720.60 / 1000 = 21.618; / 0.75 = 28.824; + 15 = 43.824 -> 43.82.
    basis = basis_for(sessions, clock, "CE", "ENEL CE")

    assert minimum_bill(basis) == Decimal("43.82")
    # 28.82 * 0.75 * 1000 / 720.60 = 29.9958... -> 30.00 kWh, kept to 0.01 kWh.
    assert estimate_from_bill(Decimal("43.82"), basis).kwh == Decimal("30.00")
    with pytest.raises(BillTooSmall):
        estimate_from_bill(Decimal("43.81"), basis)


def test_consumption_below_the_minimum_charge_is_billed_the_minimum(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # 10 kWh used, 30 kWh billed: the minimum bill, R$ 43.82, not 10 kWh's R$ 24.61.
    estimate = estimate_from_kwh(Decimal(10), basis_for(sessions, clock, "CE", "ENEL CE"))

    assert (estimate.kwh, estimate.billed_kwh) == (Decimal(10), Decimal(30))
    assert estimate.bill_brl == Decimal("43.82")


@pytest.mark.parametrize("kwh", ["-1", "55800.1", "1E+30"])
def test_consumption_beyond_low_voltage_is_refused(kwh: str) -> None:
    with pytest.raises(ConsumptionOutOfRange):
        estimate_from_kwh(Decimal(kwh), made_up_basis("200", "500", "0"))


def test_huge_bill_is_refused() -> None:
    with pytest.raises(ConsumptionOutOfRange):
        estimate_from_bill(Decimal("99999999.99"), made_up_basis("200", "500", "0"))


@pytest.mark.parametrize(
    ("pis_cofins", "icms", "cip"), [("60", "40", "0"), ("-1", "20", "15"), ("5", "20", "-1")]
)
def test_impossible_tax_assumptions_are_refused(pis_cofins: str, icms: str, cip: str) -> None:
    with pytest.raises(InvalidTaxAssumptions):
        TaxAssumptions(Decimal(pis_cofins), Decimal(icms), Decimal(cip))
