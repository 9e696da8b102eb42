"""Storage of conversation state and of the inbound message ids that drive it.

Written for the engine's hot path: plain SQL statements over many rows at once, locks
taken in a stable order, and no ORM objects (so a batch never fills an identity map).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from marketplace.models import Conversation, InboundMessage, OutboxMessage

ChatKey = tuple[str, str]
"""A chat as (channel, chat_id)."""

MessageKey = tuple[str, str]
"""An inbound message as (channel, message_id)."""

_conversations: Table = Conversation.__table__  # type: ignore[assignment]
_inbound: Table = InboundMessage.__table__  # type: ignore[assignment]
_outbox: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass
class StoredConversation:
    """One conversation row, as the engine reads and changes it within a transaction."""

    id: int
    channel: str
    chat_id: str
    consumer_id: int | None
    flow: str
    state: str
    data: dict[str, Any]
    locale: str
    failed_attempts: int


@dataclass(frozen=True)
class NewConversation:
    """What a conversation starts with when a chat writes for the first time."""

    flow: str
    state: str
    locale: str


@dataclass(frozen=True)
class RecordedReplies:
    """What the first delivery of a message was answered with."""

    conversation_id: int
    outbox_ids: tuple[int, ...]
    payloads: tuple[dict[str, Any], ...]


def lock_conversations(
    session: Session, starts: Mapping[ChatKey, NewConversation], now: datetime
) -> dict[ChatKey, StoredConversation]:
    """Lock the conversations of these chats until commit, creating the missing ones.

    Missing rows are inserted in key order and tolerate a concurrent insert of the same
    chat; rows are then locked in id order, so two batches never wait on each other in
    a circle. On SQLite the BEGIN IMMEDIATE transaction already holds the only write lock.
    """
    found = _select_for_update(session, starts)
    missing = sorted(key for key in starts if key not in found)
    if missing:
        rows = [_new_row(key, starts[key], now) for key in missing]
        session.connection().execute(_insert_ignoring_duplicates(session, _conversations), rows)
        found.update(_select_for_update(session, missing))
    return found


def _select_for_update(
    session: Session, keys: Iterable[ChatKey]
) -> dict[ChatKey, StoredConversation]:
    wanted = list(keys)
    if not wanted:
        return {}
    table = _conversations
    statement = (
        select(
            table.c.id,
            table.c.channel,
            table.c.chat_id,
            table.c.consumer_id,
            table.c.flow,
            table.c.state,
            table.c.data,
            table.c.locale,
            table.c.failed_attempts,
        )
        .where(tuple_(table.c.channel, table.c.chat_id).in_(wanted))
        .order_by(table.c.id)
        .with_for_update()
    )
    rows = session.connection().execute(statement)
    return {
        (row.channel, row.chat_id): StoredConversation(
            id=row.id,
            channel=row.channel,
            chat_id=row.chat_id,
            consumer_id=row.consumer_id,
            flow=row.flow,
            state=row.state,
            data=dict(row.data or {}),
            locale=row.locale,
            failed_attempts=row.failed_attempts,
        )
        for row in rows
    }


def _new_row(key: ChatKey, start: NewConversation, now: datetime) -> dict[str, Any]:
    channel, chat_id = key
    return {
        "channel": channel,
        "chat_id": chat_id,
        "flow": start.flow,
        "state": start.state,
        "data": {},
        "locale": start.locale,
        "failed_attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _insert_ignoring_duplicates(session: Session, table: Table) -> Insert:
    # Both dialects spell "insert unless the unique key exists" the same way, from
    # different modules; SQLite has it since 3.24.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def save_conversations(
    session: Session, conversations: Sequence[StoredConversation], now: datetime
) -> None:
    """Write back the state, data, locale and consumer of these conversations."""
    if not conversations:
        return
    table = _conversations
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            consumer_id=bindparam("b_consumer_id"),
            flow=bindparam("b_flow"),
            state=bindparam("b_state"),
            data=bindparam("b_data", type_=table.c.data.type),
            locale=bindparam("b_locale"),
            failed_attempts=bindparam("b_failed_attempts"),
            updated_at=bindparam("b_updated_at", type_=table.c.updated_at.type),
        )
    )
    rows = [
        {
            "b_id": conversation.id,
            "b_consumer_id": conversation.consumer_id,
            "b_flow": conversation.flow,
            "b_state": conversation.state,
            "b_data": conversation.data,
            "b_locale": conversation.locale,
            "b_failed_attempts": conversation.failed_attempts,
            "b_updated_at": now,
        }
        for conversation in conversations
    ]
    session.connection().execute(statement, rows)


def record_inbound(
    session: Session, messages: Mapping[MessageKey, int], now: datetime
) -> dict[MessageKey, int]:
    """Record message ids (each with its conversation id); return the ids of new ones.

    A message id already recorded is left alone and missing from the result: that is a
    redelivery. Concurrent deliveries of one id are told apart by the unique key.
    """
    if not messages:
        return {}
    rows = [
        {
            "channel": channel,
            "message_id": message_id,
            "conversation_id": conversation_id,
            "received_at": now,
        }
        for (channel, message_id), conversation_id in messages.items()
    ]
    statement = _insert_ignoring_duplicates(session, _inbound).returning(
        _inbound.c.channel, _inbound.c.message_id, _inbound.c.id
    )
    result = session.connection().execute(statement, rows)
    return {(row.channel, row.message_id): row.id for row in result}


def recorded_replies(
    session: Session, messages: Iterable[MessageKey]
) -> dict[MessageKey, RecordedReplies]:
    """The replies written for messages recorded before, in the order they were written."""
    wanted = list(messages)
    if not wanted:
        return {}
    inbound, outbox = _inbound, _outbox
    statement = (
        select(
            inbound.c.channel,
            inbound.c.message_id,
            inbound.c.conversation_id,
            outbox.c.id,
            outbox.c.payload,
        )
        .outerjoin(
            outbox, (outbox.c.inbound_message_id == inbound.c.id) & (outbox.c.kind == "reply")
        )
        .where(tuple_(inbound.c.channel, inbound.c.message_id).in_(wanted))
        .order_by(inbound.c.id, outbox.c.id)
    )
    collected: dict[MessageKey, tuple[int, list[int], list[dict[str, Any]]]] = {}
    for row in session.connection().execute(statement):
        _, ids, payloads = collected.setdefault(
            (row.channel, row.message_id), (row.conversation_id, [], [])
        )
        if row.id is not None:
            ids.append(row.id)
            payloads.append(row.payload)
    return {
        key: RecordedReplies(conversation_id, tuple(ids), tuple(payloads))
        for key, (conversation_id, ids, payloads) in collected.items()
    }
