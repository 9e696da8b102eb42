"""What the consumer pays or uses a month: read, checked against the estimator, and kept.

The estimator decides what a home can pay (a bill must exceed the street-lighting fee and
stay within what low voltage can draw); each refusal gets its own re-ask with an example.
"""

from __future__ import annotations

from decimal import Decimal

from conversations.amounts import (
    AmountError,
    AmountTooLarge,
    AmountUnit,
    NegativeAmount,
    NoAmount,
    NotAnAmount,
    SeveralAmounts,
    StatedAmount,
    ceiling_of,
    read_amount,
)
from conversations.consumer_data import (
    DISTRIBUTOR_ID,
    OFFERS_PAGE,
    UF,
    ConsumerState,
    consumption_in,
    remember_amount,
)
from conversations.events import Reply
from conversations.flow import AskContext, Reask, StepContext, Transition
from marketplace.bills import BillError, BillTooSmall
from marketplace.consumers import ConsumptionProfile, update_consumption
from marketplace.geography import distributor_ref, known_as
from marketplace.search import OfferSearchResult, search_offers

MAX_LISTED = 3  # numbers repeated back when the consumer typed several


def ask_bill(context: AskContext) -> Reply:
    """Ask what the consumer pays a month, in reais or kWh."""
    distributor = distributor_ref(context.session, context.data[DISTRIBUTOR_ID])
    name = known_as(distributor) if distributor else ""
    return Reply(
        context.gettext(
            "How much do you pay a month, on average, on your {distributor} bill? Type the "
            "amount in reais (for example 350) or your consumption in kWh (for example "
            "250 kWh)."
        ).format(distributor=name)
    )


def handle_bill(context: StepContext) -> Transition | Reask:
    """Read the amount, check it against the estimate, keep it, and show the offers."""
    try:
        amount = read_amount(context.text)
    except AmountError as error:
        return _reask_unreadable(context, error)
    refusal = _refusal(context, amount)
    if refusal is not None:
        return refusal

    data = remember_amount(amount)
    try:
        result = _first_page(context, data)
    except BillTooSmall as error:
        return _reask_too_small(context, error)
    except BillError:
        return _reask_too_large(context, amount.unit)
    _keep(context, result, amount)
    return Transition(ConsumerState.OFFERS, data={**data, OFFERS_PAGE: 1})


def help_bill(context: AskContext) -> str:
    """Where to find the amount on a bill."""
    return context.gettext(
        "Look at a recent electricity bill and type the total you pay, for example 350, or "
        "the consumption in kWh printed on it, for example 250 kWh. An average of the last "
        "few months is best."
    )


def _refusal(context: StepContext, amount: StatedAmount) -> Reask | None:
    if amount.value == 0:
        return Reask(
            context.gettext(
                "The amount must be more than zero. Type what you pay a month, for example "
                "350, or your consumption, for example 250 kWh."
            )
        )
    if amount.value > ceiling_of(amount.unit):
        return _reask_too_large(context, amount.unit)
    return None


def _first_page(context: StepContext, data: dict[str, str]) -> OfferSearchResult:
    # Searching checks the amount with the estimator, as the offers step will show it.
    return search_offers(
        context.session,
        distributor_id=context.data[DISTRIBUTOR_ID],
        uf=context.data[UF],
        consumption=consumption_in(data),
        clock=context.clock,
        page_size=1,
    )


def _keep(context: StepContext, result: OfferSearchResult, amount: StatedAmount) -> None:
    estimate = result.estimate
    if estimate is not None:
        kwh: Decimal | None = estimate.kwh
    else:
        kwh = amount.value if amount.unit is AmountUnit.KWH else None
    profile = ConsumptionProfile(
        uf=result.uf,
        distributor_id=result.distributor.id,
        bill_brl=result.current_bill_brl,
        monthly_kwh=kwh,
    )
    update_consumption(context.session, context.consumer_id, profile)


def _reask_unreadable(context: StepContext, error: AmountError) -> Reask:
    _ = context.gettext
    if isinstance(error, SeveralAmounts):
        translator = context.translator
        numbers = [translator.format_number(value) for value in error.values[:MAX_LISTED]]
        return Reask(
            _(
                "I found more than one number ({numbers}). Which one is your monthly bill? Type "
                "just that one, for example 350 or 250 kWh."
            ).format(numbers=translator.format_list(numbers, either=True))
        )
    if isinstance(error, NotAnAmount):
        return Reask(
            _(
                "I could not tell the amount from that. Type just the amount, for example 350 "
                "or about 300, or your consumption, for example 250 kWh."
            )
        )
    if isinstance(error, NegativeAmount):
        return Reask(
            _("The amount cannot be negative. Type what you pay a month, for example 350.")
        )
    if isinstance(error, AmountTooLarge):
        return _reask_too_large(context, AmountUnit.BRL)
    if isinstance(error, NoAmount):
        return Reask(
            _(
                "I did not understand the amount. Type what you pay a month in reais, for "
                "example 350, or in kWh, for example 250 kWh."
            )
        )
    return Reask(
        _("I could not read that number. Write it as, for example, 1.234,56 or simply 350.")
    )


def _reask_too_small(context: StepContext, error: BillTooSmall) -> Reask:
    translator = context.translator
    distributor = distributor_ref(context.session, context.data[DISTRIBUTOR_ID])
    return Reask(
        context.gettext(
            "A bill of {bill} is not possible: the minimum bill at {distributor} is about "
            "{minimum} (the street-lighting fee I assume plus the minimum charge of "
            "{minimum_kwh} kWh). Type your usual monthly bill, for example 350."
        ).format(
            bill=translator.format_money(error.bill_brl),
            distributor=known_as(distributor) if distributor else "",
            minimum=translator.format_money(error.minimum_brl),
            minimum_kwh=translator.format_number(error.minimum_kwh, decimals=0),
        )
    )


def _reask_too_large(context: StepContext, unit: AmountUnit) -> Reask:
    _ = context.gettext
    if unit is AmountUnit.KWH:
        return Reask(
            _(
                "That is more than a home can use in a month. Check the kWh on your bill, for "
                "example 250 kWh."
            )
        )
    return Reask(
        _(
            "That is more than a home pays in a month. Check the amount on your bill, for "
            "example 350 or 1.234,56."
        )
    )
