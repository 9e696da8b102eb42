"""The supplier agent's home: open leads, their offers, and pausing or resuming leads.

Commands are buttons, and also words an agent may type, with or without a slash:
`/leads`, `/ofertas` (or `offers`), `pausar` (`pause`), `retomar` (`resume`).
"""

from __future__ import annotations

from conversations.events import Option, Reply
from conversations.flow import AskContext, Reask, StepContext, Transition
from conversations.parsing import normalize
from conversations.supplier_data import SupplierState, current_agent
from marketplace.supplier_accounts import (
    is_accepting_leads,
    offers_with_leads,
    set_accepting_leads,
)

LEADS, OFFERS, PAUSE, RESUME = "leads", "offers", "pause", "resume"
TYPED_COMMANDS = {
    "leads": LEADS,
    "contatos": LEADS,
    "ofertas": OFFERS,
    "offers": OFFERS,
    "pausar": PAUSE,
    "pause": PAUSE,
    "retomar": RESUME,
    "resume": RESUME,
}


def ask_home(context: AskContext) -> Reply:
    """Say whom the agent answers for, whether leads are paused, and what they can do."""
    _ = context.gettext
    agent = current_agent(context)
    if agent is None:
        return Reply(
            _("This chat is not linked to any supplier. Send the invite code you received.")
        )
    accepting = is_accepting_leads(context.session, agent.supplier_id)
    if accepting:
        text = _("You answer for {supplier}. New leads arrive here as cards.")
        toggle = Option(PAUSE, _("Pause new leads"))
    else:
        text = _("You answer for {supplier}. New leads are paused.")
        toggle = Option(RESUME, _("Resume new leads"))
    options = (Option(LEADS, _("Open leads")), Option(OFFERS, _("Our offers")), toggle)
    return Reply(text.format(supplier=agent.supplier_name), options=options)


def handle_home(context: StepContext) -> Transition | Reask:
    """Run the command tapped or typed."""
    agent = current_agent(context)
    if agent is None:
        return Reask(context.gettext("Send the invite code you received to link this chat."))
    command = (
        context.option.id
        if context.option
        else TYPED_COMMANDS.get(normalize(context.text).removeprefix("/"))
    )
    if command == LEADS:
        return Transition(SupplierState.LEADS)
    if command == OFFERS:
        return Transition(SupplierState.HOME, replies=(_offers_reply(context, agent.supplier_id),))
    if command in (PAUSE, RESUME):
        set_accepting_leads(context.session, agent.supplier_id, command == RESUME)
        return Transition(SupplierState.HOME, replies=(_pause_reply(context, command),))
    return context.reask_choice()


def help_home(context: AskContext) -> str:
    """What the home's commands do."""
    if not context.buttons:
        # A card's buttons cannot be typed: /leads numbers the open leads to pick from.
        return context.gettext(
            "New leads arrive here as cards; type /leads to pick one (oldest first) and answer "
            "it. You can also type /ofertas (your offers and their leads), pausar or retomar "
            "(stop or resume new leads). Where else leads reach you: /email ADDRESS (cards also "
            "by e-mail; /email off stops it), /app (a code to link the app for push), /push on "
            "or off."
        )
    return context.gettext(
        "New leads arrive here as cards; tap accept, decline or ask. You can also type "
        "/leads (open leads, oldest first), /ofertas (your offers and their leads), pausar "
        "or retomar (stop or resume new leads). Where else leads reach you: /email ADDRESS "
        "(cards also by e-mail; /email off stops it), /app (a code to link the app for push), "
        "/push on or off."
    )


def _offers_reply(context: StepContext, supplier_id: int) -> Reply:
    offers = offers_with_leads(context.session, supplier_id)
    if not offers:
        return Reply(context.gettext("Your company has no offers in the catalog."))
    lines = [context.gettext("Your offers and the leads each brought:")]
    for offer in offers:
        count = context.ngettext("{count} lead", "{count} leads", offer.leads).format(
            count=offer.leads
        )
        if not offer.leads:  # Portuguese counts 0 as one: "0 contato"
            count = context.gettext("no leads yet")
        suffix = "" if offer.active else context.gettext(" (withdrawn)")
        lines.append(f"• {offer.title}{suffix}: {count}")
    return Reply("\n".join(lines))


def _pause_reply(context: StepContext, command: str) -> Reply:
    if command == PAUSE:
        return Reply(
            context.gettext(
                "New leads are paused: your offers are not shown to consumers until you resume."
            )
        )
    return Reply(context.gettext("New leads resumed: your offers are shown again."))
