"""Values remembered for the rest of one database transaction, and no longer.

The engine handles a batch of messages in one transaction; many of them look up the same
offers. Within the transaction a lookup may be answered from memory: the batch then sees
the catalog as it was at its first look, as if the batch had run a moment earlier, which
its all-or-nothing commit already allows. A new transaction starts with nothing, so a
withdrawn offer is never shown by a later one.

Only reads go through it, and only of what the engine's transactions hardly ever write:
the catalog is changed by catalog loads (`connect-energy catalog load`, `catalog demo`),
each in a transaction of its own, and by a supplier pausing or resuming its leads in chat
(marketplace.supplier_accounts), which calls `forget_transaction_cache` so that the rest
of its transaction sees the change.
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


def forget_transaction_cache(session: Session) -> None:
    """Forget what the session's current transaction remembered, after it wrote the catalog."""
    session.info.pop(_KEY, None)
