"""The ranked offers, five at a time: one message with the estimate and a line per offer.

Each offer's line names its supplier and its own title, so two offers of one supplier and
kind read apart; its option is labelled with its number in the list, its supplier's name (as
many words as fit) and its monthly saving in whole reais, marked as a month's; "See more"
pages on, and the consumer can go back and change the bill. Money, numbers and percentages
always go through the translator.
"""

from __future__ import annotations

import math

from conversations.characters import first_character, whole_prefix
from conversations.consumer_data import (
    DISTRIBUTOR_ID,
    OFFER_BRIEF,
    OFFER_ID,
    OFFERS_PAGE,
    UF,
    ConsumerState,
    consumption_in,
    page_in,
)
from conversations.consumer_explanation import explain_bill
from conversations.events import Option, Reply
from conversations.flow import AskContext, Reask, StepContext, Transition
from conversations.i18n import N_, Translator
from conversations.runner import RESTART_OPTION_ID
from marketplace.geography import known_as
from marketplace.offer_terms import load_offer_terms
from marketplace.savings import SolarSystem
from marketplace.search import OfferSearchResult, RankedOffer, search_offers

PAGE_SIZE = 5
OFFER_PREFIX = "o:"
MORE, FIRST, HOW, BILL, PLACE = "more", "first", "how", "bill", "place"
DEMO_MARK = "(demo)"
# WhatsApp cuts list row titles at 24 characters; buttons elsewhere are roomier. A reply of
# up to three options becomes WhatsApp reply buttons instead, whose titles hold 20.
LABEL_LIMIT = 24
BUTTON_LABEL_LIMIT = 20
MAX_BUTTONS = 3
# Words a shortened name must not end on ("Sol do" for "Sol do Sertão").
CONNECTORS = frozenset({"de", "da", "do", "das", "dos", "e", "&"})
ELLIPSIS = "…"

KIND_NAMES = {
    "subscription": N_("Solar energy subscription"),
    "free_market": N_("Free market (waitlist)"),
    "solar": N_("Your own solar power"),
}


def ask_offers(context: AskContext) -> Reply:
    """Show one page of ranked offers with the estimate they rest on."""
    _ = context.gettext
    result = _search(context, page_in(context.data, OFFERS_PAGE))
    if result.total == 0:
        return _no_offers(context, result)
    pages = math.ceil(result.total / PAGE_SIZE)
    if result.page > pages:
        result = _search(context, pages)  # the catalog shrank since the page was chosen

    lines = [*_header(context.translator, result), ""]
    for number, offer in enumerate(result.offers, start=1):
        lines.append(offer_line(context.translator, number, offer))
    lines.append("")
    if pages > 1:
        lines.append(_("Page {page} of {pages}.").format(page=result.page, pages=pages))
    lines.append(
        _("Tap an offer, or type its number, to see all its terms.")
        if context.buttons
        else _("Type an offer's number to see all its terms.")
    )
    return Reply("\n".join(lines), options=_options(context.translator, result, pages))


def handle_offers(context: StepContext) -> Transition | Reask:
    """Open an offer, page on, or go back to change the bill or the place."""
    chosen = context.option.id if context.option else None
    if chosen is None:
        return context.reask_choice()
    if chosen.startswith(OFFER_PREFIX):
        return _open(context, int(chosen.removeprefix(OFFER_PREFIX)))
    if chosen in (MORE, FIRST):
        page = page_in(context.data, OFFERS_PAGE) + 1 if chosen == MORE else 1
        return Transition(ConsumerState.OFFERS, data={OFFERS_PAGE: page})
    if chosen == HOW:
        result = _search(context, page_in(context.data, OFFERS_PAGE))
        explanation = explain_bill(context.translator, result.estimate, result.distributor)
        return Transition(ConsumerState.OFFERS, replies=(Reply(explanation),))
    if chosen == BILL:
        return Transition(ConsumerState.BILL)
    return Transition(ConsumerState.CEP)


def help_offers(context: AskContext) -> str:
    """How to read and pick offers."""
    if not context.buttons:
        return context.gettext(
            "Offers are ranked by what you would save on your own bill. Type an offer's "
            'number to see all its terms; "See more" shows the next ones; "How did you '
            'calculate?" shows how your bill was estimated. Every figure is an estimate.'
        )
    return context.gettext(
        "Offers are ranked by what you would save on your own bill. Tap one, or type its "
        'number, to see all its terms; "See more" shows the next ones; "How did you '
        'calculate?" shows how your bill was estimated. Every figure is an estimate.'
    )


def kind_name(translator: Translator, kind: str) -> str:
    """The kind of an offer in words."""
    return translator.gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def loyalty_words(translator: Translator, months: int) -> str:
    """`sem fidelidade`, or the loyalty period in months (in English, the minimum term)."""
    if months == 0:
        return translator.gettext("no minimum term")
    return translator.ngettext(
        "{months}-month minimum term", "{months}-month minimum term", months
    ).format(months=months)


def offer_line(translator: Translator, number: int, offer: RankedOffer) -> str:
    """One offer of the list: number, supplier and title; kind, saving, investment, loyalty,
    rating."""
    _ = translator.gettext
    # The title, as the fact sheet shows it: the kind alone reads the same for two offers of
    # one supplier.
    title = _("{number}. {supplier}: {title}").format(
        number=number, supplier=offer.supplier_name, title=offer.title
    )
    rating = (
        _("no ratings yet")
        if offer.rating is None
        else "★ " + translator.format_number(offer.rating, decimals=1)
    )
    details = [kind_name(translator, offer.kind), _saving_words(translator, offer)]
    system = offer.saving.solar if offer.saving else None
    if system is not None and system.price_brl > 0:  # no system at all below the minimum
        details.append(investment_words(translator, system))
    details += [loyalty_words(translator, offer.loyalty_months), rating]
    return f"{title}\n   {' · '.join(details)}"


def investment_words(translator: Translator, system: SolarSystem) -> str:
    """What a solar system costs up front, and when its energy has paid for it."""
    price = translator.format_money(system.price_brl)
    if system.payback_months is None:
        return translator.gettext("investment of {price}").format(price=price)
    return translator.ngettext(
        "investment of {price} (paid back in {months} month)",
        "investment of {price} (paid back in {months} months)",
        system.payback_months,
    ).format(price=price, months=system.payback_months)


def offer_label(
    translator: Translator, number: int, offer: RankedOffer, *, limit: int = LABEL_LIMIT
) -> str:
    """A button for the offer numbered `number` on the page, unique there thanks to it.

    As many words of the supplier's name as keep it within `limit`, never ending on a
    connector; a first word too long on its own is cut and marked with an ellipsis. The
    saving always stays whole.
    """
    words = offer.supplier_name.replace(DEMO_MARK, "").split() or [offer.supplier_name]
    saving = _short_saving(translator, offer)
    for count in range(len(words), 0, -1):
        kept = words[:count]
        while len(kept) > 1 and kept[-1].casefold() in CONNECTORS:
            kept.pop()
        label = _label(translator, number, " ".join(kept), saving)
        if len(label) <= limit:
            return label
    room = limit - len(_label(translator, number, "", saving)) - len(ELLIPSIS)
    head = whole_prefix(words[0], room) or first_character(words[0])
    return _label(translator, number, head + ELLIPSIS, saving)


def _search(context: AskContext, page: int) -> OfferSearchResult:
    return search_offers(
        context.session,
        distributor_id=context.data[DISTRIBUTOR_ID],
        uf=context.data[UF],
        consumption=consumption_in(context.data),
        clock=context.clock,
        page=page,
        page_size=PAGE_SIZE,
    )


def _header(translator: Translator, result: OfferSearchResult) -> list[str]:
    _ = translator.gettext
    distributor = known_as(result.distributor)
    lines = [_("Offers for your {distributor} bill (estimate):").format(distributor=distributor)]
    estimate = result.estimate
    if estimate is None:
        lines.append(
            _(
                "ANEEL's data has no tariff for {distributor}, so I cannot estimate savings; "
                "offers are listed by rating."
            ).format(distributor=distributor)
        )
        return lines
    if estimate.from_bill:
        summary = _("Estimated consumption: {kwh} kWh a month. Current bill: {bill}.")
    else:
        # The consumer gave the kWh: the bill is the figure worked out, not theirs.
        summary = _("Consumption: {kwh} kWh a month. Estimated bill: {bill}.")
    lines.append(
        summary.format(
            kwh=translator.format_number(estimate.kwh, decimals=0),
            bill=translator.format_money(estimate.bill_brl),
        )
    )
    if not estimate.basis.tariff.in_force:
        lines.append(
            _("No tariff is in force today; I used the latest known one ({act}).").format(
                act=estimate.basis.tariff.act
            )
        )
    return lines


def _saving_words(translator: Translator, offer: RankedOffer) -> str:
    _ = translator.gettext
    monthly, yearly = offer.monthly_saving_brl, offer.yearly_saving_brl
    if monthly is None or yearly is None:
        return _("saving not estimated")
    if monthly == 0:
        return _("no saving for your bill")
    if monthly < 0:
        return _("no saving for your bill: it costs {monthly} more a month").format(
            monthly=translator.format_money(-monthly)
        )
    return _("saves {monthly} a month ({yearly} a year)").format(
        monthly=translator.format_money(monthly), yearly=translator.format_money(yearly)
    )


def _options(translator: Translator, result: OfferSearchResult, pages: int) -> tuple[Option, ...]:
    _ = translator.gettext
    others = []
    if result.page < pages:
        others.append(Option(MORE, _("See more")))
    elif pages > 1:
        others.append(Option(FIRST, _("Back to the first offers")))
    if result.estimate is not None:
        others.append(Option(HOW, _("How did you calculate?")))
    others.append(Option(BILL, _("Change the bill amount")))
    few = len(result.offers) + len(others) <= MAX_BUTTONS
    limit = BUTTON_LABEL_LIMIT if few else LABEL_LIMIT
    offers = [
        Option(
            f"{OFFER_PREFIX}{offer.offer_id}", offer_label(translator, number, offer, limit=limit)
        )
        for number, offer in enumerate(result.offers, start=1)
    ]
    return (*offers, *others)


def _label(translator: Translator, number: int, supplier: str, saving: str | None) -> str:
    if saving is None:
        return translator.gettext("{number}. {supplier}").format(number=number, supplier=supplier)
    # An en dash, as typesetting separates a name from a figure.
    return translator.gettext("{number}. {supplier} – {saving}").format(  # noqa: RUF001
        number=number, supplier=supplier, saving=saving
    )


def _short_saving(translator: Translator, offer: RankedOffer) -> str | None:
    # Whole reais save room; an offer that saves nothing shows no figure at all (its line
    # in the list says why), never "R$ 0".
    monthly = offer.monthly_saving_brl
    if monthly is None or monthly <= 0:
        return None
    # A figure alone could be the new bill: say it is a month's, as short as a button allows.
    return translator.gettext("{amount}/mo").format(
        amount=translator.format_money(monthly, centavos=False)
    )


def _no_offers(context: AskContext, result: OfferSearchResult) -> Reply:
    _ = context.gettext
    text = _(
        "I found no offers for {distributor} customers with this bill yet; new suppliers join "
        "all the time. You can change the bill amount, try another CEP or state, or start over."
    ).format(distributor=known_as(result.distributor))
    options = (
        Option(BILL, _("Change the bill amount")),
        Option(PLACE, _("Change CEP or state")),
        Option(RESTART_OPTION_ID, _("Restart")),
    )
    return Reply(text, options=options)


def _open(context: StepContext, offer_id: int) -> Transition | Reask:
    if load_offer_terms(context.session, offer_id) is None:
        return Reask(
            context.gettext("That offer is no longer available. Please choose another one.")
        )
    return Transition(ConsumerState.OFFER, data={OFFER_ID: offer_id, OFFER_BRIEF: False})
