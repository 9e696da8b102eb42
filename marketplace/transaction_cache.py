"""Values remembered for the rest of one database transaction, and no longer.

The engine handles a batch of messages in one transaction; many of them look up the same
offers. Within the transaction a lookup may be answered from memory: the batch then sees
the catalog as it was at its first look, as if the batch had run a moment earlier, which
its all-or-nothing commit already allows. A new transaction starts with nothing, so a
withdrawn offer is never shown by a later one.

Only reads go through it, and only of what the engine's transactions never write: the
catalog is changed only by catalog loads (`connect-energy catalog load`, `catalog demo`),
each in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.orm import Session

_KEY = "connect_energy.transaction_cache"


def transaction_cache(session: Session, name: str) -> dict[Hashable, Any]:
    """The dict called `name` that lives as long as the session's current transaction."""
    session.connection()  # begins the transaction if none has begun yet
    transaction = session.get_transaction()
    kept = session.info.get(_KEY)
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info[_KEY] = kept
    caches: dict[str, dict[Hashable, Any]] = kept[1]
    return caches.setdefault(name, {})
