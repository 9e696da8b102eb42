"""The outbox on a real database: claims, leases, retries with backoff, final failure."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.models import OutboxMessage


def _write(
    sessions: sessionmaker[Session], clock: FixedClock, *recipients: str, channel: str = "test"
) -> list[int]:
    drafts = [
        outbox.OutboxDraft(channel=channel, recipient=recipient, payload={"n": number})
        for number, recipient in enumerate(recipients)
    ]
    with sessions.begin() as session:
        return outbox.add_messages(session, drafts, clock.now())


def _claim(
    sessions: sessionmaker[Session], clock: FixedClock, limit: int = 10, channel: str = "test"
) -> list[int]:
    with sessions.begin() as session:
        return [m.id for m in outbox.claim_due(session, channel, clock.now(), limit)]


def _row(sessions: sessionmaker[Session], message_id: int) -> OutboxMessage:
    with sessions() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row


def test_claim_takes_due_rows_of_one_channel_oldest_first_one_person_at_a_time(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = _write(sessions, clock, "ana", "bia", "ana")
    _write(sessions, clock, "ana", channel="whatsapp")

    assert _claim(sessions, clock, limit=2) == ids[:2]
    assert _row(sessions, ids[0]).status == outbox.SENDING
    assert _claim(sessions, clock) == []  # ana's second waits until her first is sent
    with sessions.begin() as session:
        outbox.mark_sent(session, ids[0], clock.now())
    assert _claim(sessions, clock) == ids[2:]


def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, "ana")
    _claim(sessions, clock)

    assert _claim(sessions, clock) == []
    clock.advance(seconds=outbox.DEFAULT_LEASE.total_seconds() + 1)
    assert _claim(sessions, clock) == [message_id]


def test_a_row_is_marked_sent_exactly_once(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, "ana")
    _claim(sessions, clock)

    with sessions.begin() as session:
        first = outbox.mark_sent(session, message_id, clock.now())
        second = outbox.mark_sent(session, message_id, clock.now())

    assert (first, second) == (True, False)
    row = _row(sessions, message_id)
    assert (row.status, row.attempts, row.sent_at) == (outbox.SENT, 1, clock.now())
    clock.advance(hours=1)
    assert _claim(sessions, clock) == []


def test_a_failed_row_waits_for_its_retry_time(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, "ana")
    _claim(sessions, clock)
    retry_at = clock.now() + outbox.retry_delay(1)

    with sessions.begin() as session:
        status = outbox.mark_failed(session, message_id, "timeout", retry_at)

    assert status == outbox.PENDING
    row = _row(sessions, message_id)
    assert (row.attempts, row.last_error, row.next_attempt_at) == (1, "timeout", retry_at)
    clock.advance(seconds=4)
    assert _claim(sessions, clock) == []
    clock.advance(seconds=1)
    assert _claim(sessions, clock) == [message_id]


def test_a_row_fails_for_good_after_the_last_attempt(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, "ana")
    statuses = []
    for attempt in range(1, 4):
        assert _claim(sessions, clock) == [message_id]
        with sessions.begin() as session:
            statuses.append(
                outbox.mark_failed(
                    session, message_id, f"boom {attempt}", clock.now(), max_attempts=3
                )
            )

    assert statuses == [outbox.PENDING, outbox.PENDING, outbox.FAILED]
    clock.advance(days=1)
    assert _claim(sessions, clock) == []
    assert _row(sessions, message_id).attempts == 3


def test_a_permanent_error_fails_at_once(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, "ana")
    _claim(sessions, clock)

    with sessions.begin() as session:
        status = outbox.mark_failed(session, message_id, "blocked by the user", None)

    assert status == outbox.FAILED


def test_later_messages_to_a_person_wait_behind_a_retry(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    first, _, _ = ids = _write(sessions, clock, "ana", "ana", "bia")
    _claim(sessions, clock, limit=1)
    with sessions.begin() as session:
        outbox.mark_failed(session, first, "timeout", clock.now() + timedelta(seconds=30))

    assert _claim(sessions, clock) == [ids[2]]
    clock.advance(seconds=30)
    assert _claim(sessions, clock) == ids[:2]


def test_released_rows_come_back_without_counting_an_attempt(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = _write(sessions, clock, "ana", "ana")
    _claim(sessions, clock)

    with sessions.begin() as session:
        outbox.release(session, ids, clock.now())

    assert _claim(sessions, clock) == ids
    assert _row(sessions, ids[0]).attempts == 0


def test_delivered_parts_are_counted_up_and_kept_for_the_retry(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, "ana")
    with sessions.begin() as session:
        unclaimed = outbox.note_parts_sent(session, message_id, 1)
    _claim(sessions, clock)

    with sessions.begin() as session:
        counted = [outbox.note_parts_sent(session, message_id, n) for n in (1, 2, 1, 2)]
        outbox.mark_failed(session, message_id, "timeout", clock.now())
    with sessions.begin() as session:
        [claimed] = outbox.claim_due(session, "test", clock.now(), 10)

    assert unclaimed is False
    assert counted == [True, True, False, False]
    assert claimed.parts_sent == 2
    assert _row(sessions, message_id).parts_sent == 2


def test_a_new_row_has_no_part_delivered(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _write(sessions, clock, "ana")

    with sessions.begin() as session:
        [claimed] = outbox.claim_due(session, "test", clock.now(), 10)

    assert claimed.parts_sent == 0


def test_retry_delay_doubles_up_to_a_cap() -> None:
    delays = [outbox.retry_delay(attempt).total_seconds() for attempt in range(1, 6)]

    assert delays == [5, 10, 20, 40, 80]
    assert outbox.retry_delay(0) == timedelta(0)
    assert outbox.retry_delay(100) == timedelta(hours=1)


def test_concurrent_claims_on_postgresql_never_share_a_row(
    postgres_sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _write(postgres_sessions, clock, *[f"person-{n}" for n in range(200)])
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def dispatcher(slot: int) -> None:
        start.wait()
        while batch := _claim(postgres_sessions, clock, limit=7):
            claimed[slot].extend(batch)

    threads = [threading.Thread(target=dispatcher, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 200


@pytest.fixture
def postgres_sessions(sessions: sessionmaker[Session], database_url: str) -> sessionmaker[Session]:
    """This test's sessions, on PostgreSQL only."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is a PostgreSQL feature")
    return sessions


def test_a_pulled_message_committed_after_a_higher_one_is_still_pulled(
    postgres_sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    def note(text: str) -> list[outbox.OutboxDraft]:
        return [outbox.OutboxDraft("web", "chat-token", {"text": text}, kind="notification")]

    late = postgres_sessions()
    late.begin()  # takes the lower id, commits last: two suppliers' news at once
    outbox.add_messages(late, note("first written, committed last"), clock.now())
    with postgres_sessions.begin() as session:
        outbox.add_messages(session, note("second"), clock.now())
    with postgres_sessions.begin() as session:
        pulled = outbox.pull_messages(
            session, "web", "chat-token", after=0, limit=50, now=clock.now()
        )
    late.commit()
    late.close()
    after = max(message.id for message in pulled)
    with postgres_sessions.begin() as session:
        then = outbox.pull_messages(
            session, "web", "chat-token", after=after, limit=50, now=clock.now()
        )
    with postgres_sessions.begin() as session:
        again = outbox.pull_messages(
            session, "web", "chat-token", after=after, limit=50, now=clock.now()
        )

    assert [m.payload["text"] for m in pulled] == ["second"]
    assert [m.payload["text"] for m in then] == ["first written, committed last"]
    assert again == []  # once: it was not delivered before, it is now


def test_a_message_is_tried_for_a_day_before_it_fails_for_good() -> None:
    waits = [outbox.retry_delay(attempt) for attempt in range(1, outbox.MAX_ATTEMPTS)]

    assert sum(waits, timedelta(0)) >= timedelta(hours=24)
    assert sum(waits[:-1], timedelta(0)) < timedelta(hours=24)  # and not much longer


def test_a_late_failure_does_not_bring_back_a_row_sent_under_a_later_claim(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, "ana")
    _claim(sessions, clock)  # the first dispatcher's send to a slow service outlives its lease
    clock.advance(seconds=outbox.DEFAULT_LEASE.total_seconds() + 1)
    assert _claim(sessions, clock) == [message_id]  # a second dispatcher takes and sends it
    with sessions.begin() as session:
        assert outbox.mark_sent(session, message_id, clock.now())

    with sessions.begin() as session:  # then the first one's send times out
        status = outbox.mark_failed(session, message_id, "timeout", clock.now())

    assert status == outbox.FAILED  # nothing for the first dispatcher to retry
    row = _row(sessions, message_id)
    assert (row.status, row.attempts, row.last_error) == (outbox.SENT, 1, None)
    clock.advance(hours=1)
    assert _claim(sessions, clock) == []
