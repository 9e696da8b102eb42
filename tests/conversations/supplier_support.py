"""What supplier-flow tests share: invites, agents and the lead a consumer leaves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import Clock
from marketplace.invites import create_invite
from marketplace.models import Supplier, SupplierAgent

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
