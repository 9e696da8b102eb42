"""A pace for API calls: at most N per second, and a pause when the platform asks for one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Spaces calls evenly, `rate` per second, across every task that shares it.

    Each call books the next free slot before sleeping, so concurrent senders queue up
    instead of bursting. `clock` and `sleep` are injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next_slot = 0.0

    async def acquire(self) -> None:
        """Wait for this call's slot."""
        now = self.clock()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Book no slot for the next `seconds` (the platform said the number is over rate)."""
        self._next_slot = max(self._next_slot, self.clock() + seconds)
