"""A contract reached through the real functions, from an accepted lead; shared with tests.

Both the money-path benchmark (bench/money.py) and the contract tests
(tests/support/contracts.py) need contracts without a chat: a lead, the supplier's agent
accepting it, the contract made from the offer's terms. This module does that with the
product's own functions and nothing else, so the benchmark does not import the test suite
(its helpers pull in pytest and the fixtures).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.consumer_flow import CONSUMER
from conversations.flow import END
from marketplace.clock import Clock
from marketplace.consents import record_privacy_consent
from marketplace.consumers import ensure_consumers
from marketplace.contracts import ContractRecord, create_contract
from marketplace.conversation_store import NewConversation, lock_conversations, save_conversations
from marketplace.lead_responses import accept_lead
from marketplace.leads import LeadContact, LeadRequest, create_lead
from marketplace.models import Distributor, Offer, SupplierAgent

CHANNEL = "bench"
# Sol Nascente's subscription in Ceará (demo catalog): signed directly, and with ENEL CE's
# tariff known, a R$ 350 bill makes a first month's bill due at signing.
PAID_OFFER = "SN-CE-12M"
PAID_DISTRIBUTOR = "ENEL CE"
PAID_BILL = Decimal("350")
MONEY_PREFIX = "money"  # the chats of bench/prepare.py's contracts


class LeadNotAccepted(RuntimeError):
    """The agent could not accept the lead just made (it should always be able to)."""


class NothingDue(RuntimeError):
    """A contract meant to be paid at signing has nothing due (no tariff, no catalog?)."""


def add_agent(
    session: Session, supplier_id: int, *, channel: str, chat_id: str, now: datetime
) -> int:
    """An agent of the supplier on this chat; its id."""
    agent = SupplierAgent(
        supplier_id=supplier_id, channel=channel, chat_id=chat_id, created_at=now
    )
    session.add(agent)
    session.flush()
    return agent.id


def accepted_contract(
    session: Session, request: LeadRequest, *, agent_id: int, clock: Clock
) -> ContractRecord:
    """The lead `request` describes, accepted by the agent, and its contract, unsigned.

    Raises:
        LeadNotAccepted: the agent is not the offer's supplier's, or the lead was answered.
    """
    now = clock.now()
    lead = create_lead(session, request, now)
    if not accept_lead(session, lead.id, supplier_id=lead.supplier_id, agent_id=agent_id, now=now):
        raise LeadNotAccepted(f"lead {lead.id} could not be accepted by agent {agent_id}")
    return create_contract(session, lead.id, clock)


def consumer_in_chat(session: Session, chat_id: str, now: datetime) -> tuple[int, int]:
    """A consumer with a conversation on the benchmark's channel, who accepted the privacy
    terms, as the engine leaves them after a first message; (consumer id, conversation id).
    """
    key = (CHANNEL, chat_id)
    start = NewConversation(flow=CONSUMER.name, state=END, locale="pt_BR")
    conversation = lock_conversations(session, {key: start}, now)[key]
    conversation.consumer_id = ensure_consumers(session, {key: "pt_BR"}, now)[key]
    save_conversations(session, [conversation], now)
    record_privacy_consent(session, conversation.consumer_id, now)
    return conversation.consumer_id, conversation.id


def agent_chat_id(prefix: str) -> str:
    """The chat of the supplier's agent who accepted the leads of `paid_contracts`."""
    return f"{prefix}-agent"


def paid_contracts(session: Session, count: int, clock: Clock, *, prefix: str) -> list[int]:
    """`count` contracts awaiting signature, each of its own consumer and chat, with an
    amount due at signing, for one agent of the supplier (the demo catalog must be loaded).

    Raises:
        NothingDue: the offer's contract asks for nothing at signing.
    """
    now = clock.now()
    offer = session.scalars(select(Offer).where(Offer.code == PAID_OFFER)).one()
    distributor = session.scalars(
        select(Distributor.id).where(
            Distributor.sigla == PAID_DISTRIBUTOR, Distributor.active.is_(True)
        )
    ).one()
    agent_id = add_agent(
        session, offer.supplier_id, channel=CHANNEL, chat_id=agent_chat_id(prefix), now=now
    )
    made: list[int] = []
    for number in range(count):
        consumer_id, conversation_id = consumer_in_chat(session, f"{prefix}-{number}", now)
        request = LeadRequest(
            consumer_id=consumer_id,
            offer_id=offer.id,
            contact=LeadContact(name="Maria da Silva", phone="+5585999991234"),
            uf="CE",
            distributor_id=distributor,
            monthly_kwh=None,
            bill_brl=PAID_BILL,
            monthly_saving_brl=None,
            conversation_id=conversation_id,
        )
        contract = accepted_contract(session, request, agent_id=agent_id, clock=clock)
        if contract.amount_due_brl <= 0:
            raise NothingDue(f"contract {contract.id} of {PAID_OFFER} has nothing due")
        made.append(contract.id)
    return made
