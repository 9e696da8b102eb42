"""Consumers and the channel identities through which they write to the bot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, insert, or_, select, tuple_, update
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


@dataclass(frozen=True)
class Reach:
    """How to reach the person behind one chat, as far as the channel has told us."""

    address: str  # where to deliver: the identity's address, or its external id
    last_inbound_at: datetime | None
    unreachable: bool
    locale: str


def reach(session: Session, key: ChatKey) -> Reach | None:
    """How to reach the person of this chat; None when they never wrote."""
    statement = (
        select(
            _identities.c.external_id,
            _identities.c.address,
            _identities.c.last_inbound_at,
            _identities.c.unreachable,
            _consumers.c.locale,
        )
        .join(_consumers, _consumers.c.id == _identities.c.consumer_id)
        .where(_identities.c.channel == key[0], _identities.c.external_id == key[1])
    )
    row = session.execute(statement).first()
    if row is None:
        return None
    return Reach(
        address=row.address or row.external_id,
        last_inbound_at=row.last_inbound_at,
        unreachable=row.unreachable,
        locale=row.locale,
    )


def note_inbound(
    session: Session,
    key: ChatKey,
    *,
    address: str,
    written_at: datetime,
    locale: str,
    now: datetime,
) -> None:
    """Record that this chat's person wrote from `address` at `written_at`: reachable again.

    Creates the consumer and identity on first contact, so that where to answer is known
    before any answer exists. The last inbound time only moves forward: a late redelivery
    does not reopen a service window that closed.
    """
    ensure_consumers(session, {key: locale}, now)
    match = (_identities.c.channel == key[0], _identities.c.external_id == key[1])
    connection = session.connection()
    connection.execute(
        update(_identities).where(*match).values(address=address, unreachable=False)
    )
    connection.execute(
        update(_identities)
        .where(
            *match,
            or_(
                _identities.c.last_inbound_at.is_(None), _identities.c.last_inbound_at < written_at
            ),
        )
        .values(last_inbound_at=written_at)
    )


def mark_unreachable(session: Session, key: ChatKey) -> None:
    """Note that the platform says this chat's person cannot receive messages."""
    session.connection().execute(
        update(_identities)
        .where(_identities.c.channel == key[0], _identities.c.external_id == key[1])
        .values(unreachable=True)
    )
