"""How to reach the person behind a chat: address, service window, and whether at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from marketplace.consumers import ChatKey, ensure_consumers
from marketplace.models import ChannelIdentity, Consumer

# WhatsApp lets a business write freely only this long after the person's last message.
WHATSAPP_SERVICE_WINDOW = timedelta(hours=24)

_consumers: Table = Consumer.__table__  # type: ignore[assignment]
_identities: Table = ChannelIdentity.__table__  # type: ignore[assignment]


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
    earlier = or_(
        _identities.c.last_inbound_at.is_(None), _identities.c.last_inbound_at < written_at
    )
    connection.execute(
        update(_identities).where(*match, earlier).values(last_inbound_at=written_at)
    )


def mark_unreachable(session: Session, key: ChatKey) -> None:
    """Note that the platform says this chat's person cannot receive messages."""
    session.connection().execute(
        update(_identities)
        .where(_identities.c.channel == key[0], _identities.c.external_id == key[1])
        .values(unreachable=True)
    )
