"""What each kind of offer saves a consumer on their estimated bill, and how.

Every saving is the value, taxes included, of the energy the offer changes:

- subscription: the discount on the energy compensated by credits, which is the
  consumption above the minimum charge, valued at TE + TUSD + flag;
- free_market: the energy price replaces TE and the flag, while TUSD stays;
- solar: the value of the energy the system generates, sized to cover the consumption
  above the minimum charge, less the system's price spread over a financing horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from marketplace.bills import HUNDRED, KWH_PER_MWH, BillEstimate
from marketplace.money import round_centavos

# Average monthly yield of a rooftop system in Brazil, 115 kWh per kWp (about 3.8 kWh per
# kWp a day, between the South's ~3.3 and the Northeast's ~4.5, losses included).
SOLAR_YIELD_KWH_PER_KWP = Decimal(115)
# A solar system is bought, not rented: ranking it by its energy value alone would make it
# look free. Its price is spread over 60 months, a typical solar financing period, and
# taken off the monthly saving; after those months the whole energy value is saved.
SOLAR_HORIZON_MONTHS = 60
MONTHS_PER_YEAR = 12


class OfferKind(StrEnum):
    """The three ways of saving the marketplace sells."""

    SUBSCRIPTION = "subscription"
    FREE_MARKET = "free_market"
    SOLAR = "solar"


class SavingBase(StrEnum):
    """What an offer's rate applies to."""

    COMPENSATED_ENERGY = "compensated_energy"  # subscription: % off the credited energy
    ENERGY_AND_FLAG = "energy_and_flag"  # free market: price instead of TE + flag
    OWN_GENERATION = "own_generation"  # solar: energy the system makes


class OfferNotPriced(ValueError):
    """An offer whose kind is unknown or lacks the price column its kind needs."""


@dataclass(frozen=True)
class OfferPrice:
    """The price columns of an offer; only the one of its kind is read."""

    kind: str
    discount_pct: Decimal | None = None
    energy_price_rs_mwh: Decimal | None = None
    price_per_kwp_brl: Decimal | None = None


@dataclass(frozen=True)
class SolarSystem:
    """The system a solar offer would install to cover the consumer's energy.

    `gross_monthly_saving_brl` is the value of the energy it makes; `monthly_cost_brl` its
    price spread over `horizon_months`. The offer's monthly saving is the first less the
    second while the price is being paid, and the whole energy value afterwards.
    """

    kwp: Decimal
    yield_kwh_per_kwp: Decimal
    price_brl: Decimal
    gross_monthly_saving_brl: Decimal
    monthly_cost_brl: Decimal
    horizon_months: int
    payback_months: int | None  # None when it saves nothing


@dataclass(frozen=True)
class SavingEstimate:
    """One offer's monthly saving, with the arithmetic that produced it.

    `base_value_brl` is the exact value, taxes included, of the `covered_kwh` the `rate`
    applies to; the saving and the new bill are rounded to centavos.
    """

    kind: OfferKind
    base: SavingBase
    rate: Decimal  # % discount, R$/MWh energy price, or R$/kWp system price
    covered_kwh: Decimal
    base_value_brl: Decimal
    monthly_saving_brl: Decimal
    current_bill_brl: Decimal
    solar: SolarSystem | None = None

    @property
    def yearly_saving_brl(self) -> Decimal:
        """Twelve months of the monthly saving as shown."""
        return self.monthly_saving_brl * MONTHS_PER_YEAR

    @property
    def new_bill_brl(self) -> Decimal:
        """The current bill less the saving, never below zero."""
        return max(Decimal("0.00"), self.current_bill_brl - self.monthly_saving_brl)


def estimate_saving(price: OfferPrice, bill: BillEstimate) -> SavingEstimate:
    """Work out what the offer saves on `bill`.

    Raises:
        OfferNotPriced: when the kind is unknown or its price column is missing or invalid.
    """
    if price.kind == OfferKind.SUBSCRIPTION:
        return _subscription(price, bill)
    if price.kind == OfferKind.FREE_MARKET:
        return _free_market(price, bill)
    if price.kind == OfferKind.SOLAR:
        return _solar(price, bill)
    raise OfferNotPriced(f"unknown offer kind {price.kind!r}")


def _subscription(price: OfferPrice, bill: BillEstimate) -> SavingEstimate:
    discount = price.discount_pct
    if discount is None or not 0 < discount <= HUNDRED:
        raise OfferNotPriced("a subscription offer needs a discount between 0 and 100 %")

    compensated = _above_minimum(bill)
    value = _value_with_taxes(compensated, bill.basis.rate_rs_mwh, bill)
    # The discount applies to the value as shown, to the centavo, so "15 % x R$ 306,18"
    # gives the saving shown when redone by hand.
    return SavingEstimate(
        kind=OfferKind.SUBSCRIPTION,
        base=SavingBase.COMPENSATED_ENERGY,
        rate=discount,
        covered_kwh=compensated,
        base_value_brl=value,
        monthly_saving_brl=round_centavos(round_centavos(value) * discount / HUNDRED),
        current_bill_brl=bill.bill_brl,
    )


def _free_market(price: OfferPrice, bill: BillEstimate) -> SavingEstimate:
    energy_price = price.energy_price_rs_mwh
    if energy_price is None or energy_price < 0:
        raise OfferNotPriced("a free-market offer needs an energy price in R$/MWh")

    replaced_rate = bill.basis.tariff.te_rs_mwh + bill.basis.flag.rs_mwh
    value = _value_with_taxes(bill.kwh, replaced_rate, bill)
    new_cost = _value_with_taxes(bill.kwh, energy_price, bill)
    # The difference of the two values as shown, so they add up; a trader dearer than the
    # distributor's energy shows as a negative saving, not zero.
    return SavingEstimate(
        kind=OfferKind.FREE_MARKET,
        base=SavingBase.ENERGY_AND_FLAG,
        rate=energy_price,
        covered_kwh=bill.kwh,
        base_value_brl=value,
        monthly_saving_brl=round_centavos(value) - round_centavos(new_cost),
        current_bill_brl=bill.bill_brl,
    )


def _solar(price: OfferPrice, bill: BillEstimate) -> SavingEstimate:
    price_per_kwp = price.price_per_kwp_brl
    if price_per_kwp is None or price_per_kwp <= 0:
        raise OfferNotPriced("a solar offer needs a price per kWp")

    generated = _above_minimum(bill)
    value = _value_with_taxes(generated, bill.basis.rate_rs_mwh, bill)
    gross = round_centavos(value)
    kwp = generated / SOLAR_YIELD_KWH_PER_KWP
    system_price = round_centavos(kwp * price_per_kwp)
    monthly_cost = round_centavos(system_price / SOLAR_HORIZON_MONTHS)

    system = SolarSystem(
        kwp=kwp,
        yield_kwh_per_kwp=SOLAR_YIELD_KWH_PER_KWP,
        price_brl=system_price,
        gross_monthly_saving_brl=gross,
        monthly_cost_brl=monthly_cost,
        horizon_months=SOLAR_HORIZON_MONTHS,
        payback_months=math.ceil(system_price / gross) if gross > 0 else None,
    )
    # The difference of the two figures shown, so the explanation adds up to the centavo;
    # a system dearer than its energy over the horizon shows as a negative saving.
    return SavingEstimate(
        kind=OfferKind.SOLAR,
        base=SavingBase.OWN_GENERATION,
        rate=price_per_kwp,
        covered_kwh=generated,
        base_value_brl=value,
        monthly_saving_brl=gross - monthly_cost,
        current_bill_brl=bill.bill_brl,
        solar=system,
    )


def _above_minimum(bill: BillEstimate) -> Decimal:
    # Credits and own generation cannot offset the minimum charge the distributor keeps.
    return max(Decimal(0), bill.kwh - bill.phase.minimum_kwh)


def _value_with_taxes(kwh: Decimal, rate_rs_mwh: Decimal, bill: BillEstimate) -> Decimal:
    return bill.taxes.with_taxes(kwh * rate_rs_mwh / KWH_PER_MWH)
