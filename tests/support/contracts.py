"""What contract tests share: a consumer who reaches a contract through the real chat."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.events import Reply
from marketplace.models import Contract

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
