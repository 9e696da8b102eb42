"""From "I want to be contacted" to a recorded lead: consent naming the supplier, name,
contact, then the confirmation.

Nothing is shared until the consumer says yes to THIS supplier; the consent is recorded
with the lead (marketplace.leads), which exists once per consumer and offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conversations.consumer_data import (
    CONTACT_NAME,
    LEAD,
    OFFER_ID,
    SHARED_PHONE,
    UF,
    ConsumerState,
    consumption_in,
)
from conversations.consumer_fact_sheet import quote_for
from conversations.contacts import (
    Contact,
    ContactProblem,
    InvalidContact,
    InvalidName,
    NameProblem,
    example_phone,
    format_phone,
    normalize_phone,
    read_contact,
    read_person_name,
)
from conversations.contract_news import direct_signing_news, link_reply
from conversations.events import InboundEvent, InboundKind, Option, Reply
from conversations.flow import AskContext, Reask, StepContext, Transition
from conversations.lead_card import card_notifications
from conversations.parsing import parse_yes_no
from conversations.runner import RESTART_OPTION_ID
from marketplace.bills import BillAmount, Consumption
from marketplace.contracts import (
    ContractRecord,
    ContractStatus,
    NotContractable,
    accept_for_direct_signing,
    contract_for_lead,
    create_contract,
    load_contract,
)
from marketplace.leads import (
    LeadContact,
    LeadRequest,
    LeadStatus,
    OfferUnavailable,
    create_lead,
)
from marketplace.models import Lead
from marketplace.offer_terms import OfferQuote, load_offer_terms

YES, NO, USE_PHONE, OFFERS = "yes", "no", "use-phone", "offers"
EXAMPLE_NAME = "Maria Silva"


def ask_share_consent(context: AskContext) -> Reply:
    """Ask leave to send name and contact to this offer's supplier, by name."""
    _ = context.gettext
    terms = load_offer_terms(context.session, context.data[OFFER_ID])
    supplier = terms.supplier_name if terms else ""
    if terms is not None and not terms.available_now:
        text = _(
            "To put you on the {supplier} waitlist, we will send them your name and the phone "
            "or e-mail you give me, so they can tell you when it opens. Do you authorise this?"
        )
    elif terms is not None and terms.sign_directly:
        text = _(
            "To prepare your contract with {supplier}, we will send them your name and the "
            "phone or e-mail you give me. Do you authorise this?"
        )
    else:
        text = _(
            "For {supplier} to contact you, we will send them your name and the phone or "
            "e-mail you give me. Do you authorise this?"
        )
    options = (Option(YES, _("Yes, I authorise")), Option(NO, _("No")))
    return Reply(text.format(supplier=supplier), options=options)


def handle_share_consent(context: StepContext) -> Transition | Reask:
    """Go on to the name with a yes; back to the offers, sharing nothing, with a no."""
    agreed = _yes_no(context)
    if agreed is None:
        return context.reask_yes_no()
    if not agreed:
        terms = load_offer_terms(context.session, context.data[OFFER_ID])
        kept = context.gettext("All right, nothing was sent to {supplier}.").format(
            supplier=terms.supplier_name if terms else ""
        )
        return Transition(
            ConsumerState.OFFERS, replies=(Reply(kept),), forget=(CONTACT_NAME, SHARED_PHONE)
        )
    return Transition(ConsumerState.NAME, data=_shared_phone(context.event))


def help_share_consent(context: AskContext) -> str:
    """What authorising means."""
    return context.gettext(
        "If you authorise, only this supplier receives your name and contact, and only to "
        "talk to you about this offer. Answer yes or no."
    )


def ask_name(context: AskContext) -> Reply:
    """Ask for the name the supplier should use."""
    return Reply(context.gettext("What is your name?"))


def handle_name(context: StepContext) -> Transition | Reask:
    """Take a plausible name; say precisely what is wrong otherwise."""
    try:
        name = read_person_name(context.text)
    except InvalidName as invalid:
        return Reask(_name_reask(context, invalid.problem))
    data = {CONTACT_NAME: name, **_shared_phone(context.event)}
    return Transition(ConsumerState.CONTACT, data=data)


def help_name(context: AskContext) -> str:
    """What name to give."""
    return context.gettext(
        "Type the name the supplier should call you by, for example {name}."
    ).format(name=EXAMPLE_NAME)


def ask_contact(context: AskContext) -> Reply:
    """Ask for a phone or e-mail, offering the phone the channel shared, if any."""
    _ = context.gettext
    terms = load_offer_terms(context.session, context.data[OFFER_ID])
    text = _(
        "What phone number (with area code) or e-mail can {supplier} use to reach you? For "
        "example {phone}."
    ).format(
        supplier=terms.supplier_name if terms else "", phone=example_phone(context.data.get(UF))
    )
    shared = context.data.get(SHARED_PHONE)
    if not shared:
        return Reply(text)
    use = Option(USE_PHONE, _("Use {phone}").format(phone=format_phone(shared)))
    return Reply(text, options=(use,))


def handle_contact(context: StepContext) -> Transition | Reask:
    """Read the phone or e-mail, then record the consent and the lead."""
    try:
        contact = _contact(context)
    except InvalidContact as invalid:
        return Reask(_contact_reask(context, invalid.problem))
    quote = quote_for(context)
    if quote is None:
        return _withdrawn(context)
    try:
        lead = create_lead(context.session, _request(context, quote, contact), context.clock.now())
    except OfferUnavailable:
        return _withdrawn(context)

    done = {
        "supplier": quote.terms.supplier_name,
        "hours": quote.terms.response_hours,
        "waitlist": not quote.terms.available_now,
        "existing": not lead.created,
        "lead": lead.id,
    }
    if lead.created and lead.status == LeadStatus.NEW:
        direct = _sign_directly(context, lead.id)
        if direct is not None:
            return direct
    # The supplier's agents get the card in this same transaction: a lead nobody hears of
    # cannot exist, and a rolled-back lead sends no card.
    cards = card_notifications(context.session, lead.id) if lead.created else ()
    return Transition(
        ConsumerState.DONE,
        data={LEAD: done},
        forget=(CONTACT_NAME, SHARED_PHONE),
        forget_history=True,
        notify=cards if lead.status == LeadStatus.NEW else (),
    )


def _sign_directly(context: StepContext, lead_id: int) -> Transition | None:
    """For an offer signed directly: accept for the supplier, make the contract, send its link.

    None when the offer waits for the supplier's acceptance (the usual lead card).
    """
    now = context.clock.now()
    if context.contract_links is None or not accept_for_direct_signing(
        context.session, lead_id, now
    ):
        return None
    try:
        contract = create_contract(context.session, lead_id, context.clock)
    except NotContractable:
        return None
    link = link_reply(context.translator, contract, context.contract_links, now)
    done = {"supplier": contract.supplier_name, "direct": True, "contract": contract.id}
    return Transition(
        ConsumerState.DONE,
        replies=(link,),
        data={LEAD: done},
        forget=(CONTACT_NAME, SHARED_PHONE),
        forget_history=True,
        notify=direct_signing_news(context.session, contract),
    )


def help_contact(context: AskContext) -> str:
    """What contact to give and what it is used for."""
    return context.gettext(
        "Type a phone with its area code, for example {phone}, or an e-mail. The supplier "
        "uses it only to talk to you about this offer."
    ).format(phone=example_phone(context.data.get(UF)))


def _direct_signing_news(
    context: AskContext, lead: dict[str, Any], supplier: str
) -> tuple[str, bool]:
    """Where the directly signed contract stands: to sign at the link, signed, or withdrawn;
    and whether that is settled (signed or withdrawn: nothing more to wait for)."""
    number = lead.get("contract")
    contract = load_contract(context.session, number) if isinstance(number, int) else None
    news = _contract_news(context, contract, supplier) if contract is not None else None
    if news is not None:
        return news, True
    return context.gettext(
        "{supplier} takes this offer without a prior call: sign the contract at the link "
        'above. If the link stops working, type "contrato" for a new one.'
    ).format(supplier=supplier), False


def _answered_lead_news(
    context: AskContext, lead: dict[str, Any], supplier: str
) -> tuple[str, bool] | None:
    """Where a lead the supplier accepted stands, by its contract, and whether that is
    settled (as in _direct_signing_news); None while the lead waits."""
    _ = context.gettext
    number = lead.get("lead")
    if not isinstance(number, int):
        return None  # recorded before the lead's number was kept
    contract = contract_for_lead(context.session, number)
    if contract is not None:
        news = _contract_news(context, contract, supplier)
        if news is not None:
            return news, True
        return _(
            "Your contract with {supplier} is ready: sign it at the link I sent. If the link "
            'stops working, type "contrato" for a new one.'
        ).format(supplier=supplier), False
    row = context.session.get(Lead, number)
    if row is not None and row.status == LeadStatus.ACCEPTED:
        return _("{supplier} accepted your request and will contact you.").format(
            supplier=supplier
        ), False
    return None


def _contract_news(context: AskContext, contract: ContractRecord, supplier: str) -> str | None:
    """Signed or withdrawn, said once the consumer did it; None while it awaits signing."""
    _ = context.gettext
    if contract.status in (ContractStatus.SIGNED, ContractStatus.ACTIVE):
        return _("Your contract #{number} with {supplier} is signed.").format(
            number=contract.id, supplier=supplier
        )
    if contract.status == ContractStatus.WITHDRAWN:
        return _("You withdrew from contract #{number} with {supplier}.").format(
            number=contract.id, supplier=supplier
        )
    return None


def ask_done(context: AskContext) -> Reply:
    """Confirm the request and say what happens next."""
    _ = context.gettext
    lead: dict[str, Any] = context.data.get(LEAD, {})
    supplier, hours = lead.get("supplier", ""), int(lead.get("hours", 24))
    settled = False  # a contract signed or withdrawn: no "meanwhile", nothing is awaited
    if lead.get("direct"):
        first, settled = _direct_signing_news(context, lead, supplier)
    elif lead.get("waitlist"):
        first = _(
            "Done! You are on the {supplier} waitlist; they will tell you when the free market "
            "opens to homes."
        ).format(supplier=supplier)
    elif (answered := _answered_lead_news(context, lead, supplier)) is not None:
        first, settled = answered
    elif lead.get("existing"):
        first = context.ngettext(
            "Your request to {supplier} was already recorded. They will contact you within "
            "{hours} hour.",
            "Your request to {supplier} was already recorded. They will contact you within "
            "{hours} hours.",
            hours,
        ).format(supplier=supplier, hours=hours)
    else:
        first = context.ngettext(
            "Done! {supplier} will contact you within {hours} hour.",
            "Done! {supplier} will contact you within {hours} hours.",
            hours,
        ).format(supplier=supplier, hours=hours)
    then = (
        _("You can look at other offers or start over.")
        if settled
        else _("Meanwhile, you can look at other offers or start over.")
    )
    text = f"{first}\n{then}"
    options = (Option(OFFERS, _("See other offers")), Option(RESTART_OPTION_ID, _("Restart")))
    return Reply(text, options=options)


def handle_done(context: StepContext) -> Transition | Reask:
    """Back to the offers (restart is a global command)."""
    if context.option and context.option.id == OFFERS:
        return Transition(ConsumerState.OFFERS, forget=(LEAD,))
    return context.reask_choice()


def help_done(context: AskContext) -> str:
    """What can be done after the request."""
    if not context.buttons:
        return context.gettext(
            'Your request is recorded. Type the number of "See other offers" to keep '
            "comparing, or restart."
        )
    return context.gettext(
        'Your request is recorded. Tap "See other offers" to keep comparing, or restart.'
    )


def _yes_no(context: StepContext) -> bool | None:
    if context.option is not None:
        return context.option.id == YES
    return parse_yes_no(context.text)


def _shared_phone(event: InboundEvent) -> dict[str, str]:
    # WhatsApp and a shared Telegram contact carry the person's number: offer it, do not
    # assume it.
    if not event.phone:
        return {}
    try:
        return {SHARED_PHONE: normalize_phone(event.phone)}
    except InvalidContact:
        return {}


def _contact(context: StepContext) -> Contact:
    if context.option and context.option.id == USE_PHONE:
        return Contact(phone=context.data[SHARED_PHONE])
    if context.event.kind is InboundKind.CONTACT and context.event.phone:
        return Contact(phone=normalize_phone(context.event.phone))
    return read_contact(context.text)


def _request(context: StepContext, quote: OfferQuote, contact: Contact) -> LeadRequest:
    estimate, saving = quote.estimate, quote.saving
    stated = _Stated.of(consumption_in(context.data))
    return LeadRequest(
        consumer_id=context.consumer_id,
        offer_id=quote.terms.offer_id,
        contact=LeadContact(context.data[CONTACT_NAME], contact.phone, contact.email),
        uf=context.data[UF],
        distributor_id=quote.distributor.id,
        monthly_kwh=estimate.kwh if estimate else stated.kwh,
        bill_brl=estimate.bill_brl if estimate else stated.brl,
        monthly_saving_brl=saving.monthly_saving_brl if saving else None,
        conversation_id=context.conversation_id,
    )


@dataclass(frozen=True)
class _Stated:
    """What the consumer said, for a distributor without a tariff to estimate from."""

    brl: Decimal | None = None
    kwh: Decimal | None = None

    @classmethod
    def of(cls, consumption: Consumption) -> _Stated:
        if isinstance(consumption, BillAmount):
            return cls(brl=consumption.brl)
        return cls(kwh=consumption.kwh)


def _withdrawn(context: StepContext) -> Transition:
    gone = context.gettext("Sorry, this offer was withdrawn. Here are the others.")
    return Transition(
        ConsumerState.OFFERS, replies=(Reply(gone),), forget=(CONTACT_NAME, SHARED_PHONE)
    )


def _name_reask(context: StepContext, problem: NameProblem) -> str:
    _ = context.gettext
    reasks = {
        NameProblem.TOO_SHORT: _(
            "That looks too short for a name. Type your name, for example {name}."
        ),
        NameProblem.TOO_LONG: _(
            "That is too long for a name. Type up to 100 characters, for example {name}."
        ),
        NameProblem.DIGITS: _(
            "A name has no digits. Type your name, for example {name}; I will ask for your "
            "phone next."
        ),
        NameProblem.LINK: _(
            "Please type just your name, without links or e-mails, for example {name}."
        ),
        NameProblem.SYMBOLS: _("Please type just your name, in letters, for example {name}."),
    }
    return reasks[problem].format(name=EXAMPLE_NAME)


def _contact_reask(context: StepContext, problem: ContactProblem) -> str:
    _ = context.gettext
    reasks = {
        ContactProblem.NOTHING: _(
            "I did not understand. Type a phone with area code, for example {phone}, or an "
            "e-mail, for example maria@email.com."
        ),
        ContactProblem.PHONE_LENGTH: _(
            "That phone number looks incomplete. Type the area code and the number, for "
            "example {phone}."
        ),
        ContactProblem.AREA_CODE: _(
            "That area code (DDD) does not exist. Type the phone with its area code, for "
            "example {phone}."
        ),
        ContactProblem.EMAIL: _(
            "That e-mail does not look right. Check it, for example maria@email.com."
        ),
    }
    return reasks[problem].format(phone=example_phone(context.data.get(UF)))
