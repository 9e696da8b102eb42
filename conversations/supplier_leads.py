"""An agent answers a lead: accept, decline with a reason, or ask the consumer a question.

The card's buttons are actions of the supplier flow, taken in any state; `/leads` lists the
open leads for agents who type rather than tap (the terminal, WhatsApp without buttons).
Acceptance is a conditional update (marketplace.lead_responses): of two agents racing, one
wins and the other is told who was faster.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations.contract_news import link_news
from conversations.events import Option, Reply
from conversations.flow import (
    AskContext,
    Notification,
    Reask,
    StepContext,
    Transition,
    too_long_to_relay,
)
from conversations.lead_card import (
    ACCEPT,
    ASK,
    DECLINE,
    agent_translator,
    lead_card,
    shared_line,
    write_option,
)
from conversations.lead_news import (
    DECLINE_REASONS,
    accepted_news,
    declined_news,
    question_news,
    reason_label,
)
from conversations.parsing import parse_record_id
from conversations.supplier_data import (
    LEAD_ID,
    SupplierState,
    agent_for_supplier,
    suppliers_of_chat,
)
from marketplace.agents import AgentRecord, agents_of
from marketplace.contracts import NotContractable, create_contract
from marketplace.lead_responses import (
    MAX_REASON,
    SUPPLIER,
    accept_lead,
    decline_lead,
    lead_status,
    record_lead_message,
)
from marketplace.lead_views import LeadView, load_lead_view, open_leads
from marketplace.leads import LeadStatus
from marketplace.models import Lead
from marketplace.notifications import NotificationKind
from marketplace.people import Person

BACK = "home"
MAX_QUESTION = 1000


# Actions: the card's buttons -----------------------------------------------------------


def act_accept(context: StepContext) -> Transition | Reask:
    """Accept the lead, unless someone answered it first."""
    found = _lead_of_agent(context, ACCEPT)
    if isinstance(found, Transition):
        return found
    agent, lead = found
    won = accept_lead(
        context.session,
        lead.id,
        supplier_id=agent.supplier_id,
        agent_id=agent.id,
        now=context.clock.now(),
    )
    if not won:
        return _already_answered(context, lead.id, agent)

    _ = context.gettext
    done = _("You accepted lead #{number}. {shared}").format(
        number=lead.id, shared=shared_line(context.translator, lead)
    )
    notify = (
        accepted_news(context.session, lead)
        + contract_notifications(context, lead.id)
        + _tell_colleagues(context, agent, lead)
    )
    # The contact the consumer shared, now in this chat: it goes when they are forgotten.
    # The button keeps the relay open: without a shared contact it is the only way to them.
    write = write_option(context.translator, lead.id)
    reply = Reply(done, options=(write,), about_consumer=lead.consumer_id)
    return Transition(SupplierState.HOME, replies=(reply,), notify=notify)


def act_decline(context: StepContext) -> Transition | Reask:
    """Ask for the reason before declining."""
    found = _lead_of_agent(context, DECLINE)
    if isinstance(found, Transition):
        return found
    agent, lead = found
    if lead.status != LeadStatus.NEW:
        return _already_answered(context, lead.id, agent)
    return Transition(SupplierState.DECLINE_REASON, data={LEAD_ID: lead.id})


def act_ask(context: StepContext) -> Transition | Reask:
    """Ask for the question to relay to the consumer."""
    found = _lead_of_agent(context, ASK)
    if isinstance(found, Transition):
        return found
    _agent, lead = found
    if lead.status not in (LeadStatus.NEW, LeadStatus.ACCEPTED):
        return _already_answered(context, lead.id)
    return Transition(SupplierState.QUESTION, data={LEAD_ID: lead.id})


# States --------------------------------------------------------------------------------


def ask_leads(context: AskContext) -> Reply:
    """The open leads, oldest first, to pick one."""
    _ = context.gettext
    # A chat that joined several suppliers answers the leads of each.
    leads = sorted(
        (
            lead
            for supplier_id in suppliers_of_chat(context)
            for lead in open_leads(context.session, supplier_id)
        ),
        key=lambda lead: (lead.created_at, lead.id),
    )
    back = Option(BACK, _("Back"))
    # Each option shows only the lead's number, state and distributor, and the list stays in
    # the agent's transcript, outbox and conversation data (the options shown) after those
    # consumers are forgotten. That keeps nothing personal: with the lead deleted its number
    # leads to nothing kept (as in "Lead #N was accepted by a colleague"), and a state with
    # its distributor is shared by every home of that concession area. A reply can be
    # marked about one consumer only (Reply.about_consumer), so nothing more of a lead
    # (bill, city, contact) may join these labels unless each lead gets a reply of its own.
    if not leads:
        return Reply(_("No open leads right now."), options=(back,))
    options = tuple(
        Option(
            f"lead:{lead.id}",
            _("#{number} {state}, {distributor}").format(
                number=lead.id, state=lead.uf, distributor=lead.distributor_name
            ),
        )
        for lead in leads
    )
    return Reply(_("Open leads, oldest first:"), options=(*options, back))


def handle_leads(context: StepContext) -> Transition | Reask:
    """Open the lead picked, or go back home."""
    chosen = context.option.id if context.option else ""
    if chosen == BACK:
        return Transition(SupplierState.HOME)
    if not chosen.startswith("lead:"):
        return context.reask_choice()
    return Transition(SupplierState.LEAD, data={LEAD_ID: int(chosen.removeprefix("lead:"))})


def ask_lead(context: AskContext) -> Reply:
    """The card of the lead picked from the list, with its buttons."""
    # Held: a consumer forgotten meanwhile takes the copy written here with them.
    lead = load_lead_view(context.session, int(context.data[LEAD_ID]), hold=True)
    if lead is None:
        return Reply(context.gettext("This lead no longer exists."))
    return lead_card(context.translator, lead)


def handle_lead(context: StepContext) -> Transition | Reask:
    """The card's buttons, typed or tapped, as in a notification."""
    chosen = context.option.id if context.option else ""
    for prefix, act in ((ACCEPT, act_accept), (DECLINE, act_decline), (ASK, act_ask)):
        if chosen.startswith(prefix):
            return act(context)
    return context.reask_choice()


def ask_decline_reason(context: AskContext) -> Reply:
    """Ask why, with the usual reasons as buttons."""
    _ = context.gettext
    options = tuple(
        Option(reason, reason_label(context.translator, reason)) for reason in DECLINE_REASONS
    )
    question = (
        _("Why are you declining lead #{number}? Tap a reason or type your own.")
        if context.buttons
        else _("Why are you declining lead #{number}? Type the number of a reason, or your own.")
    )
    return Reply(question.format(number=context.data[LEAD_ID]), options=options)


def handle_decline_reason(context: StepContext) -> Transition | Reask:
    """Decline with the reason given and tell the consumer, with the next-best offer."""
    lead = load_lead_view(context.session, int(context.data[LEAD_ID]))
    agent = agent_for_supplier(context, lead.supplier_id) if lead else None
    if agent is None or lead is None:
        return Transition(SupplierState.HOME, forget=(LEAD_ID,))
    if _typed_command(context):
        return _not_a_command(context)
    if context.option is None and len(context.text) > MAX_REASON:
        return too_long_to_relay(context, MAX_REASON)
    reason = context.option.id if context.option else context.text
    won = decline_lead(
        context.session,
        lead.id,
        supplier_id=agent.supplier_id,
        agent_id=agent.id,
        reason=reason_label(context.translator, reason),
        now=context.clock.now(),
    )
    if not won:
        return _already_answered(context, lead.id, agent)
    done = context.gettext("You declined lead #{number}; the consumer was told.").format(
        number=lead.id
    )
    notify = declined_news(context.session, lead, reason, context.clock)
    return Transition(SupplierState.HOME, replies=(Reply(done),), forget=(LEAD_ID,), notify=notify)


def consumer_of_lead(context: AskContext) -> int | None:
    """The consumer of the lead being answered: what the agent types now is for them."""
    lead_id = context.data.get(LEAD_ID)
    if lead_id is None:
        return None
    return context.session.scalar(select(Lead.consumer_id).where(Lead.id == int(lead_id)))


def ask_question(context: AskContext) -> Reply:
    """Ask what to relay: a question before accepting, any message after."""
    _ = context.gettext
    lead = load_lead_view(context.session, int(context.data[LEAD_ID]))
    if lead is not None and lead.status == LeadStatus.ACCEPTED:
        asked = _("Type your message for the consumer of lead #{number}; I will relay it.")
    else:
        asked = _("Type your question for the consumer of lead #{number}; I will relay it.")
    return Reply(asked.format(number=context.data[LEAD_ID]))


def handle_question(context: StepContext) -> Transition | Reask:
    """Keep the question in the lead's transcript and relay it to the consumer."""
    lead_id = int(context.data[LEAD_ID])
    # Held: a colleague's decline (or the miss) waits, and reaches the consumer after this.
    status = lead_status(context.session, lead_id, hold=True)
    lead = load_lead_view(context.session, lead_id)
    agent = agent_for_supplier(context, lead.supplier_id) if lead else None
    if agent is None or lead is None:
        return Transition(SupplierState.HOME, forget=(LEAD_ID,))
    if status not in (LeadStatus.NEW, LeadStatus.ACCEPTED):
        # Declined by a colleague, or missed, while this agent typed: the consumer was
        # told it is over, and was offered another supplier.
        return _already_answered(context, lead.id, agent)
    if _typed_command(context):
        return _not_a_command(context)
    if len(context.text) > MAX_QUESTION:
        return too_long_to_relay(context, MAX_QUESTION)
    question = context.text
    record_lead_message(
        context.session,
        lead.id,
        sender=SUPPLIER,
        body=question,
        agent_id=agent.id,
        now=context.clock.now(),
    )
    sent = context.gettext("Sent. The consumer's answer will arrive here.")
    return Transition(
        SupplierState.HOME,
        replies=(Reply(sent),),
        forget=(LEAD_ID,),
        notify=question_news(context.session, lead, question),
    )


# Helpers -------------------------------------------------------------------------------


def _lead_of_agent(context: StepContext, prefix: str) -> tuple[AgentRecord, LeadView] | Transition:
    """The agent and the lead a button names, or a transition home saying what is wrong."""
    option_id = context.option.id if context.option else ""
    number = parse_record_id(option_id.removeprefix(prefix))
    lead = load_lead_view(context.session, number) if number is not None else None
    agent = agent_for_supplier(context, lead.supplier_id) if lead else None
    if agent is None or lead is None:
        # One answer for both: telling them apart would say which numbers other
        # suppliers' leads have, and a forgotten consumer's lead is gone like any other.
        unknown = context.gettext(
            "That lead is not one of your company's, or it no longer exists."
        )
        return Transition(SupplierState.HOME, replies=(Reply(unknown),))
    return agent, lead


def contract_notifications(context: StepContext, lead_id: int) -> tuple[Notification, ...]:
    """The accepted lead's contract, made now, as its signing link in the consumer's chat.

    A waitlist offer (free market) makes no contract, and neither does one withdrawn since.
    """
    try:
        contract = create_contract(context.session, lead_id, context.clock)
    except NotContractable:
        return ()
    return link_news(context.session, contract, context.contract_links, context.clock.now())


def _typed_command(context: StepContext) -> bool:
    """A slash command ("/leads") typed where words for the consumer were asked for."""
    return context.option is None and context.text.startswith("/")


def _not_a_command(context: StepContext) -> Reask:
    return Reask(
        context.gettext(
            "That looks like a command, and this goes to the consumer. Type it in words, or "
            'send "back" to leave it.'
        ),
        show_options=False,
    )


def _already_answered(
    context: StepContext, lead_id: int, agent: AgentRecord | None = None
) -> Transition:
    lead = load_lead_view(context.session, lead_id)
    _ = context.gettext
    row = context.session.get(Lead, lead_id)
    if agent is not None and row is not None and row.agent_id == agent.id:
        # A double tap, or the same button tapped again later: it was this agent.
        said = (
            _("You already accepted lead #{number}.")
            if row.status == LeadStatus.ACCEPTED
            else _("Lead #{number} was already answered.")
        )
    elif lead is not None and lead.status == LeadStatus.ACCEPTED:
        said = _("Lead #{number} was already accepted by a colleague.")
    elif lead is not None and lead.status == LeadStatus.MISSED:
        said = _("Lead #{number} passed its response time; the consumer was offered another.")
    else:
        said = _("Lead #{number} was already answered.")
    return Transition(
        SupplierState.HOME, replies=(Reply(said.format(number=lead_id)),), forget=(LEAD_ID,)
    )


def _tell_colleagues(
    context: StepContext, agent: AgentRecord, lead: LeadView
) -> tuple[Notification, ...]:
    notes: list[Notification] = []
    for colleague in agents_of(context.session, agent.supplier_id):
        if colleague.id == agent.id:
            continue
        translator = agent_translator(context.session, colleague)
        text = translator.gettext("Lead #{number} was accepted by a colleague.")
        notes.append(
            Notification(
                colleague.channel,
                colleague.chat_id,
                Reply(text.format(number=lead.id)),
                kind=NotificationKind.NOTICE,
                person=Person.agent(colleague.id),
                data={"lead_id": str(lead.id)},
            )
        )
    return tuple(notes)
