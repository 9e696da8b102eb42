"""Chat transcripts: every line of a conversation, in both directions, as it happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from marketplace import bulk
from marketplace.models import TranscriptEntry

Direction = Literal["in", "out"]

_entries: Table = TranscriptEntry.__table__  # type: ignore[assignment]


class TranscriptLine(NamedTuple):
    """One message of a conversation: what the person sent ("in") or the bot said ("out").

    A named tuple: the engine makes thousands per batch, and tuples are cheap to build.
    """

    conversation_id: int
    direction: Direction
    body: dict[str, Any]
    created_at: datetime


class TranscriptStore(Protocol):
    """Where transcripts are kept; the session is the transaction of the state they go with.

    The SQL store writes in that transaction; a document store (MongoDB, a later issue)
    may defer its write to the session's commit.
    """

    def append(self, session: Session, lines: Sequence[TranscriptLine]) -> None:
        """Add lines, in order."""
        ...

    def history(
        self, session: Session, conversation_id: int, *, limit: int | None = None
    ) -> list[TranscriptLine]:
        """The lines of one conversation, oldest first (the last `limit` ones if given)."""
        ...


class SqlTranscriptStore:
    """Transcripts in the `transcript_entries` table, written with the state they go with."""

    def append(self, session: Session, lines: Sequence[TranscriptLine]) -> None:
        """Add lines, in order, in the session's transaction."""
        if not lines:
            return
        rows = [
            {
                "conversation_id": line.conversation_id,
                "direction": line.direction,
                "body": line.body,
                "created_at": line.created_at,
            }
            for line in lines
        ]
        instants = {line.created_at for line in lines}
        if len(instants) == 1:  # the usual batch: one instant, sent once
            for row in rows:
                del row["created_at"]
            bulk.insert_rows(session, _entries, rows, constants={"created_at": instants.pop()})
            return
        bulk.insert_rows(session, _entries, rows)

    def history(
        self, session: Session, conversation_id: int, *, limit: int | None = None
    ) -> list[TranscriptLine]:
        """The lines of one conversation, oldest first (the last `limit` ones if given)."""
        statement = (
            select(_entries.c.direction, _entries.c.body, _entries.c.created_at)
            .where(_entries.c.conversation_id == conversation_id)
            .order_by(_entries.c.id.desc())
        )
        if limit is not None:
            statement = statement.limit(limit)
        rows = list(session.connection().execute(statement))
        return [
            TranscriptLine(conversation_id, row.direction, row.body, row.created_at)
            for row in reversed(rows)
        ]
