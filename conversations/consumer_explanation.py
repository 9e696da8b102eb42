"""The answer to "How did you calculate?": the estimator's own arithmetic, step by step.

Distributor, tariff (TE + TUSD, its act and validity), the month's flag (and when it was
assumed), the taxes and street-lighting fee assumed, the consumption and the bill, then the
offer's saving. Every figure comes from the BillEstimate and SavingEstimate the offer was
priced with (docs/estimator.md), and every line that computes something is written so it
can be redone by hand: its operands are shown with the precision they were used with
(kWh to 0.01), and its result is theirs rounded to the centavo. On the offers list the
bill part is shown alone.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from conversations.i18n import N_, Translator
from marketplace.bills import HUNDRED, KWH_PER_MWH, BillEstimate
from marketplace.geography import DistributorRef, known_as
from marketplace.offer_terms import OfferQuote
from marketplace.savings import SavingBase, SavingEstimate, SolarSystem
from marketplace.tariffs import FlagInUse, TariffInUse

# ANEEL's flag names, as the bundled history writes them.
FLAG_NAMES = {
    "Verde": N_("green"),
    "Amarela": N_("yellow"),
    "Vermelha P1": N_("red, level 1"),
    "Vermelha P2": N_("red, level 2"),
    "Escassez Hídrica": N_("water scarcity"),
}
KWH_DECIMALS = 2  # kWh as the estimator keeps them, so products can be redone by hand


def explain(translator: Translator, quote: OfferQuote) -> str:
    """The arithmetic behind an offer's figures, one step per line."""
    estimate = quote.estimate
    if estimate is None:
        return translator.gettext(
            "ANEEL's data has no tariff for {distributor}, so I cannot calculate your bill or "
            "what this offer saves."
        ).format(distributor=known_as(quote.distributor))
    lines = _bill_lines(translator, estimate)
    lines += _offer_lines(translator, quote.saving, estimate)
    return "\n".join(lines)


def explain_bill(
    translator: Translator, estimate: BillEstimate | None, distributor: DistributorRef
) -> str:
    """The arithmetic behind the bill estimate the offers are ranked on, one step per line."""
    if estimate is None:
        return translator.gettext(
            "ANEEL's data has no tariff for {distributor}, so I cannot calculate your bill."
        ).format(distributor=known_as(distributor))
    return "\n".join(_bill_lines(translator, estimate))


def _bill_lines(translator: Translator, estimate: BillEstimate) -> list[str]:
    lines = [translator.gettext("How I calculated it (an estimate):")]
    lines += _assumptions(translator, estimate)
    lines += _consumption_and_bill(translator, estimate)
    return lines


def _assumptions(translator: Translator, estimate: BillEstimate) -> list[str]:
    _ = translator.gettext
    money = translator.format_money
    basis, taxes = estimate.basis, estimate.taxes
    return [
        _("Distributor: {distributor}").format(distributor=known_as(basis.distributor)),
        _tariff(translator, basis.tariff),
        _flag(translator, basis.flag),
        _(
            "Taxes assumed: PIS/COFINS {pis_cofins} and ICMS {icms}; the ones on your own bill "
            "may differ."
        ).format(
            pis_cofins=_percent(translator, taxes.pis_cofins_pct),
            icms=_percent(translator, taxes.icms_pct),
        ),
        _("Street-lighting fee (CIP) assumed: {cip}").format(cip=money(taxes.cip_brl)),
        _("Energy and flag, before taxes: {tariff} + {flag} = {rate} per MWh").format(
            tariff=money(basis.tariff.total_rs_mwh),
            flag=money(basis.flag.rs_mwh),
            rate=money(basis.rate_rs_mwh),
        ),
    ]


def _tariff(translator: Translator, tariff: TariffInUse) -> str:
    _ = translator.gettext
    parts = {
        "te": translator.format_money(tariff.te_rs_mwh),
        "tusd": translator.format_money(tariff.tusd_rs_mwh),
        "total": translator.format_money(tariff.total_rs_mwh),
        "act": tariff.act,
        "start": translator.format_date(tariff.valid_from, style="short"),
    }
    if tariff.valid_until is None:
        text = _("Tariff: TE {te} + TUSD {tusd} = {total} per MWh ({act}, from {start})")
    else:
        parts["end"] = translator.format_date(tariff.valid_until, style="short")
        text = _("Tariff: TE {te} + TUSD {tusd} = {total} per MWh ({act}, {start} to {end})")
    line = text.format(**parts)
    if not tariff.in_force:
        line += "\n" + _("No tariff is in force today; this is the latest known one.")
    return line


def _flag(translator: Translator, flag: FlagInUse) -> str:
    _ = translator.gettext
    month = _month(translator, flag.month)
    if flag.published_month is None:
        return _("Tariff flag for {month}: none").format(month=month)
    name = _(FLAG_NAMES[flag.flag]) if flag.flag in FLAG_NAMES else flag.flag
    rate = translator.format_money(flag.rs_mwh)
    if flag.assumed:
        return _(
            "Tariff flag for {month}: the ANEEL history I have ends at {published}, so I "
            "assumed that month's flag: {flag}, {rate} per MWh"
        ).format(
            month=month, published=_month(translator, flag.published_month), flag=name, rate=rate
        )
    return _("Tariff flag for {month}: {flag}, {rate} per MWh").format(
        month=month, flag=name, rate=rate
    )


def _consumption_and_bill(translator: Translator, estimate: BillEstimate) -> list[str]:
    _ = translator.gettext
    money = translator.format_money
    taxes, rate = estimate.taxes, money(estimate.basis.rate_rs_mwh)
    if estimate.from_bill:
        # Worked back from the bill, as the estimator did; run forwards it would only repeat
        # the bill the consumer gave.
        return [
            _(
                "Consumption, worked back from your bill: ({bill} - {cip}) x (1 - {taxes}) x "
                "1000 / {rate} per MWh = {kwh} kWh a month"
            ).format(
                bill=money(estimate.bill_brl),
                cip=money(taxes.cip_brl),
                taxes=_tax_rate(translator, estimate),
                rate=rate,
                kwh=_kwh(translator, estimate.kwh),
            )
        ]
    lines = [
        _("Consumption: {kwh} kWh a month, as you told me").format(
            kwh=_kwh(translator, estimate.kwh)
        )
    ]
    if estimate.billed_kwh > estimate.kwh:
        lines.append(
            _("Billed: the minimum charge of {minimum} kWh, as you use less than that").format(
                minimum=_kwh(translator, estimate.billed_kwh)
            )
        )
    lines += [
        _("With taxes: {kwh} kWh x {rate}/MWh / (1 - {taxes}) = {amount}").format(
            kwh=_kwh(translator, estimate.billed_kwh),
            rate=rate,
            taxes=_tax_rate(translator, estimate),
            amount=money(estimate.with_taxes_brl),
        ),
        _("Bill: {amount} + {cip} = {bill}").format(
            amount=money(estimate.with_taxes_brl),
            cip=money(taxes.cip_brl),
            bill=money(estimate.bill_brl),
        ),
    ]
    return lines


def _offer_lines(
    translator: Translator, saving: SavingEstimate | None, estimate: BillEstimate
) -> list[str]:
    if saving is None:
        return [translator.gettext("This offer's saving could not be worked out from its price.")]
    if saving.base is SavingBase.ENERGY_AND_FLAG:
        return _free_market_lines(translator, saving, estimate)
    minimum = _kwh(translator, estimate.phase.minimum_kwh)
    if saving.covered_kwh == 0:
        return [
            translator.gettext(
                "This offer: you use no more than the minimum charge of {minimum} kWh, which "
                "the distributor bills anyway, so there is no energy for it to offset."
            ).format(minimum=minimum)
        ]
    above = translator.gettext(
        "Energy above the minimum charge: {kwh} kWh - {minimum} kWh = {covered} kWh"
    ).format(
        kwh=_kwh(translator, estimate.kwh),
        minimum=minimum,
        covered=_kwh(translator, saving.covered_kwh),
    )
    if saving.solar is not None:
        return [above, *_solar_lines(translator, saving, saving.solar, estimate)]
    return [above, *_subscription_lines(translator, saving, estimate)]


def _subscription_lines(
    translator: Translator, saving: SavingEstimate, estimate: BillEstimate
) -> list[str]:
    _ = translator.gettext
    money = translator.format_money
    value, discount = money(saving.base_value_brl), _percent(translator, saving.rate)
    return [
        _("This offer: {discount} off the value of that energy, credited to your bill.").format(
            discount=discount
        ),
        _("Its value with taxes: {kwh} kWh x {rate}/MWh / (1 - {taxes}) = {value}").format(
            kwh=_kwh(translator, saving.covered_kwh),
            rate=money(estimate.basis.rate_rs_mwh),
            taxes=_tax_rate(translator, estimate),
            value=value,
        ),
        _("Saving: {discount} x {value} = {saving} a month").format(
            discount=discount, value=value, saving=money(saving.monthly_saving_brl)
        ),
    ]


def _free_market_lines(
    translator: Translator, saving: SavingEstimate, estimate: BillEstimate
) -> list[str]:
    _ = translator.gettext
    money = translator.format_money
    basis = estimate.basis
    replaced = basis.tariff.te_rs_mwh + basis.flag.rs_mwh
    value = saving.base_value_brl
    cost = estimate.taxes.with_taxes(saving.covered_kwh * saving.rate / KWH_PER_MWH)
    parts = {"kwh": _kwh(translator, saving.covered_kwh), "taxes": _tax_rate(translator, estimate)}
    return [
        _(
            "This offer: the trader's energy replaces TE and the flag on all your kWh; the "
            "network charge (TUSD) stays with the distributor."
        ),
        _("TE and flag: {te} + {flag} = {rate} per MWh").format(
            te=money(basis.tariff.te_rs_mwh), flag=money(basis.flag.rs_mwh), rate=money(replaced)
        ),
        _("Worth today: {kwh} kWh x {rate}/MWh / (1 - {taxes}) = {value}").format(
            **parts, rate=money(replaced), value=money(value)
        ),
        _("The trader's energy: {kwh} kWh x {rate}/MWh / (1 - {taxes}) = {cost}").format(
            **parts, rate=money(saving.rate), cost=money(cost)
        ),
        _("Saving: {value} - {cost} = {saving} a month").format(
            value=money(value), cost=money(cost), saving=money(saving.monthly_saving_brl)
        ),
    ]


def _solar_lines(
    translator: Translator, saving: SavingEstimate, system: SolarSystem, estimate: BillEstimate
) -> list[str]:
    _ = translator.gettext
    money = translator.format_money
    covered = _kwh(translator, saving.covered_kwh)
    yield_ = translator.format_number(system.yield_kwh_per_kwp, decimals=0)
    gross, price = money(system.gross_monthly_saving_brl), money(system.price_brl)
    lines = [
        _("System size: {kwh} kWh / {yield_} kWh per kWp a month = {kwp} kWp").format(
            kwh=covered, yield_=yield_, kwp=translator.format_number(system.kwp, decimals=2)
        ),
        _("System price: {kwh} kWh / {yield_} x {price} per kWp = {system}").format(
            kwh=covered, yield_=yield_, price=money(saving.rate), system=price
        ),
        _("Energy it makes, with taxes: {kwh} kWh x {rate}/MWh / (1 - {taxes}) = {gross}").format(
            kwh=covered,
            rate=money(estimate.basis.rate_rs_mwh),
            taxes=_tax_rate(translator, estimate),
            gross=gross,
        ),
        _("Its price over {months} months: {system} / {months} = {installment} a month").format(
            months=system.horizon_months,
            system=price,
            installment=money(system.monthly_cost_brl),
        ),
        _(
            "Saving while you pay for it: {gross} - {installment} = {saving} a month; after "
            "the {months} months, {gross} a month"
        ).format(
            gross=gross,
            installment=money(system.monthly_cost_brl),
            saving=money(saving.monthly_saving_brl),
            months=system.horizon_months,
        ),
    ]
    if system.payback_months is not None:
        lines.append(
            translator.ngettext(
                "It pays for itself in about {months} month ({system} / {gross}, rounded up).",
                "It pays for itself in about {months} months ({system} / {gross}, rounded up).",
                system.payback_months,
            ).format(months=system.payback_months, system=price, gross=gross)
        )
    return lines


def _kwh(translator: Translator, kwh: Decimal) -> str:
    return translator.format_number(kwh, decimals=KWH_DECIMALS)


def _tax_rate(translator: Translator, estimate: BillEstimate) -> str:
    return translator.format_percent(estimate.taxes.tax_rate, decimals=2)


def _percent(translator: Translator, percent: Decimal) -> str:
    return translator.format_percent(percent / HUNDRED, decimals=2)


def _month(translator: Translator, month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return translator.format_date(date(year, number, 1), style="MM/yyyy")
