"""The supplier agent's home: where new leads are announced and commands are offered."""

from __future__ import annotations

from conversations.events import Reply
from conversations.flow import AskContext, Reask, StepContext, Transition
from conversations.supplier_data import current_agent


def ask_home(context: AskContext) -> Reply:
    """Say whom the agent answers for and what they can do here."""
    _ = context.gettext
    agent = current_agent(context)
    if agent is None:
        return Reply(
            _("This chat is not linked to any supplier. Send the invite code you received.")
        )
    return Reply(
        _("You answer for {supplier}. New leads arrive here as cards.").format(
            supplier=agent.supplier_name
        )
    )


def handle_home(context: StepContext) -> Transition | Reask:
    """Nothing to answer yet: say what this chat is for."""
    return Reask(
        context.gettext("New leads arrive here as cards; tap a card's buttons to answer.")
    )


def help_home(context: AskContext) -> str:
    """What the home is for."""
    return context.gettext("This chat receives your company's leads.")
