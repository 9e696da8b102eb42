"""A low-voltage residential (B1) bill, estimated from the kWh used or the R$ paid.

The arithmetic (DOMAIN.md, docs/estimator.md), where billed kWh is the consumption or the
minimum charge of the phase, whichever is more:

    energy     = billed kWh * (TE + TUSD) / 1000
    flag       = billed kWh * flag / 1000
    with_taxes = (energy + flag) / (1 - (PIS + COFINS + ICMS))
    bill       = with_taxes + CIP

Every intermediate amount keeps full precision; only the bill is rounded, once, half up.
A consumption worked back from a bill is kept to 0.01 kWh, the precision it is shown with,
so that every figure derived from it can be redone by hand from what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from marketplace.money import format_plain, round_centavos
from marketplace.tariffs import PriceBasis

HUNDRED = Decimal(100)
KWH_PER_MWH = Decimal(1000)
KWH_QUANTUM = Decimal("0.01")

# Group B (low voltage) ends at 75 kW of installed load (ANEEL REN 1.000/2021); running
# that all month (75 kW * 744 h) bounds what one residential consumer unit can use.
MAX_MONTHLY_KWH = Decimal(75 * 744)


class Phase(StrEnum):
    """How the consumer unit is wired, which sets the minimum charge (custo de disponibilidade)."""

    SINGLE = "single"
    TWO = "two"
    THREE = "three"

    @property
    def minimum_kwh(self) -> Decimal:
        """kWh billed even when less is used: 30, 50 or 100."""
        return {Phase.SINGLE: Decimal(30), Phase.TWO: Decimal(50), Phase.THREE: Decimal(100)}[self]


class BillError(ValueError):
    """A bill or consumption the estimator cannot work with."""


class BillTooSmall(BillError):
    """A bill below the smallest one the distributor can send: the street-lighting fee plus
    the minimum charge (custo de disponibilidade), taxes and flag included.
    """

    def __init__(
        self, bill_brl: Decimal, *, minimum_brl: Decimal, cip_brl: Decimal, minimum_kwh: Decimal
    ) -> None:
        super().__init__(
            f"a bill of R$ {format_plain(bill_brl)} is below the minimum bill, about "
            f"R$ {format_plain(minimum_brl)} (street lighting R$ {format_plain(cip_brl)} plus "
            f"the minimum charge of {minimum_kwh} kWh)"
        )
        self.bill_brl = bill_brl
        self.minimum_brl = minimum_brl
        self.cip_brl = cip_brl
        self.minimum_kwh = minimum_kwh


class ConsumptionOutOfRange(BillError):
    """A monthly consumption below zero or beyond what a low-voltage unit can draw."""

    def __init__(self, kwh: Decimal) -> None:
        super().__init__(
            f"{kwh:.1f} kWh a month is not possible for a low-voltage home "
            f"(0 to {MAX_MONTHLY_KWH} kWh)"
        )
        self.kwh = kwh


class InvalidTaxAssumptions(BillError):
    """Tax rates or a fee that cannot hold (negative, or taxes of 100 % or more)."""


@dataclass(frozen=True)
class TaxAssumptions:
    """What the estimate assumes on top of the tariff; each is overridable from a real bill.

    Defaults (docs/estimator.md says why):
        pis_cofins_pct: 5.00 %. The federal PIS + COFINS on energy vary monthly with each
            distributor's credits, around 4 to 6 %; 5 % is the middle.
        icms_pct: 20.00 %. The state ICMS is capped since 2022 at each state's general rate,
            17 to 22 %; no reliable per-state table was found, so the middle is assumed.
        cip_brl: R$ 15.00. The municipal street-lighting fee (CIP/COSIP) is set by each city,
            from a few reais to some tens for a home; R$ 15 is a middling fixed amount.
    """

    pis_cofins_pct: Decimal = Decimal("5.00")
    icms_pct: Decimal = Decimal("20.00")
    cip_brl: Decimal = Decimal("15.00")

    def __post_init__(self) -> None:
        if min(self.pis_cofins_pct, self.icms_pct, self.cip_brl) < 0:
            raise InvalidTaxAssumptions("taxes and the street-lighting fee cannot be negative")
        if self.pis_cofins_pct + self.icms_pct >= HUNDRED:
            raise InvalidTaxAssumptions("taxes must add up to less than 100 %")

    @property
    def tax_rate(self) -> Decimal:
        """PIS + COFINS + ICMS as a fraction (0.25 for the defaults)."""
        return (self.pis_cofins_pct + self.icms_pct) / HUNDRED

    def with_taxes(self, before_tax: Decimal) -> Decimal:
        """Gross an amount up by the taxes, which are charged "por dentro" (on themselves)."""
        return before_tax / (1 - self.tax_rate)

    def before_taxes(self, with_taxes: Decimal) -> Decimal:
        """Undo `with_taxes`."""
        return with_taxes * (1 - self.tax_rate)


DEFAULT_TAXES = TaxAssumptions()


@dataclass(frozen=True)
class BillAmount:
    """Consumption given as the monthly bill in reais, taxes and CIP included."""

    brl: Decimal


@dataclass(frozen=True)
class MonthlyKwh:
    """Consumption given as kWh a month."""

    kwh: Decimal


Consumption = BillAmount | MonthlyKwh


@dataclass(frozen=True)
class BillEstimate:
    """A month's bill worked out step by step: the answer to "how did you compute this?".

    Amounts ending in `_brl` are exact except `bill_brl`, the rounded total; worked back from
    a bill (`from_bill`), `bill_brl` is that bill and `kwh` is rounded to 0.01 kWh, so the
    formula run forwards may land a centavo away from it.
    """

    basis: PriceBasis
    taxes: TaxAssumptions
    phase: Phase
    kwh: Decimal
    from_bill: bool  # kWh worked back from the bill the consumer gave
    energy_brl: Decimal
    flag_brl: Decimal
    before_tax_brl: Decimal
    with_taxes_brl: Decimal
    bill_brl: Decimal

    @property
    def taxes_brl(self) -> Decimal:
        """PIS, COFINS and ICMS together."""
        return self.with_taxes_brl - self.before_tax_brl

    @property
    def billed_kwh(self) -> Decimal:
        """The kWh the distributor charges: the consumption, or the minimum charge if more."""
        return max(self.kwh, self.phase.minimum_kwh)


def minimum_bill(
    basis: PriceBasis, *, taxes: TaxAssumptions = DEFAULT_TAXES, phase: Phase = Phase.SINGLE
) -> Decimal:
    """The smallest bill the distributor can send: the minimum charge plus the CIP."""
    return estimate_from_kwh(phase.minimum_kwh, basis, taxes=taxes, phase=phase).bill_brl


def estimate_bill(
    consumption: Consumption,
    basis: PriceBasis,
    *,
    taxes: TaxAssumptions = DEFAULT_TAXES,
    phase: Phase = Phase.SINGLE,
) -> BillEstimate:
    """Estimate the bill from whichever the consumer gave, R$ or kWh."""
    if isinstance(consumption, BillAmount):
        return estimate_from_bill(consumption.brl, basis, taxes=taxes, phase=phase)
    return estimate_from_kwh(consumption.kwh, basis, taxes=taxes, phase=phase)


def estimate_from_kwh(
    kwh: Decimal,
    basis: PriceBasis,
    *,
    taxes: TaxAssumptions = DEFAULT_TAXES,
    phase: Phase = Phase.SINGLE,
) -> BillEstimate:
    """The bill for `kwh` in a month.

    Raises:
        ConsumptionOutOfRange: when `kwh` is negative or beyond a low-voltage unit.
    """
    return _estimate(kwh, basis, taxes=taxes, phase=phase, from_bill=False)


def estimate_from_bill(
    bill_brl: Decimal,
    basis: PriceBasis,
    *,
    taxes: TaxAssumptions = DEFAULT_TAXES,
    phase: Phase = Phase.SINGLE,
) -> BillEstimate:
    """The kWh behind a bill, found by running the bill formula backwards.

    Raises:
        BillTooSmall: when the bill is below the minimum bill (`minimum_bill`).
        ConsumptionOutOfRange: when the bill implies more than a low-voltage unit can use.
    """
    minimum = minimum_bill(basis, taxes=taxes, phase=phase)
    if bill_brl < minimum or bill_brl <= taxes.cip_brl:
        raise BillTooSmall(
            bill_brl, minimum_brl=minimum, cip_brl=taxes.cip_brl, minimum_kwh=phase.minimum_kwh
        )
    if basis.rate_rs_mwh <= 0:
        raise BillError("the tariff is zero, so no consumption explains a bill")

    before_tax = taxes.before_taxes(bill_brl - taxes.cip_brl)
    kwh = (before_tax * KWH_PER_MWH / basis.rate_rs_mwh).quantize(KWH_QUANTUM, ROUND_HALF_UP)
    estimate = _estimate(kwh, basis, taxes=taxes, phase=phase, from_bill=True)
    return replace(estimate, bill_brl=round_centavos(bill_brl))


def _estimate(
    kwh: Decimal, basis: PriceBasis, *, taxes: TaxAssumptions, phase: Phase, from_bill: bool
) -> BillEstimate:
    if not 0 <= kwh <= MAX_MONTHLY_KWH:
        raise ConsumptionOutOfRange(kwh)

    # Below the minimum charge the distributor still bills the minimum (custo de
    # disponibilidade, ANEEL REN 1.000/2021), so a tiny consumption still makes a real bill.
    billed = max(kwh, phase.minimum_kwh)
    energy = billed * basis.tariff.total_rs_mwh / KWH_PER_MWH
    flag = billed * basis.flag.rs_mwh / KWH_PER_MWH
    before_tax = energy + flag
    with_taxes = taxes.with_taxes(before_tax)

    return BillEstimate(
        basis=basis,
        taxes=taxes,
        phase=phase,
        kwh=kwh,
        from_bill=from_bill,
        energy_brl=energy,
        flag_brl=flag,
        before_tax_brl=before_tax,
        with_taxes_brl=with_taxes,
        bill_brl=round_centavos(with_taxes + taxes.cip_brl),
    )
