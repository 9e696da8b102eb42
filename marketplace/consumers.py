"""Consumers and the channel identities through which they write to the bot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from marketplace import bulk
from marketplace.models import ChannelIdentity, Consumer

ChatKey = tuple[str, str]
"""A chat as (channel, external id of the person on that channel)."""

TOUCH_PRECISION = timedelta(minutes=1)

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
    ).where(bulk.pairs_among(session, _identities.c.channel, _identities.c.external_id, keys))
    rows = session.connection().execute(statement)
    return {(row.channel, row.external_id): row.consumer_id for row in rows}


def _create_consumers(
    session: Session, keys: list[ChatKey], locales: Mapping[ChatKey, str], now: datetime
) -> dict[ChatKey, int]:
    created = bulk.insert_rows(
        session,
        _consumers,
        [{"created_at": now, "locale": locales[key]} for key in keys],
        returning=("id",),
    )
    consumer_ids = dict(zip(keys, (row.id for row in created), strict=True))
    bulk.insert_rows(
        session,
        _identities,
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
    """Note that these chats wrote to the bot at `now`, to the minute, and can be reached.

    `last_inbound_at` opens platform windows measured in hours (WhatsApp's 24 h), so a
    chat that wrote less than a minute ago keeps its value: a burst of messages then
    costs one row write, not one per message.
    """
    wanted = list(keys)
    if not wanted:
        return
    stale = (
        (_identities.c.last_inbound_at.is_(None))
        | (_identities.c.last_inbound_at < now - TOUCH_PRECISION)
        | _identities.c.unreachable
    )
    statement = (
        update(_identities)
        .where(bulk.pairs_among(session, _identities.c.channel, _identities.c.external_id, wanted))
        .where(stale)
        .values(last_inbound_at=now, unreachable=False)
    )
    session.connection().execute(statement)


def mark_unreachable(session: Session, key: ChatKey) -> bool:
    """Note that the platform refuses messages to this chat (the person blocked the bot).

    The mark stays until the person writes again. Returns False when no such identity exists.
    """
    channel, external_id = key
    result = session.connection().execute(
        update(_identities)
        .where(_identities.c.channel == channel, _identities.c.external_id == external_id)
        .values(unreachable=True)
    )
    return result.rowcount > 0
