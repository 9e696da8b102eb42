"""What the supplier flow remembers: its state names and the keys of its conversation data."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from conversations.flow import AskContext
from marketplace.agents import (
    AgentRecord,
    agent_by_id,
    agent_in_chat,
    agent_of_supplier_in_chat,
    agents_in_chat,
)
from marketplace.models import Conversation


class SupplierState(StrEnum):
    """The states of the supplier flow, as stored in `conversations.state`."""

    HOME = "home"
    LEADS = "leads"
    LEAD = "lead"
    DECLINE_REASON = "decline_reason"
    QUESTION = "question"


# Keys of the conversation data.
AGENT_ID = "agent_id"
LEAD_ID = "lead_id"


def current_agent(context: AskContext) -> AgentRecord | None:
    """The agent this conversation belongs to (the one it joined last, after a restart)."""
    agent_id = context.data.get(AGENT_ID)
    if agent_id is not None:
        return agent_by_id(context.session, int(agent_id))
    return agent_of_conversation(context.session, context.conversation_id)


def agent_of_conversation(session: Session, conversation_id: int) -> AgentRecord | None:
    """The agent whose chat is this conversation, if it is an agent's."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    return agent_in_chat(session, conversation.channel, conversation.chat_id)


def agent_for_supplier(context: AskContext, supplier_id: int) -> AgentRecord | None:
    """The agent this conversation is for `supplier_id`: a chat that joined several suppliers
    answers the leads of each, not only of the one it joined last."""
    conversation = context.session.get(Conversation, context.conversation_id)
    if conversation is None:
        return None
    return agent_of_supplier_in_chat(
        context.session, supplier_id, conversation.channel, conversation.chat_id
    )


def suppliers_of_chat(context: AskContext) -> list[int]:
    """The suppliers this conversation's chat answers for, in the order it joined them."""
    conversation = context.session.get(Conversation, context.conversation_id)
    if conversation is None:
        return []
    agents = agents_in_chat(context.session, conversation.channel, conversation.chat_id)
    return [agent.supplier_id for agent in agents]
