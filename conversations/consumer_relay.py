"""The consumer's side of a lead after it was sent: answering the supplier, the next offer.

Both start from buttons in notifications (conversations.lead_news), so they are actions of
the consumer flow. The answer goes to the supplier's agents through the bot: neither side
sees the other's chat address, and every message is kept in the lead's transcript.
"""

from __future__ import annotations

from conversations.consumer_data import (
    AMOUNT,
    ANSWER_LEAD,
    DISTRIBUTOR_ID,
    OFFER_BRIEF,
    OFFER_ID,
    RETURN_TO,
    UF,
    UNIT,
    ConsumerState,
)
from conversations.events import Reply
from conversations.flow import (
    AskContext,
    Notification,
    Reask,
    StepContext,
    Transition,
    too_long_to_relay,
)
from conversations.i18n import Translator
from conversations.lead_card import card_options, to_agents, write_option
from conversations.lead_news import ANSWER, NEXT_OFFER
from conversations.parsing import parse_record_id
from marketplace.lead_alternatives import offered_for_lead
from marketplace.lead_responses import CONSUMER, lead_status, record_lead_message
from marketplace.lead_views import LeadView, load_lead_view
from marketplace.leads import LeadStatus
from marketplace.models import Lead
from marketplace.notifications import NotificationKind

MAX_ANSWER = 1000
# A supplier that declined, or let the time run out, hears nothing more of the lead.
CLOSED = (LeadStatus.DECLINED, LeadStatus.MISSED)


def act_answer(context: StepContext) -> Transition | Reask:
    """Ask the consumer to type their answer to the supplier's question."""
    lead = _own_lead(context, ANSWER)
    if lead is None:
        return Reask(context.gettext("That request is not yours."), show_options=False)
    if lead.status in CLOSED:
        return Reask(_closed(context, lead), show_options=False)
    return Transition(ConsumerState.ANSWER, data={ANSWER_LEAD: lead.id, RETURN_TO: context.state})


def act_next_offer(context: StepContext) -> Transition | Reask:
    """Open the offer suggested after a decline or a miss, as if picked from the list."""
    option_id = context.option.id if context.option else ""
    lead_part, _sep, offer_part = option_id.removeprefix(NEXT_OFFER).partition(":")
    lead_id, offer_id = parse_record_id(lead_part), parse_record_id(offer_part)
    lead = context.session.get(Lead, lead_id) if lead_id is not None else None
    if lead is None or lead.consumer_id != context.consumer_id or offer_id is None:
        return Reask(context.gettext("That request is not yours."), show_options=False)
    if not offered_for_lead(context.session, lead.id, offer_id, context.clock):
        gone = context.gettext("This offer is no longer available.")
        return Reask(gone, show_options=False)
    unit, amount = (
        ("brl", lead.bill_brl) if lead.bill_brl is not None else ("kwh", lead.monthly_kwh)
    )
    situation = {
        UF: lead.uf,
        DISTRIBUTOR_ID: lead.distributor_id,
        AMOUNT: str(amount),
        UNIT: unit,
        OFFER_ID: offer_id,
    }
    return Transition(ConsumerState.OFFER, data=situation, forget=(OFFER_BRIEF,))


def ask_answer(context: AskContext) -> Reply:
    """Ask for the answer."""
    lead = load_lead_view(context.session, int(context.data[ANSWER_LEAD]))
    supplier = lead.supplier_name if lead else ""
    return Reply(
        context.gettext("Type your answer to {supplier}; I will pass it on.").format(
            supplier=supplier
        )
    )


def handle_answer(context: StepContext) -> Transition | Reask:
    """Keep the answer in the lead's transcript, relay it, and go back where they were."""
    lead_id = int(context.data[ANSWER_LEAD])
    # Held: a decline (or the miss) waits, so the answer goes while the lead is open.
    status = lead_status(context.session, lead_id, hold=True)
    lead = load_lead_view(context.session, lead_id)
    back = context.data.get(RETURN_TO) or ConsumerState.OFFERS
    if lead is None:
        return Transition(back, forget=(ANSWER_LEAD, RETURN_TO))
    if status in CLOSED:  # declined or missed while they typed
        closed = Reply(_closed(context, lead))
        return Transition(back, replies=(closed,), forget=(ANSWER_LEAD, RETURN_TO))
    if len(context.text) > MAX_ANSWER:
        return too_long_to_relay(context, MAX_ANSWER)
    answer = context.text
    record_lead_message(
        context.session, lead.id, sender=CONSUMER, body=answer, now=context.clock.now()
    )
    sent = context.gettext("Sent to {supplier}.").format(supplier=lead.supplier_name)
    return Transition(
        back,
        replies=(Reply(sent),),
        forget=(ANSWER_LEAD, RETURN_TO),
        notify=_to_agents(context, lead, answer),
    )


def _closed(context: StepContext, lead: LeadView) -> str:
    return context.gettext(
        "{supplier} no longer takes this request, so there is nothing to answer."
    ).format(supplier=lead.supplier_name)


def _own_lead(context: StepContext, prefix: str) -> LeadView | None:
    option_id = context.option.id if context.option else ""
    number = parse_record_id(option_id.removeprefix(prefix))
    if number is None:
        return None
    lead = context.session.get(Lead, number)
    if lead is None or lead.consumer_id != context.consumer_id:
        return None
    return load_lead_view(context.session, lead.id)


def _to_agents(context: StepContext, lead: LeadView, answer: str) -> tuple[Notification, ...]:
    def write(translator: Translator) -> Reply:
        text = translator.gettext('The consumer of lead #{number} answers: "{answer}"').format(
            number=lead.id, answer=answer
        )
        if lead.status == LeadStatus.NEW:
            options = card_options(translator, lead.id)
        elif lead.status == LeadStatus.ACCEPTED:
            options = (write_option(translator, lead.id),)
        else:
            options = ()
        return Reply(text, options=options)

    return to_agents(
        context.session,
        lead.supplier_id,
        write,
        kind=NotificationKind.RELAY,
        data={"lead_id": str(lead.id)},
        about_consumer=lead.consumer_id,
        push=lambda translator: translator.gettext(
            "The consumer of lead #{number} sent you an answer."
        ).format(number=lead.id),
    )
