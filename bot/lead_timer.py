"""The periodic sweep of lead response times, as a task of the web app's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from conversations.lead_timers import sweep_overdue_leads
from marketplace.clock import Clock

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0  # response times are hours; a minute late is nothing


class LeadTimer:
    """Runs `sweep_overdue_leads` every `interval` seconds until stopped."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, *, interval: float = SWEEP_SECONDS
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sweeping in the background."""
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="lead-timer")

    async def stop(self) -> None:
        """Stop sweeping and wait for the current sweep to end."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                missed = await asyncio.to_thread(sweep_overdue_leads, self.sessions, self.clock)
            except SQLAlchemyError:
                logger.exception("lead sweep failed; trying again in %s s", self.interval)
            else:
                if missed:
                    logger.info("lead sweep: %s missed", missed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
