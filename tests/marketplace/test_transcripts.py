"""Transcript lines on both backends: one insert a batch, and whom a line is about."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from marketplace.transcripts import SqlTranscriptStore, TranscriptLine
from tests.conftest import TEST_NOW


@contextmanager
def inserts_into(engine: Engine, table: str) -> Iterator[list[str]]:
    """The INSERT statements sent for `table` while the block runs."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_batch_is_one_insert_and_keeps_whom_each_line_is_about(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    later = TEST_NOW + timedelta(seconds=1)
    plain = [TranscriptLine(7, "in", {"text": f"{n}"}, TEST_NOW) for n in range(150)]
    about = [
        TranscriptLine(8, "in", {"text": "hi"}, TEST_NOW),
        TranscriptLine(8, "out", {"text": "Maria Silva"}, TEST_NOW, 42),
        TranscriptLine(8, "out", {"text": "Home"}, later),
    ]
    store = SqlTranscriptStore()

    with inserts_into(engine, "transcript_entries") as sent, sessions.begin() as session:
        store.append(session, plain)
        store.append(session, about)

    assert len(sent) == 2
    with sessions() as session:
        assert store.history(session, 7) == plain
        assert store.history(session, 8) == about
