"""One offer in full: every fact-sheet field of DOMAIN.md, in the same order for every offer.

kind; price; estimated bill and saving; loyalty; cancellation fee (rule, and the amount when
leaving in month 6); notice; start; readjustment; two bills; who may sign. From here the
consumer asks to be contacted (or joins the waitlist), asks how it was calculated, or goes
back to the list.
"""

from __future__ import annotations

from decimal import Decimal

from conversations.consumer_data import (
    DISTRIBUTOR_ID,
    OFFER_BRIEF,
    OFFER_ID,
    ConsumerState,
    consumption_in,
)
from conversations.consumer_explanation import explain
from conversations.consumer_offers import kind_name
from conversations.events import Option, Reply
from conversations.flow import AskContext, Reask, StepContext, Transition
from conversations.i18n import N_, Translator
from conversations.parsing import parse_yes_no
from marketplace.bills import HUNDRED, Phase
from marketplace.leads import find_lead
from marketplace.offer_terms import OfferQuote, OfferTerms, cancellation_fee, quote_offer
from marketplace.savings import SavingEstimate, SolarSystem

LEAVING_MONTH = 6  # the month the fact sheet prices an early exit at
CONTACT, HOW, OFFERS = "contact", "how", "offers"

CLASS_NAMES = {
    "residential": N_("homes"),
    "commercial": N_("businesses"),
    "rural": N_("rural properties"),
}


def ask_offer(context: AskContext) -> Reply:
    """The fact sheet, or just its options once it has been shown."""
    _ = context.gettext
    quote = quote_for(context)
    if quote is None:
        back = Option(OFFERS, _("Back to the offers"))
        return Reply(_("This offer is no longer available."), options=(back,))
    options = _options(context.translator, quote.terms)
    if context.data.get(OFFER_BRIEF):
        text = _("What would you like to do about the {supplier} offer?")
        return Reply(text.format(supplier=quote.terms.supplier_name), options=options)
    return Reply(fact_sheet(context.translator, quote), options=options)


def handle_offer(context: StepContext) -> Transition | Reask:
    """Ask to be contacted, see the arithmetic, or go back to the offers."""
    chosen = context.option.id if context.option else None
    if chosen is None and parse_yes_no(context.text):
        chosen = CONTACT  # "quero", "sim": yes to this offer
    if chosen == OFFERS:
        return Transition(ConsumerState.OFFERS)
    if chosen not in (CONTACT, HOW):
        return context.reask_choice()
    quote = quote_for(context)
    if quote is None:
        gone = Reply(context.gettext("Sorry, this offer was withdrawn. Here are the others."))
        return Transition(ConsumerState.OFFERS, replies=(gone,))
    if chosen == HOW:
        explanation = Reply(explain(context.translator, quote))
        return Transition(ConsumerState.OFFER, replies=(explanation,), data={OFFER_BRIEF: True})
    return _contact(context, quote)


def help_offer(context: AskContext) -> str:
    """What the offer's options do."""
    return context.gettext(
        '"How did you calculate?" shows the arithmetic behind the figures. Asking to be '
        "contacted sends nothing to the supplier until you authorise it."
    )


def quote_for(context: AskContext) -> OfferQuote | None:
    """The offer in the data, priced for the consumer's bill; None once withdrawn."""
    return quote_offer(
        context.session,
        context.data[OFFER_ID],
        distributor_id=context.data[DISTRIBUTOR_ID],
        consumption=consumption_in(context.data),
        clock=context.clock,
    )


def fact_sheet(translator: Translator, quote: OfferQuote) -> str:
    """Every field of the offer's fact sheet, one per line, always in the same order."""
    _ = translator.gettext
    terms = quote.terms
    lines = [f"{terms.supplier_name}: {terms.title}"]
    if not terms.available_now:
        lines.append(_("Not available to homes yet: join the waitlist."))
    lines += [
        _("Kind: {kind}").format(kind=kind_name(translator, terms.kind)),
        _("Price: {price}").format(price=_price(translator, quote)),
        _("Estimated bill: {estimate}").format(estimate=_estimate(translator, quote)),
        _("Minimum term: {loyalty}").format(loyalty=_loyalty(translator, terms.loyalty_months)),
        _("Cancellation fee: {fee}").format(fee=_fee(translator, quote)),
        _("Notice period: {notice}").format(notice=_days(translator, terms.notice_days)),
        _("Starts: {start}").format(start=_start(translator, terms)),
        _("Price adjustment: {rule}").format(rule=terms.readjustment or _("not stated")),
        _("Two bills: {answer}").format(answer=_two_bills(translator, terms)),
        _("Who may sign: {who}").format(who=_who(translator, terms)),
        "",
        _("All figures are estimates for your bill."),
    ]
    return "\n".join(lines)


def _options(translator: Translator, terms: OfferTerms) -> tuple[Option, ...]:
    _ = translator.gettext
    if not terms.available_now:
        contact = _("Join the waitlist")
    elif terms.sign_directly:
        contact = _("I want to sign up")  # no call first: the contract comes at once
    else:
        contact = _("I want to be contacted")
    return (
        Option(CONTACT, contact),
        Option(HOW, _("How did you calculate?")),
        Option(OFFERS, _("Back to the offers")),
    )


def _contact(context: StepContext, quote: OfferQuote) -> Transition:
    lead = find_lead(context.session, context.consumer_id, quote.terms.offer_id)
    if lead is None:
        return Transition(ConsumerState.SHARE_CONSENT)
    translator = context.translator
    already = translator.ngettext(
        "You already asked {supplier} about this offer on {date}. They usually answer within "
        "{hours} hour.",
        "You already asked {supplier} about this offer on {date}. They usually answer within "
        "{hours} hours.",
        quote.terms.response_hours,
    ).format(
        supplier=quote.terms.supplier_name,
        date=translator.format_date(lead.created_at),
        hours=quote.terms.response_hours,
    )
    return Transition(ConsumerState.OFFER, replies=(Reply(already),), data={OFFER_BRIEF: True})


def _price(translator: Translator, quote: OfferQuote) -> str:
    _ = translator.gettext
    terms, estimate, saving = quote.terms, quote.estimate, quote.saving
    if terms.discount_pct is not None:
        minimum = (estimate.phase if estimate else Phase.SINGLE).minimum_kwh
        text = _(
            "{discount} off the energy credited to your bill (your use above the minimum "
            "charge of {minimum} kWh), taxes included"
        )
        return text.format(
            discount=translator.format_percent(terms.discount_pct / HUNDRED, decimals=2),
            minimum=translator.format_number(minimum, decimals=0),
        )
    if terms.energy_price_rs_mwh is not None:
        return _(
            "{price} per MWh of energy, instead of the distributor's energy tariff (TE) and "
            "flag; the network charge (TUSD) stays with the distributor"
        ).format(price=translator.format_money(terms.energy_price_rs_mwh))
    per_kwp = translator.format_money(terms.price_per_kwp_brl or Decimal(0))
    system = saving.solar if saving else None
    if system is None or system.payback_months is None:
        return _("{price} per installed kWp").format(price=per_kwp)
    return translator.ngettext(
        "{price} per installed kWp: for you, {kwp} kWp for {system}, paid back in about "
        "{months} month",
        "{price} per installed kWp: for you, {kwp} kWp for {system}, paid back in about "
        "{months} months",
        system.payback_months,
    ).format(
        price=per_kwp,
        kwp=translator.format_number(system.kwp, decimals=2),
        system=translator.format_money(system.price_brl),
        months=system.payback_months,
    )


def _estimate(translator: Translator, quote: OfferQuote) -> str:
    _ = translator.gettext
    saving = quote.saving
    if saving is None:
        return _("cannot be estimated without a tariff for your distributor")
    if saving.solar is not None:
        return _solar_estimate(translator, saving, saving.solar)
    money = translator.format_money
    if saving.monthly_saving_brl == 0:
        return _("{bill} a month: no saving for your bill").format(
            bill=money(saving.current_bill_brl)
        )
    if saving.monthly_saving_brl < 0:
        text = _("{new_bill} a month instead of {bill}: {more} more a month")
        return text.format(
            new_bill=money(saving.current_bill_brl - saving.monthly_saving_brl),
            bill=money(saving.current_bill_brl),
            more=money(-saving.monthly_saving_brl),
        )
    if quote.terms.two_bills:
        text = _(
            "{new_bill} a month, both bills together, instead of {bill}: you save {monthly} a "
            "month ({yearly} a year)"
        )
    else:
        text = _(
            "{new_bill} a month instead of {bill}: you save {monthly} a month ({yearly} a year)"
        )
    return text.format(
        new_bill=money(saving.new_bill_brl),
        bill=money(saving.current_bill_brl),
        monthly=money(saving.monthly_saving_brl),
        yearly=money(saving.yearly_saving_brl),
    )


def _solar_estimate(translator: Translator, saving: SavingEstimate, system: SolarSystem) -> str:
    # While the system is paid for, the consumer pays the distributor's (smaller) bill and
    # the installment; together they are the new bill the offer is ranked by.
    _ = translator.gettext
    money = translator.format_money
    parts = {
        "distributor_bill": money(
            max(Decimal(0), saving.current_bill_brl - system.gross_monthly_saving_brl)
        ),
        "installment": money(system.monthly_cost_brl),
        "months": system.horizon_months,
        "bill": money(saving.current_bill_brl),
        "gross": money(system.gross_monthly_saving_brl),
    }
    if saving.monthly_saving_brl <= 0:
        text = _(
            "{distributor_bill} a month to the distributor plus {installment} a month for the "
            "system (its price spread over {months} months) instead of {bill}: no saving while "
            "you pay for it, then {gross} a month"
        )
        return text.format(**parts)
    text = _(
        "{distributor_bill} a month to the distributor plus {installment} a month for the "
        "system (its price spread over {months} months) instead of {bill}: you save {monthly} "
        "a month ({yearly} a year), and {gross} a month after those months"
    )
    return text.format(
        **parts,
        monthly=money(saving.monthly_saving_brl),
        yearly=money(saving.yearly_saving_brl),
    )


def _fee(translator: Translator, quote: OfferQuote) -> str:
    _ = translator.gettext
    terms = quote.terms
    if not terms.loyalty_months or terms.cancellation_fee_pct is None:
        return _("no fee")
    rule = _("{percent} of the supplier bills left in the minimum term").format(
        percent=translator.format_percent(terms.cancellation_fee_pct / HUNDRED, decimals=2)
    )
    amount = cancellation_fee(terms, quote.saving, leaving_month=LEAVING_MONTH)
    if amount is None:
        return rule
    return _("{rule}; leaving in month {month}: about {amount}").format(
        rule=rule, month=LEAVING_MONTH, amount=translator.format_money(amount)
    )


def _loyalty(translator: Translator, months: int) -> str:
    if months == 0:
        return translator.gettext("none, you may leave at any time")
    return translator.ngettext("{months} month", "{months} months", months).format(months=months)


def _days(translator: Translator, days: int) -> str:
    if days == 0:
        return translator.gettext("not required")
    return translator.ngettext("{days} day", "{days} days", days).format(days=days)


def _start(translator: Translator, terms: OfferTerms) -> str:
    days = terms.starts_in_days
    if not terms.available_now:
        # A waitlist cannot start at signing: homes cannot sign until the market opens.
        if days == 0:
            return translator.gettext("when the free market opens to homes")
        return translator.ngettext(
            "once the free market opens to homes, {days} day after signing",
            "once the free market opens to homes, {days} days after signing",
            days,
        ).format(days=days)
    if days == 0:
        return translator.gettext("right after signing")
    return translator.ngettext(
        "{days} day after signing", "{days} days after signing", days
    ).format(days=days)


def _two_bills(translator: Translator, terms: OfferTerms) -> str:
    _ = translator.gettext
    if not terms.two_bills:
        return _("no")
    return _("yes, the distributor's and {supplier}'s").format(supplier=terms.supplier_name)


def _who(translator: Translator, terms: OfferTerms) -> str:
    _ = translator.gettext
    who = _("{class_name} in {states}").format(
        class_name=_(CLASS_NAMES.get(terms.consumer_class, terms.consumer_class)),
        states=translator.format_list(terms.states),
    )
    if terms.distributors:
        # Each name gets its own article in Portuguese: "clientes da ELEKTRO ou da ENEL SP".
        of_each = [_("of {distributor}").format(distributor=name) for name in terms.distributors]
        who = _("{who}, customers {of_distributors}").format(
            who=who, of_distributors=translator.format_list(of_each, either=True)
        )
    if terms.min_bill_brl > 0:
        who = _("{who}, with a bill of at least {minimum}").format(
            who=who, minimum=translator.format_money(terms.min_bill_brl)
        )
    return who
