"""Storage of conversation state and of the inbound message ids that drive it.

Written for the engine's hot path: plain SQL statements over many rows at once, locks
taken in a stable order, and no ORM objects (so a batch never fills an identity map).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from marketplace import bulk
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
    chat (the second insert waits for the first, then skips the row); rows are then locked
    in id order, so two batches never wait on each other in a circle. On SQLite the
    BEGIN IMMEDIATE transaction already holds the only write lock.
    """
    found = _select_for_update(session, starts)
    missing = sorted(key for key in starts if key not in found)
    if missing:
        rows = [_new_row(key, starts[key], now) for key in missing]
        bulk.insert_rows(session, _conversations, rows, skip_duplicates=True)
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
        .where(bulk.pairs_among(session, table.c.channel, table.c.chat_id, wanted))
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


def save_conversations(
    session: Session, conversations: Sequence[StoredConversation], now: datetime
) -> None:
    """Write back the state, data, locale and consumer of these conversations."""
    if not conversations:
        return
    rows = [
        {
            "id": conversation.id,
            "consumer_id": conversation.consumer_id,
            "flow": conversation.flow,
            "state": conversation.state,
            "data": conversation.data,
            "locale": conversation.locale,
            "failed_attempts": conversation.failed_attempts,
            "updated_at": now,
        }
        for conversation in conversations
    ]
    bulk.update_rows(session, _conversations, rows)


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
        {"channel": channel, "message_id": message_id, "conversation_id": conversation_id}
        for (channel, message_id), conversation_id in messages.items()
    ]
    recorded = bulk.insert_rows(
        session,
        _inbound,
        rows,
        returning=("channel", "message_id", "id"),
        skip_duplicates=True,
        constants={"received_at": now},
    )
    return {(row.channel, row.message_id): row.id for row in recorded}


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
        .where(bulk.pairs_among(session, inbound.c.channel, inbound.c.message_id, wanted))
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


@dataclass(frozen=True)
class ChatAddress:
    """Where a conversation is reached, and in which language it speaks."""

    channel: str
    chat_id: str
    locale: str


def chat_of(session: Session, conversation_id: int) -> ChatAddress | None:
    """The channel, chat id and language of a conversation, if it still exists."""
    row = session.execute(
        select(Conversation.channel, Conversation.chat_id, Conversation.locale).where(
            Conversation.id == conversation_id
        )
    ).first()
    return ChatAddress(row.channel, row.chat_id, row.locale) if row else None


def chat_locale(session: Session, channel: str, chat_id: str) -> str | None:
    """The language of the conversation with this chat, if there is one."""
    return session.scalar(
        select(Conversation.locale).where(
            Conversation.channel == channel, Conversation.chat_id == chat_id
        )
    )
