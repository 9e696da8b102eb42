"""What a platform reports about messages it accepted: delivered, read, or failed after all.

Outbox rows remember the platform's id of what was sent (`provider_message_id`); status
reports name that id. Reports come at least once and in any order, so each change here is
idempotent and a status never moves backwards (a late "delivered" does not undo "read").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from marketplace.models import OutboxMessage
from marketplace.outbox import FAILED, HELD, MAX_ERROR_LENGTH, PENDING, SENT

ACCEPTED = "sent"
DELIVERED = "delivered"
READ = "read"
UNDELIVERED = "failed"
_PROGRESS = (ACCEPTED, DELIVERED, READ)

_outbox: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ReportedMessage:
    """The outbox row a status report is about."""

    id: int
    recipient: str
    status: str
    attempts: int


def find_reported(
    session: Session, channel: str, provider_message_id: str
) -> ReportedMessage | None:
    """The row whose sending the platform named `provider_message_id`, if it is ours."""
    row = session.execute(
        select(_outbox.c.id, _outbox.c.recipient, _outbox.c.status, _outbox.c.attempts).where(
            _outbox.c.channel == channel, _outbox.c.provider_message_id == provider_message_id
        )
    ).first()
    if row is None:
        return None
    return ReportedMessage(row.id, row.recipient, row.status, row.attempts)


def note_progress(session: Session, message_id: int, delivery_status: str) -> bool:
    """Record sent, delivered or read, unless the row already got that far; whether it moved."""
    if delivery_status not in _PROGRESS:
        raise ValueError(f"not a progress status: {delivery_status!r}")
    earlier = _PROGRESS[: _PROGRESS.index(delivery_status)]
    result = session.connection().execute(
        update(_outbox)
        .where(
            _outbox.c.id == message_id,
            or_(_outbox.c.delivery_status.is_(None), _outbox.c.delivery_status.in_(earlier)),
        )
        .values(delivery_status=delivery_status)
    )
    return result.rowcount == 1


def note_failure(session: Session, message_id: int, error: str) -> None:
    """Record that the platform could not deliver what it had accepted, and why."""
    session.connection().execute(
        update(_outbox)
        .where(_outbox.c.id == message_id)
        .values(delivery_status=UNDELIVERED, last_error=error[:MAX_ERROR_LENGTH])
    )


def requeue(
    session: Session, message_id: int, retry_at: datetime, *, needs_template: bool = False
) -> bool:
    """Send a row reported as failed again at `retry_at`; False unless it was `sent`.

    `needs_template`: the platform refused it outside its service window, so the channel
    must send an approved template first. The row goes out whole again: statuses name only
    its last part, so whether the earlier ones arrived is not known.
    """
    result = session.connection().execute(
        update(_outbox)
        .where(_outbox.c.id == message_id, _outbox.c.status == SENT)
        .values(
            status=PENDING, next_attempt_at=retry_at, needs_template=needs_template, parts_sent=0
        )
    )
    return result.rowcount == 1


def give_up(session: Session, message_id: int, *, also_held: bool = False) -> bool:
    """Fail a row reported as undeliverable for good; False unless it was `sent` (or held)."""
    statuses = (SENT, HELD) if also_held else (SENT,)
    result = session.connection().execute(
        update(_outbox)
        .where(_outbox.c.id == message_id, _outbox.c.status.in_(statuses))
        .values(status=FAILED)
    )
    return result.rowcount == 1
