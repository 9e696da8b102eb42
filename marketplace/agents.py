"""Supplier agents: the people who answer a supplier's leads, each in one chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.models import Supplier, SupplierAgent


@dataclass(frozen=True)
class AgentRecord:
    """An agent and the supplier they answer for."""

    id: int
    supplier_id: int
    supplier_name: str
    channel: str
    chat_id: str
    name: str | None


def add_agent(
    session: Session,
    supplier_id: int,
    *,
    channel: str,
    chat_id: str,
    name: str | None,
    now: datetime,
) -> AgentRecord:
    """Make this chat an agent of the supplier; an existing agent stays as it is."""
    existing = _find(session, supplier_id, channel, chat_id)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            session.add(
                SupplierAgent(
                    supplier_id=supplier_id,
                    channel=channel,
                    chat_id=chat_id,
                    name=name,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass  # the same chat redeemed two codes of this supplier at once: one row is enough
    found = _find(session, supplier_id, channel, chat_id)
    assert found is not None
    return found


def agent_in_chat(session: Session, channel: str, chat_id: str) -> AgentRecord | None:
    """The agent this chat is (the latest made, when it joined several suppliers)."""
    row = session.execute(
        _query()
        .where(SupplierAgent.channel == channel, SupplierAgent.chat_id == chat_id)
        .order_by(SupplierAgent.id.desc())
    ).first()
    return _record(row) if row else None


def agent_of_supplier_in_chat(
    session: Session, supplier_id: int, channel: str, chat_id: str
) -> AgentRecord | None:
    """The agent this chat is for this supplier (a chat may answer for several)."""
    return _find(session, supplier_id, channel, chat_id)


def agents_in_chat(session: Session, channel: str, chat_id: str) -> list[AgentRecord]:
    """Every agent this chat is, one per supplier it joined, oldest first."""
    rows = session.execute(
        _query()
        .where(SupplierAgent.channel == channel, SupplierAgent.chat_id == chat_id)
        .order_by(SupplierAgent.id)
    )
    return [_record(row) for row in rows]


def agent_by_id(session: Session, agent_id: int) -> AgentRecord | None:
    """The agent with this id, if it exists."""
    row = session.execute(_query().where(SupplierAgent.id == agent_id)).first()
    return _record(row) if row else None


def agents_of(session: Session, supplier_id: int) -> list[AgentRecord]:
    """Every agent of the supplier, oldest first."""
    rows = session.execute(
        _query().where(SupplierAgent.supplier_id == supplier_id).order_by(SupplierAgent.id)
    )
    return [_record(row) for row in rows]


def _find(session: Session, supplier_id: int, channel: str, chat_id: str) -> AgentRecord | None:
    row = session.execute(
        _query().where(
            SupplierAgent.supplier_id == supplier_id,
            SupplierAgent.channel == channel,
            SupplierAgent.chat_id == chat_id,
        )
    ).first()
    return _record(row) if row else None


def _query() -> Select[SupplierAgent, str]:
    return select(SupplierAgent, Supplier.name).join(
        Supplier, Supplier.id == SupplierAgent.supplier_id
    )


def _record(row: Row[SupplierAgent, str]) -> AgentRecord:
    agent, supplier_name = row
    return AgentRecord(
        id=agent.id,
        supplier_id=agent.supplier_id,
        supplier_name=supplier_name,
        channel=agent.channel,
        chat_id=agent.chat_id,
        name=agent.name,
    )
