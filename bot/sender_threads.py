"""Threads of a sender's own for its calls to an outside service (FCM, an SMTP server).

`asyncio.to_thread` runs a call on the event loop's default threads, which everything else
on that loop shares: in `serve`, the webhooks (WhatsApp, PicPay, the device route) hand
their work to them too, and on a 2-core machine there are six. The dispatcher sends to
every recipient of a batch at once, and each call to a slow service holds a thread for as
long as it takes (up to its 20 s timeout): on the shared threads a slow FCM would make
every webhook wait behind a hundred pushes. On threads of the sender's own, only its own
messages wait.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class SenderThreads:
    """A few threads for one sender's blocking calls; `close` when the sender stops."""

    def __init__(self, count: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(count, thread_name_prefix=name)

    async def run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `call` on one of these threads and wait for it without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(call, *args, **kwargs))

    def close(self) -> None:
        """Wait for the calls under way, then let the threads go."""
        self._pool.shutdown(wait=True)
