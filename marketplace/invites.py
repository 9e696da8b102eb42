"""Invite codes: how a supplier's staff member becomes its agent in chat.

An operator runs `connect-energy supplier invite CNPJ`; the code it prints works once, until
it expires. Only its SHA-256 is stored, so reading the database never yields a usable code.
Redeeming is one conditional UPDATE, so two people sending the same code cannot both win.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketplace.agents import AgentRecord, add_agent
from marketplace.documents import normalize_cnpj
from marketplace.models import Supplier, SupplierInvite

logger = logging.getLogger(__name__)

INVITE_LIFETIME = timedelta(hours=72)
CODE_PREFIX = "CE-"
# No 0/O, 1/I/L: the code may be read aloud or typed from a screenshot.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # about 59 bits: far beyond guessing within 72 hours
_CODE_SHAPE = re.compile(rf"^CE-?([{CODE_ALPHABET}]{{{CODE_LENGTH}}})$")


class UnknownSupplier(LookupError):
    """No supplier has this CNPJ."""

    def __init__(self, cnpj: str) -> None:
        super().__init__(f"no supplier has CNPJ {cnpj}")
        self.cnpj = cnpj


class InviteProblem(StrEnum):
    """Why a code that looks like an invite did not make anyone an agent."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class InviteRejected(Exception):
    """A code was refused; `problem` says why, for the answer in chat."""

    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(f"invite code refused: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class Invite:
    """A freshly made invite: the code itself exists only here, never in the database."""

    code: str
    supplier_id: int
    supplier_name: str
    expires_at: datetime


def create_invite(
    session: Session, cnpj: str, now: datetime, *, lifetime: timedelta = INVITE_LIFETIME
) -> Invite:
    """Make a one-time code for the supplier with this CNPJ.

    Raises:
        InvalidDocument: the CNPJ is malformed.
        UnknownSupplier: no supplier has it.
    """
    digits = normalize_cnpj(cnpj)
    supplier = session.scalars(select(Supplier).where(Supplier.cnpj == digits)).one_or_none()
    if supplier is None:
        raise UnknownSupplier(digits)

    code = CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    invite = SupplierInvite(
        supplier_id=supplier.id,
        code_hash=_hash(code),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(invite)
    session.flush()
    logger.info("invite %s made for supplier %s", invite.id, supplier.id)
    return Invite(code, supplier.id, supplier.name, invite.expires_at)


def read_invite_code(text: str) -> str | None:
    """The invite code in a message (`CE-…`, any case, spaces ignored), or None."""
    compact = "".join(text.split()).upper()
    found = _CODE_SHAPE.match(compact)
    return CODE_PREFIX + found.group(1) if found else None


def redeem_invite(
    session: Session, code: str, *, channel: str, chat_id: str, name: str | None, now: datetime
) -> AgentRecord:
    """Spend the code and make the sender an agent of its supplier.

    Raises:
        InviteRejected: the code is unknown, already used, or expired.
    """
    code_hash = _hash(code)
    spent = session.execute(
        update(SupplierInvite)
        .where(
            SupplierInvite.code_hash == code_hash,
            SupplierInvite.used_at.is_(None),
            SupplierInvite.expires_at > now,
        )
        .values(used_at=now)
        .returning(SupplierInvite.id, SupplierInvite.supplier_id)
    ).one_or_none()
    if spent is None:
        raise InviteRejected(_why_refused(session, code_hash))
    agent = add_agent(
        session, spent.supplier_id, channel=channel, chat_id=chat_id, name=name, now=now
    )
    logger.info("invite %s made agent %s of supplier %s", spent.id, agent.id, spent.supplier_id)
    return agent


def _why_refused(session: Session, code_hash: str) -> InviteProblem:
    invite = session.scalars(
        select(SupplierInvite).where(SupplierInvite.code_hash == code_hash)
    ).one_or_none()
    if invite is None:
        return InviteProblem.UNKNOWN
    return InviteProblem.USED if invite.used_at is not None else InviteProblem.EXPIRED


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()
