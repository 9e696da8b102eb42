"""The ranked offers written out for `connect-energy offers`: one JSON object, or a table."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marketplace.bills import BillEstimate, TaxAssumptions
from marketplace.geography import known_as
from marketplace.money import format_plain
from marketplace.savings import SOLAR_YIELD_KWH_PER_KWP, SavingEstimate, SolarSystem
from marketplace.search import OfferSearchResult, RankedOffer
from marketplace.tariffs import FlagInUse, TariffInUse

SUPPLIER_WIDTH = 30
OFFER_WIDTH = 20
KIND_WIDTH = 12
DEMO_MARK = "(demo)"


def offers_json(result: OfferSearchResult) -> dict[str, Any]:
    """The JSON object of DESIGN.md: money as `"52.50"` strings, `estimated_kwh` a number."""
    estimate = result.estimate
    return {
        "uf": result.uf,
        "distributor": {"sigla": result.distributor.sigla, "name": result.distributor.name},
        "tariff": _tariff_json(estimate.basis.tariff) if estimate else None,
        "estimated_kwh": _kwh_number(estimate.kwh) if estimate else None,
        "current_bill_brl": _money(result.current_bill_brl),
        "offers": [_offer_json(offer) for offer in result.offers],
        "total_offers": result.total,
        "assumptions": _assumptions_json(estimate),
        "note": note(result),
    }


def note(result: OfferSearchResult) -> str | None:
    """Why savings are missing or rest on a tariff that is not in force, if either holds."""
    distributor = known_as(result.distributor)
    if result.estimate is None:
        return f"ANEEL data has no B1 tariff for {distributor}, so savings cannot be estimated."
    tariff = result.estimate.basis.tariff
    if not tariff.in_force:
        return (
            f"No tariff of {distributor} is in force on {tariff.on.isoformat()}; the latest known "
            f"({tariff.act}, {_window(tariff)}) was used."
        )
    return None


def offers_table(result: OfferSearchResult) -> str:
    """A readable summary: distributor, tariff, assumptions, then one row per offer."""
    # The name the chat gives it; ANEEL's register names it in brackets (ENEL SP is ELETROPAULO).
    lines = [f"{known_as(result.distributor)} ({result.distributor.name}), {result.uf}"]
    if result.estimate is not None:
        lines += _estimate_lines(result.estimate)
    remark = note(result)
    if remark:
        lines.append(f"Note    {remark}")
    lines.append("")

    if not result.offers:
        lines.append("No offer can serve this consumer yet.")
        return "\n".join(lines)
    lines.append(
        f"{'#':>2}  {'Supplier':<{SUPPLIER_WIDTH}}  {'Offer':<{OFFER_WIDTH}}  "
        f"{'Kind':<{KIND_WIDTH}}  "
        f"{'Saving/mo':>9}  {'New bill':>9}  {'Saving/yr':>9}  {'Loyalty':>7}  Rating"
    )
    first = (result.page - 1) * result.page_size + 1
    for position, offer in enumerate(result.offers, first):
        lines.append(_offer_row(position, offer))
        system = offer.saving.solar if offer.saving else None
        if system is not None and system.price_brl > 0:
            lines.append(_investment_row(system))
    lines.append(f"{result.total} offer(s).")
    if any(not offer.available_now for offer in result.offers):
        lines.append('(*) not open to homes yet: free market for low voltage is "notify me".')
    return "\n".join(lines)


def _tariff_json(tariff: TariffInUse) -> dict[str, Any]:
    return {
        "te_rs_mwh": f"{tariff.te_rs_mwh:.2f}",
        "tusd_rs_mwh": f"{tariff.tusd_rs_mwh:.2f}",
        "act": tariff.act,
        "valid_from": tariff.valid_from.isoformat(),
        "valid_until": tariff.valid_until.isoformat() if tariff.valid_until else None,
        "in_force": tariff.in_force,
    }


def _offer_json(offer: RankedOffer) -> dict[str, Any]:
    return {
        "offer_code": offer.offer_code,
        "supplier": offer.supplier_name,
        "supplier_cnpj": offer.supplier_cnpj,
        "demo": offer.supplier_is_demo,
        "kind": offer.kind,
        "title": offer.title,
        "monthly_saving_brl": _money(offer.monthly_saving_brl),
        "yearly_saving_brl": _money(offer.yearly_saving_brl),
        "new_bill_brl": _money(offer.new_bill_brl),
        "loyalty_months": offer.loyalty_months,
        "rating": float(offer.rating) if offer.rating is not None else None,
        "sign_directly": offer.sign_directly,
        "available_now": offer.available_now,
        "explanation": _saving_json(offer.saving) if offer.saving else None,
    }


def _saving_json(saving: SavingEstimate) -> dict[str, Any]:
    explanation: dict[str, Any] = {
        "base": saving.base.value,
        "rate": f"{saving.rate:.2f}",
        "covered_kwh": _kwh_number(saving.covered_kwh),
        "base_value_brl": _money(saving.base_value_brl),
    }
    system = saving.solar
    if system is not None:
        explanation["system_kwp"] = float(system.kwp.quantize(Decimal("0.01")))
        explanation["system_price_brl"] = _money(system.price_brl)
        explanation["payback_months"] = system.payback_months
        explanation["gross_monthly_saving_brl"] = _money(system.gross_monthly_saving_brl)
        explanation["system_monthly_cost_brl"] = _money(system.monthly_cost_brl)
        explanation["horizon_months"] = system.horizon_months
    return explanation


def _assumptions_json(estimate: BillEstimate | None) -> dict[str, Any]:
    taxes = estimate.taxes if estimate else TaxAssumptions()
    assumptions: dict[str, Any] = {
        "pis_cofins_pct": f"{taxes.pis_cofins_pct:.2f}",
        "icms_pct": f"{taxes.icms_pct:.2f}",
        "cip_brl": _money(taxes.cip_brl),
        "flag": _flag_json(estimate.basis.flag) if estimate else None,
        "solar_yield_kwh_per_kwp": int(SOLAR_YIELD_KWH_PER_KWP),
    }
    if estimate is not None:
        assumptions["phase"] = estimate.phase.value
        assumptions["minimum_kwh"] = int(estimate.phase.minimum_kwh)
    return assumptions


def _flag_json(flag: FlagInUse) -> dict[str, Any]:
    return {
        "month": flag.month,
        "name": flag.flag,
        "rs_mwh": f"{flag.rs_mwh:.2f}",
        "published_month": flag.published_month,
        "assumed": flag.assumed,
    }


def _estimate_lines(estimate: BillEstimate) -> list[str]:
    tariff, flag, taxes = estimate.basis.tariff, estimate.basis.flag, estimate.taxes
    flag_source = (
        f" (bundled ANEEL history ends at {_month_year(flag.published_month)}; that month's "
        f"flag is assumed for {_month_year(flag.month)})"
        if flag.assumed and flag.published_month is not None
        else f" ({_month_year(flag.month)})"
    )
    return [
        f"Tariff  {tariff.act}, {_window(tariff)}: "
        f"TE {tariff.te_rs_mwh:.2f} + TUSD {tariff.tusd_rs_mwh:.2f} R$/MWh",
        f"Flag    {flag.flag}, {flag.rs_mwh:.2f} R$/MWh{flag_source}",
        f"Taxes   PIS+COFINS {taxes.pis_cofins_pct:.2f} %, ICMS {taxes.icms_pct:.2f} % "
        f"(assumed); street lighting (CIP) R$ {format_plain(taxes.cip_brl)}",
        f"Bill    R$ {format_plain(estimate.bill_brl)}, "
        f"about {_kwh_number(estimate.kwh)} kWh a month (estimate)",
    ]


def _offer_row(position: int, offer: RankedOffer) -> str:
    supplier = offer.supplier_name
    if offer.supplier_is_demo and not supplier.endswith(DEMO_MARK):
        supplier += f" {DEMO_MARK}"
    supplier = _fit(supplier, SUPPLIER_WIDTH)
    code = _fit(offer.offer_code, OFFER_WIDTH)
    kind = offer.kind + ("*" if not offer.available_now else "")
    rating = f"{offer.rating:.1f}" if offer.rating is not None else "-"
    return (
        f"{position:>2}  {supplier:<{SUPPLIER_WIDTH}}  {code:<{OFFER_WIDTH}}  "
        f"{kind:<{KIND_WIDTH}}  "
        f"{_money(offer.monthly_saving_brl) or '-':>9}  {_money(offer.new_bill_brl) or '-':>9}  "
        f"{_money(offer.yearly_saving_brl) or '-':>9}  {offer.loyalty_months:>4} mo  {rating}"
    )


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` columns, the cut marked with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _investment_row(system: SolarSystem) -> str:
    payback = f" (paid back in {system.payback_months} months)" if system.payback_months else ""
    # The row's saving is net of the price spread over the horizon; say what comes after.
    return (
        f"{'':>4}investment R$ {format_plain(system.price_brl)}{payback}; saves "
        f"R$ {format_plain(system.gross_monthly_saving_brl)}/mo after {system.horizon_months} "
        "months"
    )


def _month_year(month: str) -> str:
    """`"2026-09"` → `"09/2026"`, as Brazilian bills write a month."""
    year, number = month.split("-")
    return f"{number}/{year}"


def _window(tariff: TariffInUse) -> str:
    until = tariff.valid_until.isoformat() if tariff.valid_until else "open-ended"
    return f"valid {tariff.valid_from.isoformat()} to {until}"


def _money(amount: Decimal | None) -> str | None:
    return format_plain(amount) if amount is not None else None


def _kwh_number(kwh: Decimal) -> float:
    return float(kwh.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
