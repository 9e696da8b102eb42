"""The outbox: messages written with the state that caused them, sent after commit.

A row goes `pending` → `sending` (claimed by one dispatcher for a lease) → `sent`, or back
to `pending` with a later `next_attempt_at` after a failure, until `failed` for good. A
dispatcher that dies mid-send leaves a `sending` row whose lease runs out; it is then due
again, so a crash delays a message but never loses it. A channel that may only write to
people who wrote recently (WhatsApp's 24-hour window) parks a row as `held` until the
person writes again.

Forgetting a consumer deletes the rows about them whatever their status, even one being
sent: its dispatcher finishes that attempt from the copy it holds, and then finds no row to
mark, hold or retry, so nothing of it is kept or sent again.

A row may go out as several platform messages (a long reply in parts). `parts_sent` counts
those delivered, each recorded as it goes, so a retry resumes after them and no part is
sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Table, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from marketplace import bulk
from marketplace.models import OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
HELD = "held"

# A message is tried until a day of failures has passed: the backoff doubles from 5 s to
# its one-hour cap (85 minutes for the first 10 tries), then tries hourly. An outage of a
# channel's service (FCM, the SMTP server, Telegram) shorter than that loses nothing; the
# message goes out when it ends. 34 tries span just over 24 hours (a test checks it).
MAX_ATTEMPTS = 34
# A claim's lease: the dispatcher's margin (bot.dispatcher.SEND_MARGIN, 3 min) plus two
# minutes to start sends in; a dead dispatcher's rows are due again after it.
DEFAULT_LEASE = timedelta(minutes=5)
MAX_ERROR_LENGTH = 500

_outbox: Table = OutboxMessage.__table__  # type: ignore[assignment]


class OutboxDraft(NamedTuple):
    """A message to write to the outbox (a named tuple: cheap to build by the thousand)."""

    channel: str
    recipient: str
    payload: dict[str, Any]
    conversation_id: int | None = None
    inbound_message_id: int | None = None
    kind: str = "reply"
    about_consumer_id: int | None = None  # whose personal data it carries (erasure)


@dataclass(frozen=True)
class ClaimedMessage:
    """An outbox row a dispatcher holds the lease of, ready to send."""

    id: int
    channel: str
    recipient: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    conversation_id: int | None
    parts_sent: int = 0


def add_messages(session: Session, drafts: Sequence[OutboxDraft], now: datetime) -> list[int]:
    """Write drafts as pending rows, due now; return their ids in the drafts' order."""
    if not drafts:
        return []
    rows = [
        {
            "channel": draft.channel,
            "recipient": draft.recipient,
            "conversation_id": draft.conversation_id,
            "inbound_message_id": draft.inbound_message_id,
            "about_consumer_id": draft.about_consumer_id,
            "kind": draft.kind,
            "payload": draft.payload,
        }
        for draft in drafts
    ]
    fresh = {
        "status": PENDING,
        "attempts": 0,
        "parts_sent": 0,
        "next_attempt_at": now,
        "created_at": now,
        "needs_template": False,
    }
    created = bulk.insert_rows(session, _outbox, rows, returning=("id",), constants=fresh)
    return [row.id for row in created]


def claim_due(
    session: Session,
    channel: str,
    now: datetime,
    limit: int,
    *,
    recipient: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> list[ClaimedMessage]:
    """Claim up to `limit` due rows of `channel`, oldest first, for `lease`.

    A row waits while an older unsent row of the same recipient is waiting for a retry,
    so a chat never sees its messages out of order. On PostgreSQL, rows another
    dispatcher is claiming are skipped rather than waited for.
    """
    earlier = aliased(_outbox)
    held_back = exists().where(
        earlier.c.channel == _outbox.c.channel,
        earlier.c.recipient == _outbox.c.recipient,
        earlier.c.id < _outbox.c.id,
        earlier.c.status.in_((PENDING, SENDING)),
        earlier.c.next_attempt_at > now,
    )
    statement = (
        select(_outbox)
        .where(
            _outbox.c.channel == channel,
            _outbox.c.status.in_((PENDING, SENDING)),
            _outbox.c.next_attempt_at <= now,
            ~held_back,
        )
        .order_by(_outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if recipient is not None:
        statement = statement.where(_outbox.c.recipient == recipient)

    connection = session.connection()
    rows = list(connection.execute(statement))
    if not rows:
        return []
    connection.execute(
        update(_outbox)
        .where(_outbox.c.id.in_([row.id for row in rows]))
        .values(status=SENDING, next_attempt_at=now + lease)
    )
    return [
        ClaimedMessage(
            id=row.id,
            channel=row.channel,
            recipient=row.recipient,
            kind=row.kind,
            payload=row.payload,
            attempts=row.attempts,
            conversation_id=row.conversation_id,
            parts_sent=row.parts_sent,
        )
        for row in rows
    ]


def note_parts_sent(session: Session, message_id: int, parts_sent: int) -> bool:
    """Record that the first `parts_sent` parts of a claimed row were delivered.

    The count only grows; False when the row is not claimed or already counted that far.
    """
    result = session.connection().execute(
        update(_outbox)
        .where(
            _outbox.c.id == message_id,
            _outbox.c.status == SENDING,
            _outbox.c.parts_sent < parts_sent,
        )
        .values(parts_sent=parts_sent)
    )
    return result.rowcount == 1


def mark_sent(
    session: Session, message_id: int, now: datetime, *, provider_message_id: str | None = None
) -> bool:
    """Mark a claimed row sent; False when it was not claimed (already sent, or failed).

    `provider_message_id` is the platform's id of what was sent, which its later delivery
    statuses name.
    """
    result = session.connection().execute(
        update(_outbox)
        .where(_outbox.c.id == message_id, _outbox.c.status == SENDING)
        .values(
            status=SENT,
            sent_at=now,
            attempts=_outbox.c.attempts + 1,
            last_error=None,
            provider_message_id=provider_message_id,
            delivery_status=None,
            needs_template=False,
        )
    )
    return result.rowcount == 1


def is_stored(session: Session, message_id: int) -> bool:
    """Whether the row is still there (forgetting its consumer deletes it, even mid-send)."""
    statement = select(_outbox.c.id).where(_outbox.c.id == message_id)
    return session.connection().execute(statement).first() is not None


def hold(session: Session, message_id: int, *, provider_message_id: str | None = None) -> bool:
    """Park a claimed row until its recipient writes again; False when it was not claimed.

    `provider_message_id` names what was sent instead meanwhile (an approved template).
    """
    result = session.connection().execute(
        update(_outbox)
        .where(_outbox.c.id == message_id, _outbox.c.status == SENDING)
        .values(status=HELD, provider_message_id=provider_message_id, delivery_status=None)
    )
    return result.rowcount == 1


def needs_template(session: Session, message_id: int) -> bool:
    """Whether the platform refused this row outside its service window (see `requeue`)."""
    statement = select(_outbox.c.needs_template).where(_outbox.c.id == message_id)
    return bool(session.connection().execute(statement).scalar())


def has_held(session: Session, channel: str, recipient: str) -> bool:
    """Whether a row to this recipient is already parked, waiting for them to write."""
    statement = select(_outbox.c.id).where(
        _outbox.c.channel == channel, _outbox.c.recipient == recipient, _outbox.c.status == HELD
    )
    return session.connection().execute(statement.limit(1)).first() is not None


def release_held(session: Session, channel: str, recipient: str, now: datetime) -> int:
    """Make the rows held for a recipient who just wrote due now, in their order; how many."""
    result = session.connection().execute(
        update(_outbox)
        .where(
            _outbox.c.channel == channel,
            _outbox.c.recipient == recipient,
            _outbox.c.status == HELD,
        )
        .values(status=PENDING, next_attempt_at=now, needs_template=False)
    )
    return result.rowcount


def mark_failed(
    session: Session,
    message_id: int,
    error: str,
    retry_at: datetime | None,
    *,
    max_attempts: int = MAX_ATTEMPTS,
) -> str:
    """Count a failed attempt: due again at `retry_at`, or `failed` for good.

    The row fails for good when `retry_at` is None (a permanent error) or when this was
    attempt number `max_attempts`. Returns the row's new status; `failed` for a row no
    longer claimed, which leaves nothing to retry and is left as it is: deleted while it was
    being sent (its consumer forgotten), or claimed again once a slow attempt outlived its
    lease (and perhaps sent, or held, since).
    """
    connection = session.connection()
    claimed = (_outbox.c.id == message_id, _outbox.c.status == SENDING)
    attempts = connection.execute(select(_outbox.c.attempts).where(*claimed)).scalar()
    if attempts is None:
        return FAILED
    attempts += 1
    status = FAILED if retry_at is None or attempts >= max_attempts else PENDING
    values: dict[str, Any] = {
        "status": status,
        "attempts": attempts,
        "last_error": error[:MAX_ERROR_LENGTH],
    }
    if status == PENDING:
        values["next_attempt_at"] = retry_at
    result = connection.execute(update(_outbox).where(*claimed).values(**values))
    # Deleted (or sent) between the two statements: there is nothing left to retry either.
    return status if result.rowcount == 1 else FAILED


def release(session: Session, message_ids: Sequence[int], retry_at: datetime) -> None:
    """Give claimed rows back, unsent and with no attempt counted, due at `retry_at`."""
    if not message_ids:
        return
    session.connection().execute(
        update(_outbox)
        .where(_outbox.c.id.in_(list(message_ids)), _outbox.c.status == SENDING)
        .values(status=PENDING, next_attempt_at=retry_at)
    )


def retry_delay(
    attempts: int,
    *,
    base: timedelta = timedelta(seconds=5),
    cap: timedelta = timedelta(hours=1),
) -> timedelta:
    """How long to wait after `attempts` failed attempts: 5 s, 10 s, 20 s... up to `cap`."""
    if attempts < 1:
        return timedelta(0)
    # Past 2**20 the cap has long been reached; stop before the float grows silly.
    return min(cap, base * (1 << min(attempts - 1, 20)))


@dataclass(frozen=True)
class PulledMessage:
    """An outbox row handed to a client that fetches its own messages (the web chat)."""

    id: int
    payload: dict[str, Any]
    created_at: datetime


def pull_messages(
    session: Session, channel: str, recipient: str, *, after: int, limit: int, now: datetime
) -> list[PulledMessage]:
    """Messages of one recipient newer than `after`, oldest first, marked sent as they go.

    A pulling channel has no dispatcher: the client asking is the delivery, and asking again
    with the same `after` returns the same rows, so a lost response loses nothing.

    A row at or below `after` that was never delivered comes too, once: on PostgreSQL an id
    is taken at insert, so of two transactions writing to one chat at once (two suppliers'
    news), the one with the lower id may commit after a pull returned the higher.
    """
    rows = session.execute(
        select(_outbox.c.id, _outbox.c.payload, _outbox.c.created_at, _outbox.c.status)
        .where(
            _outbox.c.channel == channel,
            _outbox.c.recipient == recipient,
            # Pending, not "not sent": the pending rows of every channel are few, and indexed.
            or_(_outbox.c.id > after, _outbox.c.status == PENDING),
        )
        .order_by(_outbox.c.id)
        .limit(limit)
    ).all()
    unsent = [row.id for row in rows if row.status != SENT]
    if unsent:
        session.execute(
            update(_outbox).where(_outbox.c.id.in_(unsent)).values(status=SENT, sent_at=now)
        )
    return [
        PulledMessage(id=row.id, payload=row.payload, created_at=row.created_at) for row in rows
    ]


def notifications_to(
    session: Session, channel: str, recipient: str, *, limit: int, delivered_up_to: int
) -> list[tuple[datetime, dict[str, Any]]]:
    """The newest notifications delivered to one recipient (time and payload), oldest first,
    up to the id `pull_all` returned.

    Notifications are not in the recipient's transcript (another conversation caused
    them), so a pulling client that rebuilds its view from the transcript reads them here;
    one still pending (committed after `pull_all`) is left for its next pull.
    """
    rows = session.execute(
        select(_outbox.c.created_at, _outbox.c.payload)
        .where(
            _outbox.c.channel == channel,
            _outbox.c.recipient == recipient,
            _outbox.c.kind == "notification",
            _outbox.c.id <= delivered_up_to,
            _outbox.c.status == SENT,
        )
        .order_by(_outbox.c.id.desc())
        .limit(limit)
    ).all()
    return [(row.created_at, row.payload) for row in reversed(rows)]


def pull_all(session: Session, channel: str, recipient: str, *, now: datetime) -> int:
    """Mark every message of one recipient delivered; returns the newest one's id, 0 if none.

    For a pulling client that rebuilt its view from the transcript (a reloaded page): what
    it shows from there is delivered, and it pulls only what comes after the returned id.
    """
    mine = (_outbox.c.channel == channel, _outbox.c.recipient == recipient)
    newest = session.scalar(select(func.max(_outbox.c.id)).where(*mine))
    if newest is None:
        return 0
    session.execute(
        update(_outbox)
        .where(*mine, _outbox.c.id <= newest, _outbox.c.status != SENT)
        .values(status=SENT, sent_at=now)
    )
    return int(newest)
