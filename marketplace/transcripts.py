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
    about_consumer: int | None = None
    """The consumer whose personal data this line of someone else's chat carries, if any
    (the contact an agent was shown on accepting their lead): forgetting them deletes it."""


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
        rows: list[dict[str, Any]] = [
            {
                "conversation_id": line.conversation_id,
                "direction": line.direction,
                "body": line.body,
                "created_at": line.created_at,
                "about_consumer_id": line.about_consumer,
            }
            for line in lines
        ]
        # Rows all have the same keys; what every row shares goes once, or not at all.
        constants: dict[str, Any] = {}
        shared: list[str] = []
        instants = {line.created_at for line in lines}
        if len(instants) == 1:  # the usual batch: one instant, sent once
            constants["created_at"] = instants.pop()
            shared.append("created_at")
        if all(line.about_consumer is None for line in lines):  # usually about no one: NULL
            shared.append("about_consumer_id")
        for row in rows:
            for name in shared:
                del row[name]
        bulk.insert_rows(session, _entries, rows, constants=constants)

    def history(
        self, session: Session, conversation_id: int, *, limit: int | None = None
    ) -> list[TranscriptLine]:
        """The lines of one conversation, oldest first (the last `limit` ones if given)."""
        statement = (
            select(
                _entries.c.direction,
                _entries.c.body,
                _entries.c.created_at,
                _entries.c.about_consumer_id,
            )
            .where(_entries.c.conversation_id == conversation_id)
            .order_by(_entries.c.id.desc())
        )
        if limit is not None:
            statement = statement.limit(limit)
        rows = list(session.connection().execute(statement))
        return [
            TranscriptLine(
                conversation_id, row.direction, row.body, row.created_at, row.about_consumer_id
            )
            for row in reversed(rows)
        ]
