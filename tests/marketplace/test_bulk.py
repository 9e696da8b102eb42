"""Bulk statements on both backends: order of ids, duplicates skipped, updates by key."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace import bulk
from marketplace.clock import FixedClock
from marketplace.models import Conversation, TranscriptEntry

_conversations: Table = Conversation.__table__  # type: ignore[assignment]
_entries: Table = TranscriptEntry.__table__  # type: ignore[assignment]


def _conversation(chat_id: str, clock: FixedClock) -> dict[str, object]:
    return {
        "channel": "test",
        "chat_id": chat_id,
        "flow": "f",
        "state": "s",
        "data": {"note": "ação ✓"},
        "locale": "pt_BR",
        "failed_attempts": 0,
        "created_at": clock.now(),
        "updated_at": clock.now(),
    }


def test_ids_come_back_in_the_order_of_the_rows(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    chats = [f"chat-{n:04d}" for n in reversed(range(300))]

    with sessions.begin() as session:
        returned = bulk.insert_rows(
            session,
            _conversations,
            [_conversation(chat, clock) for chat in chats],
            returning=("id", "chat_id"),
        )

    assert [row.chat_id for row in returned] == chats
    assert [row.id for row in returned] == sorted(row.id for row in returned)


def test_duplicates_are_skipped_and_not_returned(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        bulk.insert_rows(session, _conversations, [_conversation("old", clock)])

    with sessions.begin() as session:
        returned = bulk.insert_rows(
            session,
            _conversations,
            [_conversation("old", clock), _conversation("new", clock)],
            returning=("chat_id",),
            skip_duplicates=True,
        )

    assert [row.chat_id for row in returned] == ["new"]


def test_constants_and_updates_reach_every_row(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    rows = [{"conversation_id": n, "direction": "in", "body": {"n": n}} for n in range(3)]
    with sessions.begin() as session:
        bulk.insert_rows(session, _entries, rows, constants={"created_at": clock.now()})
        ids = session.scalars(select(TranscriptEntry.id).order_by(TranscriptEntry.id)).all()
        bulk.update_rows(
            session, _entries, [{"id": ids[0], "direction": "out", "body": {"changed": True}}]
        )

    with sessions() as session:
        entries = session.scalars(select(TranscriptEntry).order_by(TranscriptEntry.id)).all()
    assert [(e.direction, e.body, e.created_at) for e in entries] == [
        ("out", {"changed": True}, clock.now()),
        ("in", {"n": 1}, clock.now()),
        ("in", {"n": 2}, clock.now()),
    ]
