"""The periodic sweep of lead response times, as a task of the web app's event loop."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from bot.periodic import Periodic
from conversations.lead_timers import sweep_overdue_leads
from marketplace.clock import Clock

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0  # response times are hours; a minute late is nothing


class LeadTimer(Periodic):
    """Runs `sweep_overdue_leads` every `interval` seconds until stopped."""

    name = "lead-timer"

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, *, interval: float = SWEEP_SECONDS
    ) -> None:
        super().__init__(interval=interval)
        self.sessions = sessions
        self.clock = clock

    def round(self) -> None:
        """Mark the leads past their response time as missed."""
        missed = sweep_overdue_leads(self.sessions, self.clock)
        if missed:
            logger.info("lead sweep: %s missed", missed)
