"""A round of blocking work repeated on the web app's event loop until the app stops.

The lead timer and the payment check are both this: every `interval` seconds, run one
round in a worker thread (it talks to the database and, for payments, to PicPay), log a
failure and try again next round, and on stop let the current round finish. Whatever a
round raises, the rounds go on: a bug met by one payment or lead must not stop the refunds
and deadlines of every other one until the process restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback

from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


class Periodic:
    """Calls `round()` every `interval` seconds, in a thread, between `start` and `stop`."""

    name = "periodic"

    def __init__(self, *, interval: float) -> None:
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def round(self) -> None:
        """One round of the work; subclasses say what it is."""
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        """Whether `stop` was called: a long round should end early."""
        return self._stop.is_set()

    def start(self) -> None:
        """Start the rounds in the background."""
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop, waiting for the current round to end."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.round)
            except SQLAlchemyError:
                logger.exception("%s failed; trying again in %s s", self.name, self.interval)
            except Exception as error:
                # Only the type and stack: the message might quote personal data.
                logger.error(
                    "%s failed with %s; trying again in %s s\n%s",
                    self.name,
                    type(error).__name__,
                    self.interval,
                    "".join(traceback.format_tb(error.__traceback__)).rstrip(),
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
