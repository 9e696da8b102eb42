"""The outbox dispatcher: sends due outbox rows through their channel, each marked once.

Database work runs in a thread (SQLAlchemy here is synchronous); sending is async. Each
recipient's messages go out one after another, in the order they were written; different
recipients are served concurrently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from conversations.events import Reply
from marketplace import outbox
from marketplace.clock import Clock
from marketplace.outbox import ClaimedMessage

logger = logging.getLogger(__name__)

# No send starts this close to the end of its claim's lease: longer than one send can take
# (an e-mail's eight SMTP commands at 20 s each; a push's OAuth token fetch and its own 20 s
# call), so no send outlives the lease it began under, and no other dispatcher, finding the
# row due again, sends it a second time.
SEND_MARGIN = timedelta(minutes=3)

Part = TypeVar("Part")
Result = TypeVar("Result")


class SendError(Exception):
    """A channel could not deliver a message."""


class RetryableSendError(SendError):
    """Delivery may work later (network, rate limit); `retry_after` in seconds if known."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Delivery will never work (blocked by the user, invalid recipient)."""


class ChannelClosed(PermanentSendError):
    """The channel itself is gone (a terminal whose reader left): expected, not a fault."""


@dataclass(frozen=True)
class Delivery:
    """What a channel did with a message, when it has more to say than "sent".

    `provider_message_id` is the platform's id of what went out, which its delivery
    statuses name later. `held`: nothing of the message itself went out; it waits until the
    recipient writes again (WhatsApp's 24-hour window), and the platform's id, if any, is
    that of what was sent meanwhile.
    """

    provider_message_id: str | None = None
    held: bool = False


async def _unrecorded(parts_sent: int) -> None:
    """Keep no count of delivered parts (a message built outside the dispatcher)."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One outbox row, as a channel sender receives it.

    A sender that delivers the row as several platform messages skips the first
    `parts_sent`, delivered by earlier attempts, and awaits `record_parts(n)` once the first
    n are delivered, so that a retry resumes where this attempt stopped (`send_parts`).
    """

    outbox_id: int
    channel: str
    recipient: str
    kind: str
    reply: Reply
    attempt: int  # 1 for the first try
    parts_sent: int = 0
    record_parts: Callable[[int], Awaitable[None]] = _unrecorded


async def send_parts(
    message: OutgoingMessage,
    parts: Sequence[Part],
    send: Callable[[Part, int], Awaitable[Result]],
) -> Result | None:
    """Send the parts of `message` not yet delivered, in order, recording each one.

    `send(part, number)` delivers one part; `number` counts the parts of this attempt from
    0, so a sender can treat the first call differently. Returns what the last call did,
    None when every part had gone out before.
    """
    result: Result | None = None
    for number, part in enumerate(parts[message.parts_sent :]):
        result = await send(part, number)
        await message.record_parts(message.parts_sent + number + 1)
    return result


class ChannelSender(Protocol):
    """Delivers messages on one channel.

    A sender whose calls wait for a few threads of its own (push, e-mail) says how many in
    a `concurrency` attribute: the dispatcher then starts no more sends at once, so that a
    send begins when its call does, not queued behind others past its claim's lease.
    """

    @property
    def channel(self) -> str:
        """The channel name, as in `InboundEvent.channel` and outbox rows."""
        ...

    async def send(self, message: OutgoingMessage) -> Delivery | None:
        """Deliver one message; None, or what the platform said about it.

        Raises:
            RetryableSendError: try again later.
            PermanentSendError: give up on this message.
        """
        ...


@dataclass
class DispatchReport:
    """What one pass of the dispatcher did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    # Left unsent for the next claim: their lease was about to end, or the loop was stopped.
    lapsed: int = 0

    @property
    def handled(self) -> int:
        """How many rows this pass dealt with."""
        return self.sent + self.retried + self.failed + self.held


class Dispatcher:
    """Claims due outbox rows per channel and hands them to that channel's sender.

    Args:
        recipient: serve only this recipient (the terminal channel of one person).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Sequence[ChannelSender],
        clock: Clock,
        *,
        batch_size: int = 100,
        lease: timedelta = outbox.DEFAULT_LEASE,
        max_attempts: int = outbox.MAX_ATTEMPTS,
        recipient: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.senders = {sender.channel: sender for sender in senders}
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.recipient = recipient

    async def run_once(self, stop: asyncio.Event | None = None) -> DispatchReport:
        """Send what is due on every channel, one claim per channel; report what happened.

        Once `stop` is set no more sends begin: those under way end, and the rows not
        begun are given back, due at once, for the next process to send.
        """
        # A claim is held for `lease`; a row still unsent when the lease is about to end
        # is left for the next claim (ours or another process's), never sent late: a
        # service that times out would otherwise keep a pass busy past the lease, while a
        # second dispatcher of the channel claims the same rows and sends them too.
        report = DispatchReport()
        for channel, sender in self.senders.items():
            now = self.clock.now()
            claimed = await asyncio.to_thread(self._claim, channel, now)
            send_until = now + self.lease - SEND_MARGIN
            slots = _slots(sender)
            by_recipient: dict[str, list[ClaimedMessage]] = {}
            for message in claimed:
                by_recipient.setdefault(message.recipient, []).append(message)
            await asyncio.gather(
                *(
                    self._send_in_order(sender, queue, report, send_until, slots, stop)
                    for queue in by_recipient.values()
                )
            )
        return report

    async def run(
        self,
        stop: asyncio.Event,
        *,
        idle_seconds: float = 0.5,
        wake: asyncio.Event | None = None,
    ) -> None:
        """Dispatch until `stop` is set, pausing when a pass found nothing to send.

        A channel that has just written replies may set `wake` to end the pause at once.
        """
        while not stop.is_set():
            if wake is not None:
                wake.clear()
            try:
                report = await self.run_once(stop)
            except Exception:
                # A database hiccup must not kill the loop; the rows stay in the outbox.
                logger.exception("dispatch pass failed; retrying in %s s", idle_seconds)
                report = DispatchReport()
            if report.handled == 0:
                await _pause(stop, wake, idle_seconds)

    def _claim(self, channel: str, now: datetime) -> list[ClaimedMessage]:
        with self.sessions.begin() as session:
            return outbox.claim_due(
                session,
                channel,
                now,
                self.batch_size,
                recipient=self.recipient,
                lease=self.lease,
            )

    async def _send_in_order(
        self,
        sender: ChannelSender,
        queue: list[ClaimedMessage],
        report: DispatchReport,
        send_until: datetime,
        slots: AbstractAsyncContextManager[object],
        stop: asyncio.Event | None,
    ) -> None:
        for position, claimed in enumerate(queue):
            async with slots:
                if stop is not None and stop.is_set():
                    # Shutting down: a slow service must not hold it up for a whole pass.
                    rest = [message.id for message in queue[position:]]
                    await asyncio.to_thread(self._release, rest, self.clock.now())
                    report.lapsed += len(rest)
                    return
                # Checked once the sender can take it: a send waiting for one of its
                # threads would otherwise start after the check, however late.
                if self.clock.now() >= send_until:
                    # The lease is (nearly) over: these rows are the next claim's, unsent.
                    report.lapsed += len(queue) - position
                    return
                retry_at = await self._send_one(sender, claimed, report)
            if retry_at is not None:
                # Later messages to this person wait for the one that failed, in order.
                rest = [message.id for message in queue[position + 1 :]]
                await asyncio.to_thread(self._release, rest, retry_at)
                return

    async def _send_one(
        self, sender: ChannelSender, claimed: ClaimedMessage, report: DispatchReport
    ) -> datetime | None:
        """Send one row and record the result; the retry time when it must be tried again."""
        message = OutgoingMessage(
            outbox_id=claimed.id,
            channel=claimed.channel,
            recipient=claimed.recipient,
            kind=claimed.kind,
            reply=Reply.from_payload(claimed.payload),
            attempt=claimed.attempts + 1,
            parts_sent=claimed.parts_sent,
            record_parts=partial(self._record_parts, claimed.id),
        )
        try:
            delivery = await sender.send(message) or Delivery()
        except PermanentSendError as error:
            level = logging.INFO if isinstance(error, ChannelClosed) else logging.WARNING
            logger.log(level, "outbox %s failed for good: %s", claimed.id, type(error).__name__)
            await asyncio.to_thread(self._mark_failed, claimed.id, str(error), None)
            report.failed += 1
            return None
        except Exception as error:
            retry_at = self._retry_at(claimed, error)
            status = await asyncio.to_thread(self._mark_failed, claimed.id, str(error), retry_at)
            logger.warning(
                "outbox %s attempt %s failed (%s); now %s",
                claimed.id,
                message.attempt,
                type(error).__name__,
                status,
            )
            if status == outbox.FAILED:
                report.failed += 1
                return None
            report.retried += 1
            return retry_at

        if delivery.held:
            await asyncio.to_thread(self._hold, claimed.id, delivery.provider_message_id)
            report.held += 1
            return None
        await asyncio.to_thread(self._mark_sent, claimed.id, delivery.provider_message_id)
        report.sent += 1
        return None

    def _retry_at(self, claimed: ClaimedMessage, error: Exception) -> datetime:
        delay = outbox.retry_delay(claimed.attempts + 1)
        if isinstance(error, RetryableSendError) and error.retry_after is not None:
            delay = max(delay, timedelta(seconds=error.retry_after))
        return self.clock.now() + delay

    async def _record_parts(self, message_id: int, parts_sent: int) -> None:
        await asyncio.to_thread(self._note_parts_sent, message_id, parts_sent)

    def _note_parts_sent(self, message_id: int, parts_sent: int) -> None:
        with self.sessions.begin() as session:
            outbox.note_parts_sent(session, message_id, parts_sent)

    def _mark_sent(self, message_id: int, provider_message_id: str | None) -> None:
        with self.sessions.begin() as session:
            if outbox.mark_sent(
                session, message_id, self.clock.now(), provider_message_id=provider_message_id
            ):
                return
            if outbox.is_stored(session, message_id):
                logger.warning("outbox %s was sent but its claim had lapsed", message_id)
            else:
                # Its consumer was forgotten while it was on its way: nothing of it is kept.
                logger.info("outbox %s was sent while it was being erased", message_id)

    def _hold(self, message_id: int, provider_message_id: str | None) -> None:
        with self.sessions.begin() as session:
            outbox.hold(session, message_id, provider_message_id=provider_message_id)

    def _mark_failed(self, message_id: int, error: str, retry_at: datetime | None) -> str:
        with self.sessions.begin() as session:
            return outbox.mark_failed(
                session, message_id, error, retry_at, max_attempts=self.max_attempts
            )

    def _release(self, message_ids: list[int], retry_at: datetime) -> None:
        with self.sessions.begin() as session:
            outbox.release(session, message_ids, retry_at)


def _slots(sender: ChannelSender) -> AbstractAsyncContextManager[object]:
    """How many sends of one pass may be under way at once: the sender's `concurrency`."""
    concurrency = getattr(sender, "concurrency", None)
    if isinstance(concurrency, int) and concurrency > 0:
        return asyncio.Semaphore(concurrency)
    return nullcontext()


async def _pause(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
