"""Consumers, the channel identities through which they write, and what they told the bot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from marketplace import bulk
from marketplace.consents import PRIVACY_TERMS, MissingConsent, privacy_consent_standing
from marketplace.models import ChannelIdentity, Consumer
from marketplace.money import round_centavos

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


@dataclass(frozen=True)
class ConsumptionProfile:
    """Where a consumer lives and what they use, as they told the bot.

    `bill_brl` and `monthly_kwh` are None when the distributor has no tariff to work one
    out from the other.
    """

    uf: str
    distributor_id: int
    bill_brl: Decimal | None
    monthly_kwh: Decimal | None


KWH_PLACES = Decimal("0.1")  # consumers.monthly_kwh and leads.monthly_kwh are NUMERIC(10, 1)


def round_kwh(kwh: Decimal) -> Decimal:
    """A monthly consumption to one decimal place, as it is stored."""
    return kwh.quantize(KWH_PLACES, rounding=ROUND_HALF_UP)


def update_consumption(session: Session, consumer_id: int, profile: ConsumptionProfile) -> None:
    """Keep the consumer's state, distributor, bill and consumption.

    Raises:
        MissingConsent: when the consumer has not accepted the privacy terms.
    """
    bill, kwh = profile.bill_brl, profile.monthly_kwh
    # The consent is checked by the update itself: one round trip, and no gap between the
    # check and the write.
    statement = (
        update(_consumers)
        .where(_consumers.c.id == consumer_id, privacy_consent_standing(consumer_id))
        .values(
            uf=profile.uf,
            distributor_id=profile.distributor_id,
            bill_brl=round_centavos(bill) if bill is not None else None,
            monthly_kwh=round_kwh(kwh) if kwh is not None else None,
        )
    )
    if session.connection().execute(statement).rowcount != 1:
        raise MissingConsent(consumer_id, PRIVACY_TERMS)


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
