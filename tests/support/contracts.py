"""What contract tests share: a consumer who reaches a contract through the real chat."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.contracts import accepted_contract, add_agent
from conversations.events import Reply
from marketplace.clock import FixedClock
from marketplace.contracts import SignatureRequest, sign_contract
from marketplace.leads import LeadContact, LeadRequest
from marketplace.models import Contract
from tests.marketplace.factories import add_offer, add_supplier, distributor_id
from tests.support.consumers import new_consumer

# A Fortaleza consumer (R$ 350) picks the second offer: Sol Nascente's subscription, which
# is signed directly (no wait for the supplier's acceptance).
DIRECT_PATH = (
    *("oi", "sim", "60110-000", "350", "2", "quero", "sim", "Maria Silva"),
    "(85) 99999-1234",
)
LINK = re.compile(r"(https?://\S+/contracts/(\S+))")
VALID_CPF = "529.982.247-25"


def link_in(replies: list[Reply]) -> tuple[str, str]:
    """The signing link in the replies and its token."""
    for reply in replies:
        found = LINK.search(reply.text)
        if found:
            return found.group(1), found.group(2)
    raise AssertionError(f"no signing link in {[reply.text for reply in replies]}")


def only_contract(sessions: sessionmaker[Session]) -> Contract:
    """The one contract recorded."""
    with sessions() as session:
        return session.scalars(select(Contract)).one()


def new_contract(session: Session, now: datetime, *, signed: bool = True) -> int:
    """A contract made through the real functions: a supplier and offer of their own, a
    consumer, a lead the supplier's agent accepted, the contract, and (by default) its
    signature. No tariff is known for the offer, so nothing is due at signing; payment
    tests open their own amounts."""
    serial = next(_contracts)
    supplier = add_supplier(session, f"Supplier for payments {serial}")
    offer = add_offer(session, supplier, f"PAY-{serial}", distributor_ids=())
    request = LeadRequest(
        consumer_id=new_consumer(session),
        offer_id=offer.id,
        contact=LeadContact(name="Maria Silva", phone="+5585999991234"),
        uf="CE",
        distributor_id=distributor_id(session, "ENEL CE"),
        monthly_kwh=None,
        bill_brl=Decimal("350"),
        monthly_saving_brl=None,
    )
    agent_id = add_agent(session, supplier.id, channel="test", chat_id=f"agent-{serial}", now=now)
    contract = accepted_contract(session, request, agent_id=agent_id, clock=FixedClock(now))
    if signed:
        sign_contract(
            session,
            SignatureRequest(
                contract_id=contract.id,
                token_id=f"payment-test-{serial}",
                document_sha256=contract.text_sha256,
                signer_name="Maria da Silva",
                signer_cpf="52998224725",
                ip_address="127.0.0.1",
                user_agent="test",
                now=now,
            ),
        )
    return contract.id


_contracts = itertools.count(1)
