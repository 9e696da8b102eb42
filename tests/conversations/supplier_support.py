"""What supplier-flow tests share: invites, agents and the lead a consumer leaves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.events import Reply
from marketplace.clock import Clock
from marketplace.invites import create_invite
from marketplace.models import Lead, OutboxMessage, Supplier, SupplierAgent

SOLAR_SUPPLIER = "Telhado Limpo Energia Solar (demo)"


def invite_code(sessions: sessionmaker[Session], clock: Clock, supplier: str) -> str:
    """A fresh invite code for the demo supplier with this name."""
    with sessions.begin() as session:
        cnpj = session.scalars(select(Supplier.cnpj).where(Supplier.name == supplier)).one()
        return create_invite(session, cnpj, clock.now()).code


def agents(sessions: sessionmaker[Session]) -> list[SupplierAgent]:
    """Every agent recorded, oldest first."""
    with sessions() as session:
        return list(session.scalars(select(SupplierAgent).order_by(SupplierAgent.id)))


def notifications_to(sessions: sessionmaker[Session], chat_id: str) -> list[Reply]:
    """Every notification written for this chat, oldest first."""
    with sessions() as session:
        payloads = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.kind == "notification", OutboxMessage.recipient == chat_id)
            .order_by(OutboxMessage.id)
        )
        return [Reply.from_payload(payload) for payload in payloads]


def only_lead(sessions: sessionmaker[Session]) -> Lead:
    """The one lead recorded."""
    with sessions() as session:
        return session.scalars(select(Lead)).one()


def option_ids(reply: Reply) -> list[str]:
    """The ids of a reply's options."""
    return [option.id for option in reply.options]
