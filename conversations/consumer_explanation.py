"""The answer to "How did you calculate?": the estimator's own arithmetic, step by step.

Distributor, tariff (TE + TUSD, its act and validity), the month's flag (and when it was
assumed), the taxes and street-lighting fee assumed, the consumption, each step of the
bill, and then the offer's saving base and rate. Every figure comes from the BillEstimate
and SavingEstimate the offer was priced with (docs/estimator.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from conversations.i18n import N_, Translator
from marketplace.bills import HUNDRED, BillEstimate
from marketplace.geography import known_as
from marketplace.offer_terms import OfferQuote
from marketplace.savings import SavingBase, SavingEstimate
from marketplace.tariffs import FlagInUse, TariffInUse

# ANEEL's flag names, as the bundled history writes them.
FLAG_NAMES = {
    "Verde": N_("green"),
    "Amarela": N_("yellow"),
    "Vermelha P1": N_("red, level 1"),
    "Vermelha P2": N_("red, level 2"),
    "Escassez Hídrica": N_("water scarcity"),
}


def explain(translator: Translator, quote: OfferQuote) -> str:
    """The arithmetic behind an offer's figures, one step per line."""
    _ = translator.gettext
    estimate = quote.estimate
    if estimate is None:
        return _(
            "ANEEL's data has no tariff for {distributor}, so I cannot calculate your bill or "
            "what this offer saves."
        ).format(distributor=known_as(quote.distributor))
    lines = [_("How I calculated it (an estimate):")]
    lines += _assumptions(translator, estimate)
    lines += _bill_steps(translator, estimate)
    lines.append(_offer_step(translator, quote.saving, estimate))
    return "\n".join(lines)


def _assumptions(translator: Translator, estimate: BillEstimate) -> list[str]:
    _ = translator.gettext
    taxes = estimate.taxes
    lines = [
        _("Distributor: {distributor}").format(distributor=known_as(estimate.basis.distributor)),
        _tariff(translator, estimate.basis.tariff),
        _flag(translator, estimate.basis.flag),
        _(
            "Taxes assumed: PIS/COFINS {pis_cofins} and ICMS {icms}; the ones on your own bill "
            "may differ."
        ).format(
            pis_cofins=_percent(translator, taxes.pis_cofins_pct),
            icms=_percent(translator, taxes.icms_pct),
        ),
        _("Street-lighting fee (CIP) assumed: {cip}").format(
            cip=translator.format_money(taxes.cip_brl)
        ),
    ]
    kwh = translator.format_number(estimate.kwh, decimals=1)
    if estimate.from_bill:
        lines.append(
            _("Consumption: {kwh} kWh a month, worked back from your bill of {bill}").format(
                kwh=kwh, bill=translator.format_money(estimate.bill_brl)
            )
        )
    else:
        lines.append(_("Consumption: {kwh} kWh a month, as you told me").format(kwh=kwh))
    return lines


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
        line += "\n" + _("This is the latest known tariff: none is in force today.")
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


def _bill_steps(translator: Translator, estimate: BillEstimate) -> list[str]:
    _ = translator.gettext
    money = translator.format_money
    kwh = translator.format_number(estimate.kwh, decimals=1)
    basis, taxes = estimate.basis, estimate.taxes
    return [
        _("Energy: {kwh} kWh x {rate}/MWh = {amount}").format(
            kwh=kwh, rate=money(basis.tariff.total_rs_mwh), amount=money(estimate.energy_brl)
        ),
        _("Flag: {kwh} kWh x {rate}/MWh = {amount}").format(
            kwh=kwh, rate=money(basis.flag.rs_mwh), amount=money(estimate.flag_brl)
        ),
        _("Before taxes: {energy} + {flag} = {amount}").format(
            energy=money(estimate.energy_brl),
            flag=money(estimate.flag_brl),
            amount=money(estimate.before_tax_brl),
        ),
        _("With taxes: {amount} / (1 - {rate}) = {total}").format(
            amount=money(estimate.before_tax_brl),
            rate=translator.format_percent(taxes.tax_rate, decimals=2),
            total=money(estimate.with_taxes_brl),
        ),
        _("Bill: {amount} + {cip} = {bill}").format(
            amount=money(estimate.with_taxes_brl),
            cip=money(taxes.cip_brl),
            bill=money(estimate.bill_brl),
        ),
    ]


def _offer_step(
    translator: Translator, saving: SavingEstimate | None, estimate: BillEstimate
) -> str:
    _ = translator.gettext
    if saving is None:
        return _("This offer's saving could not be worked out from its price.")
    money = translator.format_money
    kwh = translator.format_number(saving.covered_kwh, decimals=1)
    if saving.base is SavingBase.COMPENSATED_ENERGY:
        return _(
            "This offer: {rate} off the {kwh} kWh above the minimum charge of {minimum} kWh, "
            "worth {value} with taxes: a saving of {saving} a month."
        ).format(
            rate=_percent(translator, saving.rate),
            kwh=kwh,
            minimum=translator.format_number(estimate.phase.minimum_kwh, decimals=0),
            value=money(saving.base_value_brl),
            saving=money(saving.monthly_saving_brl),
        )
    if saving.base is SavingBase.ENERGY_AND_FLAG:
        replaced = estimate.basis.tariff.te_rs_mwh + estimate.basis.flag.rs_mwh
        return _(
            "This offer: the trader's {price}/MWh replaces TE and the flag ({replaced}/MWh) "
            "on all {kwh} kWh, which are worth {value} with taxes today: a saving of {saving} "
            "a month."
        ).format(
            price=money(saving.rate),
            replaced=money(replaced),
            kwh=kwh,
            value=money(saving.base_value_brl),
            saving=money(saving.monthly_saving_brl),
        )
    return _solar_step(translator, saving)


def _solar_step(translator: Translator, saving: SavingEstimate) -> str:
    _ = translator.gettext
    money = translator.format_money
    system = saving.solar
    assert system is not None  # a solar saving always sizes its system
    text = _(
        "This offer: a {kwp} kWp system ({kwh} kWh / {yield_} kWh per kWp a month) at "
        "{price} per kWp costs {system}; the energy it makes is worth {gross} a month with "
        "taxes. Its price spread over {months} months is {system} / {months} = {installment} "
        "a month, so you save {gross} - {installment} = {saving} a month while paying for it, "
        "and {gross} a month after that."
    ).format(
        kwp=translator.format_number(system.kwp, decimals=2),
        kwh=translator.format_number(saving.covered_kwh, decimals=1),
        yield_=translator.format_number(system.yield_kwh_per_kwp, decimals=0),
        price=money(saving.rate),
        system=money(system.price_brl),
        gross=money(system.gross_monthly_saving_brl),
        months=system.horizon_months,
        installment=money(system.monthly_cost_brl),
        saving=money(saving.monthly_saving_brl),
    )
    if system.payback_months is None:
        return text
    payback = translator.ngettext(
        "It pays for itself in about {months} month.",
        "It pays for itself in about {months} months.",
        system.payback_months,
    ).format(months=system.payback_months)
    return f"{text} {payback}"


def _percent(translator: Translator, percent: Decimal) -> str:
    return translator.format_percent(percent / HUNDRED, decimals=2)


def _month(translator: Translator, month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return translator.format_date(date(year, number, 1), style="MM/yyyy")
