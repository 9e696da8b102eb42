"""Consumers and the channel identities through which they write to the bot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Table, insert, select, tuple_, update
from sqlalchemy.orm import Session

from marketplace.models import ChannelIdentity, Consumer

ChatKey = tuple[str, str]
"""A chat as (channel, external id of the person on that channel)."""

_consumers: Table = Consumer.__table__  # type: ignore[assignment]
_identities: Table = ChannelIdentity.__table__  # type: ignore[assignment]


def ensure_consumers(
    session: Session, locales: Mapping[ChatKey, str], now: datetime
) -> dict[ChatKey, int]:
    """The consumer id behind each chat, creating the consumer and identity of new ones.

    Callers hold the lock of each chat's conversation, so no other transaction creates the
    same identity meanwhile. `locales` gives the language a new consumer starts with.
    """
    if not locales:
        return {}
    found = _find_consumers(session, locales)
    missing = sorted(key for key in locales if key not in found)
    if missing:
        found.update(_create_consumers(session, missing, locales, now))
    return found


def _find_consumers(session: Session, keys: Iterable[ChatKey]) -> dict[ChatKey, int]:
    statement = select(
        _identities.c.channel, _identities.c.external_id, _identities.c.consumer_id
    ).where(tuple_(_identities.c.channel, _identities.c.external_id).in_(list(keys)))
    rows = session.connection().execute(statement)
    return {(row.channel, row.external_id): row.consumer_id for row in rows}


def _create_consumers(
    session: Session, keys: list[ChatKey], locales: Mapping[ChatKey, str], now: datetime
) -> dict[ChatKey, int]:
    connection = session.connection()
    created = connection.execute(
        insert(_consumers).returning(_consumers.c.id, sort_by_parameter_order=True),
        [{"created_at": now, "locale": locales[key]} for key in keys],
    )
    consumer_ids = dict(zip(keys, created.scalars(), strict=True))
    connection.execute(
        insert(_identities),
        [
            {
                "consumer_id": consumer_ids[key],
                "channel": key[0],
                "external_id": key[1],
                "unreachable": False,
                "last_inbound_at": now,
            }
            for key in keys
        ],
    )
    return consumer_ids


def touch_identities(session: Session, keys: Iterable[ChatKey], now: datetime) -> None:
    """Note that these chats wrote to the bot at `now` (the service window starts there)."""
    wanted = list(keys)
    if not wanted:
        return
    statement = (
        update(_identities)
        .where(tuple_(_identities.c.channel, _identities.c.external_id).in_(wanted))
        .values(last_inbound_at=now)
    )
    session.connection().execute(statement)
