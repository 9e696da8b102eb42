"""Pacing of outgoing Telegram messages, under the limits Telegram asks bots to keep.

Telegram answers a bot that goes faster than about 30 messages a second overall, or more
than about one a second in one chat, with 429 Too Many Requests. Waiting here first keeps
those answers rare. The pace is kept per process: several processes sharing one bot
should divide `per_second` between them.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

MonotonicClock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

PRUNE_ABOVE = 10_000  # chats remembered before the idle ones are forgotten


class _Pace:
    """A steady pace with room for a short burst (the "virtual scheduling" algorithm).

    Each send reserves the earliest moment the pace allows; `due` is when the send after a
    burst-free run could go.
    """

    def __init__(self, interval: float, burst: int) -> None:
        self.interval = interval
        self.tolerance = interval * (burst - 1)
        self.due = -math.inf

    def reserve(self, now: float) -> float:
        """Reserve the next moment to send, not before `now`."""
        moment = max(now, self.due - self.tolerance)
        self.due = max(self.due, moment) + self.interval
        return moment


class RateLimiter:
    """Makes senders wait their turn: per chat first, then overall.

    Args:
        per_second: messages a second over all chats, evenly spaced.
        chat_interval: seconds between messages to one chat, once its burst is spent.
        chat_burst: messages one chat may get at once (a reply and the next question).
        clock: a monotonic clock, in seconds.
        sleep: how to wait; tests pass one that only advances their clock.
    """

    def __init__(
        self,
        *,
        per_second: float = 30,
        chat_interval: float = 1.0,
        chat_burst: int = 3,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.chat_interval = chat_interval
        self.chat_burst = chat_burst
        self._overall = _Pace(1 / per_second, burst=1)
        self._chats: dict[str, _Pace] = {}

    async def wait(self, chat: str) -> None:
        """Return when one more message to `chat` keeps within both limits."""
        await self._sleep_until(self._chat_pace(chat).reserve(self.clock()))
        await self._sleep_until(self._overall.reserve(self.clock()))

    def _chat_pace(self, chat: str) -> _Pace:
        pace = self._chats.get(chat)
        if pace is None:
            if len(self._chats) >= PRUNE_ABOVE:
                self._forget_idle_chats()
            pace = self._chats[chat] = _Pace(self.chat_interval, self.chat_burst)
        return pace

    def _forget_idle_chats(self) -> None:
        # A chat whose next slot has passed behaves exactly like one never seen.
        now = self.clock()
        self._chats = {chat: pace for chat, pace in self._chats.items() if pace.due > now}

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0:
            await self.sleep(delay)
