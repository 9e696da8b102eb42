"""The dispatcher against a real outbox, with a recording sender standing in for a platform."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatcher import (
    SEND_MARGIN,
    Delivery,
    Dispatcher,
    OutgoingMessage,
    PermanentSendError,
    RetryableSendError,
)
from bot.sender_threads import SenderThreads
from conversations.events import Option, Reply
from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.erasure import forget_consumer
from marketplace.models import Conversation, OutboxMessage
from tests.support.consumers import new_consumer


class RecordingSender:
    """Records what it is asked to send; fails the messages it is told to, once each."""

    channel = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures: dict[str, Exception] = {}

    async def send(self, message: OutgoingMessage) -> None:
        """Record the message, or raise the failure planned for its text."""
        failure = self.failures.pop(message.reply.text, None)
        if failure is not None:
            raise failure
        self.sent.append((message.recipient, message.reply.text))


def _write(
    sessions: sessionmaker[Session], clock: FixedClock, *messages: tuple[str, str]
) -> list[int]:
    drafts = [
        outbox.OutboxDraft(channel="test", recipient=to, payload=Reply(text).to_payload())
        for to, text in messages
    ]
    with sessions.begin() as session:
        return outbox.add_messages(session, drafts, clock.now())


def _statuses(sessions: sessionmaker[Session], ids: list[int]) -> list[str]:
    with sessions() as session:
        return [session.get_one(OutboxMessage, message_id).status for message_id in ids]


def test_due_messages_are_sent_in_order_and_marked_once(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = _write(sessions, clock, ("ana", "a1"), ("bia", "b1"), ("ana", "a2"))
    sender = RecordingSender()
    dispatcher = Dispatcher(sessions, [sender], clock)

    first = asyncio.run(dispatcher.run_once())
    second = asyncio.run(dispatcher.run_once())

    assert [text for to, text in sender.sent if to == "ana"] == ["a1", "a2"]
    assert sorted(sender.sent) == [("ana", "a1"), ("ana", "a2"), ("bia", "b1")]
    assert (first.sent, second.handled) == (3, 0)
    assert _statuses(sessions, ids) == [outbox.SENT] * 3


def test_the_payload_reaches_the_sender_as_a_reply(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    reply = Reply("Pick one", options=(Option("x", "X"),))
    with sessions.begin() as session:
        outbox.add_messages(
            session, [outbox.OutboxDraft("test", "ana", reply.to_payload())], clock.now()
        )
    received: list[OutgoingMessage] = []

    class Capturing(RecordingSender):
        async def send(self, message: OutgoingMessage) -> None:
            received.append(message)

    asyncio.run(Dispatcher(sessions, [Capturing()], clock).run_once())

    assert [(m.reply, m.attempt, m.kind) for m in received] == [(reply, 1, "reply")]


def test_a_retryable_failure_holds_that_person_back_and_retries_later(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = _write(sessions, clock, ("ana", "a1"), ("ana", "a2"), ("bia", "b1"))
    sender = RecordingSender()
    sender.failures["a1"] = RetryableSendError("timeout")
    dispatcher = Dispatcher(sessions, [sender], clock)

    report = asyncio.run(dispatcher.run_once())

    assert (report.sent, report.retried) == (1, 1)
    assert sender.sent == [("bia", "b1")]
    assert _statuses(sessions, ids) == [outbox.PENDING, outbox.PENDING, outbox.SENT]
    assert asyncio.run(dispatcher.run_once()).handled == 0
    clock.advance(seconds=5)
    asyncio.run(dispatcher.run_once())
    assert sender.sent[1:] == [("ana", "a1"), ("ana", "a2")]


def test_retry_after_from_the_platform_is_respected(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    [message_id] = _write(sessions, clock, ("ana", "a1"))
    sender = RecordingSender()
    sender.failures["a1"] = RetryableSendError("429", retry_after=60)
    dispatcher = Dispatcher(sessions, [sender], clock)

    asyncio.run(dispatcher.run_once())
    clock.advance(seconds=59)
    asyncio.run(dispatcher.run_once())
    assert sender.sent == []
    clock.advance(seconds=1)
    asyncio.run(dispatcher.run_once())

    assert sender.sent == [("ana", "a1")]
    with sessions() as session:
        assert session.get_one(OutboxMessage, message_id).attempts == 2


def test_a_permanent_failure_is_not_retried(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = _write(sessions, clock, ("ana", "a1"), ("ana", "a2"))
    sender = RecordingSender()
    sender.failures["a1"] = PermanentSendError("blocked")

    report = asyncio.run(Dispatcher(sessions, [sender], clock).run_once())

    assert (report.failed, report.sent) == (1, 1)
    assert _statuses(sessions, ids) == [outbox.FAILED, outbox.SENT]


def test_a_dispatcher_for_one_recipient_leaves_the_others(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _write(sessions, clock, ("ana", "a1"), ("bia", "b1"))
    sender = RecordingSender()

    asyncio.run(Dispatcher(sessions, [sender], clock, recipient="bia").run_once())

    assert sender.sent == [("bia", "b1")]


def test_the_loop_stops_when_told(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    _write(sessions, clock, ("ana", "a1"))
    sender = RecordingSender()
    dispatcher = Dispatcher(sessions, [sender], clock)

    async def run_briefly() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop, idle_seconds=0.01), name="dispatcher")
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, timeout=2)

    asyncio.run(run_briefly())

    assert sender.sent == [("ana", "a1")]


class SignallingSender(RecordingSender):
    """A recording sender that also says when something was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> None:
        """Record, then signal."""
        await super().send(message)
        self.delivered.set()


def test_a_wake_ends_the_rest_between_passes(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    sender = SignallingSender()
    dispatcher = Dispatcher(sessions, [sender], clock)

    async def write_then_wake() -> None:
        stop, wake = asyncio.Event(), asyncio.Event()
        running = asyncio.create_task(dispatcher.run(stop, idle_seconds=30, wake=wake))
        await asyncio.sleep(0.05)  # the first pass found nothing and rests
        await asyncio.to_thread(_write, sessions, clock, ("ana", "a1"))
        wake.set()
        await asyncio.wait_for(sender.delivered.wait(), timeout=5)
        stop.set()
        await asyncio.wait_for(running, timeout=5)

    asyncio.run(write_then_wake())

    assert sender.sent == [("ana", "a1")]


class ForgettingSender:
    """Sends the lead card while its consumer declines, then ends the attempt as told."""

    channel = "test"

    def __init__(self, sessions: sessionmaker[Session], consumer: int, ending: str) -> None:
        self.sessions, self.consumer, self.ending = sessions, consumer, ending
        self.sent: list[tuple[str, str]] = []
        self.cards = 0

    async def send(self, message: OutgoingMessage) -> Delivery | None:
        """Forget the consumer mid-card, then end as told; record anything else."""
        if message.reply.text != "card":
            self.sent.append((message.recipient, message.reply.text))
            return None
        self.cards += 1
        await asyncio.to_thread(self._forget)
        if self.ending == "retry":
            raise RetryableSendError("timeout")
        if self.ending == "failed":
            raise PermanentSendError("blocked")
        return Delivery(provider_message_id="wamid.1", held=self.ending == "held")

    def _forget(self) -> None:
        with self.sessions.begin() as session:
            conversation = session.scalars(
                select(Conversation.id).where(Conversation.consumer_id == self.consumer)
            ).one()
            forget_consumer(session, self.consumer, conversation_id=conversation)


@pytest.mark.parametrize("ending", ["sent", "held", "retry", "failed"])
def test_a_message_erased_while_it_is_sent_is_neither_kept_nor_sent_again(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    ending: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session)
        session.add(
            Conversation(
                channel="web",
                chat_id="maria",
                consumer_id=consumer,
                flow="consumer",
                state="consent",
                data={},
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        drafts = [
            outbox.OutboxDraft("test", "agent", Reply(text).to_payload(), about_consumer_id=about)
            for text, about in (("card", consumer), ("a2", None))
        ]
        outbox.add_messages(session, drafts, clock.now())
    others = _write(sessions, clock, ("bia", "b1"))
    sender = ForgettingSender(sessions, consumer, ending)
    dispatcher = Dispatcher(sessions, [sender], clock)

    asyncio.run(dispatcher.run_once())
    # The card's row went with its consumer; the agent's next message was not held back.
    assert sorted(sender.sent) == [("agent", "a2"), ("bia", "b1")]
    with sessions() as session:
        left = session.scalars(select(OutboxMessage.payload)).all()
    assert sorted(payload["text"] for payload in left) == ["a2", "b1"]
    assert _statuses(sessions, others) == [outbox.SENT]
    if ending == "sent":  # expected, not a lapsed claim worth a warning
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    clock.advance(hours=2)  # past any lease and retry
    assert asyncio.run(dispatcher.run_once()).handled == 0
    assert sender.cards == 1


class SlowSender(RecordingSender):
    """A service that takes `seconds` (on the test clock) to answer each message."""

    def __init__(self, clock: FixedClock, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds

    async def send(self, message: OutgoingMessage) -> None:
        """Record the message once the service has taken its time."""
        self.clock.advance(seconds=self.seconds)
        await super().send(message)


def test_a_pass_sends_nothing_its_lease_no_longer_covers(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = _write(sessions, clock, *[("ana", f"a{n}") for n in range(5)])
    slow = SlowSender(clock, seconds=40)  # a service timing out: 2 min fits three sends
    lease = SEND_MARGIN + timedelta(minutes=2)
    first = Dispatcher(sessions, [slow], clock, lease=lease)

    report = asyncio.run(first.run_once())

    # The fourth send would start within the margin: it is left for the next claim.
    assert [text for _to, text in slow.sent] == ["a0", "a1", "a2"]
    assert (report.sent, report.lapsed) == (3, 2)
    # Once the lease has run out, another process claims what is left, and nothing goes twice.
    clock.advance(seconds=lease.total_seconds())
    other = RecordingSender()
    asyncio.run(Dispatcher(sessions, [other], clock).run_once())
    assert [text for _to, text in other.sent] == ["a3", "a4"]
    assert _statuses(sessions, ids) == [outbox.SENT] * 5


class PooledSlowSender(RecordingSender):
    """A service called on a pool of the sender's own threads (as push and e-mail are):
    `concurrency` calls at once, each taking `seconds` on the test clock; the rest wait
    in the pool's queue."""

    def __init__(self, clock: FixedClock, seconds: float, concurrency: int) -> None:
        super().__init__()
        self.clock, self.seconds, self.concurrency = clock, seconds, concurrency
        self.threads = SenderThreads(concurrency, "test")
        self.started: list[tuple[str, datetime]] = []

    async def send(self, message: OutgoingMessage) -> None:
        """Call the service on one of the threads, once one is free."""
        await self.threads.run(self._call, message)
        await super().send(message)

    def _call(self, message: OutgoingMessage) -> None:
        self.started.append((message.recipient, self.clock.now()))
        self.clock.advance(seconds=self.seconds)


def test_no_send_waiting_for_the_senders_threads_starts_past_the_lease(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # Five people, one message each: the pass starts all five sends at once, but the
    # service is called on one thread, 40 s a call.
    ids = _write(sessions, clock, *[(f"p{n}", f"m{n}") for n in range(5)])
    claimed_at = clock.now()
    slow = PooledSlowSender(clock, seconds=40, concurrency=1)

    try:
        report = asyncio.run(Dispatcher(sessions, [slow], clock).run_once())
    finally:
        slow.threads.close()

    lease_ends = claimed_at + outbox.DEFAULT_LEASE
    assert all(started < lease_ends - SEND_MARGIN for _to, started in slow.started)
    assert (report.sent, report.lapsed) == (3, 2)
    # What the lease no longer covered goes with the next claim, once.
    clock.advance(seconds=outbox.DEFAULT_LEASE.total_seconds())
    other = RecordingSender()
    asyncio.run(Dispatcher(sessions, [other], clock).run_once())
    assert sorted(slow.sent + other.sent) == [(f"p{n}", f"m{n}") for n in range(5)]
    assert _statuses(sessions, ids) == [outbox.SENT] * 5


class OneAtATimeSender(RecordingSender):
    """A service answering one call at a time, `seconds` (real time) each."""

    concurrency = 1

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.calling = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> None:
        """Take the service's time, then record."""
        self.calling.set()
        await asyncio.sleep(self.seconds)
        await super().send(message)


def test_a_stopped_loop_starts_no_more_sends_and_leaves_the_rest_due(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = _write(sessions, clock, *[(f"p{n}", f"m{n}") for n in range(5)])
    slow = OneAtATimeSender(seconds=0.5)  # the whole pass would take 2.5 s

    async def stop_during_the_first_send() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(Dispatcher(sessions, [slow], clock).run(stop))
        await slow.calling.wait()
        stop.set()
        began = time.monotonic()
        await task
        return time.monotonic() - began

    stopping = asyncio.run(stop_during_the_first_send())

    assert stopping < 1.0  # the send under way ends, no other begins
    assert slow.sent == [("p0", "m0")]
    # What was left goes out at once with the next process, not when the lease ends.
    other = RecordingSender()
    asyncio.run(Dispatcher(sessions, [other], clock).run_once())
    assert other.sent == [(f"p{n}", f"m{n}") for n in range(1, 5)]
    assert _statuses(sessions, ids) == [outbox.SENT] * 5
