"""Rows held for a closed window, and what platforms report about rows they accepted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from marketplace import deliveries, outbox
from marketplace.clock import FixedClock
from marketplace.models import OutboxMessage

CHAT = "5511987654321"


def sent_row(sessions: sessionmaker[Session], clock: FixedClock, wamid: str) -> int:
    """A row claimed and sent, which the platform named `wamid`."""
    with sessions.begin() as session:
        [row_id] = outbox.add_messages(
            session,
            [outbox.OutboxDraft("whatsapp", CHAT, {"text": "Olá", "options": []})],
            clock.now(),
        )
        outbox.claim_due(session, "whatsapp", clock.now(), 10)
        outbox.mark_sent(session, row_id, clock.now(), provider_message_id=wamid)
    return row_id


def stored(sessions: sessionmaker[Session], row_id: int) -> OutboxMessage:
    with sessions() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


def test_a_report_finds_its_row_by_the_platforms_id(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    row_id = sent_row(sessions, clock, "wamid.A")

    with sessions() as session:
        found = deliveries.find_reported(session, "whatsapp", "wamid.A")
        other_channel = deliveries.find_reported(session, "telegram", "wamid.A")

    assert found is not None
    assert (found.id, found.recipient, found.status) == (row_id, CHAT, "sent")
    assert other_channel is None


def test_delivery_statuses_only_move_forward(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    row_id = sent_row(sessions, clock, "wamid.A")

    with sessions.begin() as session:
        moved = [
            deliveries.note_progress(session, row_id, status)
            for status in ("delivered", "read", "delivered", "sent")
        ]

    assert moved == [True, True, False, False]
    assert stored(sessions, row_id).delivery_status == "read"


def test_a_failed_report_requeues_a_sent_row_once(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    row_id = sent_row(sessions, clock, "wamid.A")
    later = clock.now() + timedelta(seconds=30)

    with sessions.begin() as session:
        deliveries.note_failure(session, row_id, "WhatsApp 131047: Re-engagement message")
        first = deliveries.requeue(session, row_id, later, needs_template=True)
        again = deliveries.requeue(session, row_id, later, needs_template=True)

    row = stored(sessions, row_id)
    assert (first, again) == (True, False)
    assert (row.status, row.needs_template, row.delivery_status) == ("pending", True, "failed")
    assert row.next_attempt_at == later


def test_a_requeued_row_goes_out_whole_again(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        [row_id] = outbox.add_messages(
            session, [outbox.OutboxDraft("whatsapp", CHAT, {"text": "Olá"})], clock.now()
        )
        outbox.claim_due(session, "whatsapp", clock.now(), 10)
        outbox.note_parts_sent(session, row_id, 2)
        outbox.mark_sent(session, row_id, clock.now(), provider_message_id="wamid.B")

    with sessions.begin() as session:
        deliveries.requeue(session, row_id, clock.now(), needs_template=True)

    assert stored(sessions, row_id).parts_sent == 0


def test_held_rows_wait_until_the_person_writes_again(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        ids = outbox.add_messages(
            session,
            [outbox.OutboxDraft("whatsapp", CHAT, {"text": t, "options": []}) for t in "ab"],
            clock.now(),
        )
        outbox.claim_due(session, "whatsapp", clock.now(), 10)
        for row_id in ids:
            outbox.hold(session, row_id, provider_message_id="wamid.TEMPLATE")

    with sessions.begin() as session:
        held = outbox.has_held(session, "whatsapp", CHAT)
        nothing_due = outbox.claim_due(session, "whatsapp", clock.now() + timedelta(days=3), 10)
        released = outbox.release_held(session, "whatsapp", CHAT, clock.now())
        due = outbox.claim_due(session, "whatsapp", clock.now(), 10)

    assert held is True
    assert nothing_due == []
    assert released == 2
    assert [message.id for message in due] == ids


def test_giving_up_leaves_held_rows_unless_told(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        [row_id] = outbox.add_messages(
            session,
            [outbox.OutboxDraft("whatsapp", CHAT, {"text": "a", "options": []})],
            clock.now(),
        )
        outbox.claim_due(session, "whatsapp", clock.now(), 10)
        outbox.hold(session, row_id)

    with sessions.begin() as session:
        kept = deliveries.give_up(session, row_id)
        failed = deliveries.give_up(session, row_id, also_held=True)

    assert (kept, failed) == (False, True)
    assert stored(sessions, row_id).status == "failed"
