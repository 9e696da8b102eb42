"""The injectable clock every date-dependent rule reads, so tests do not age."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

BRAZIL = ZoneInfo("America/Sao_Paulo")


class Clock(Protocol):
    """Tells the current time, in UTC."""

    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is told to, for tests and reproducible runs."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self.instant = instant

    def now(self) -> datetime:
        """The instant this clock was set to."""
        return self.instant

    def advance(self, **delta: float) -> None:
        """Move the clock forward, e.g. `advance(hours=25)`."""
        from datetime import timedelta

        self.instant += timedelta(**delta)


def today_in_brazil(clock: Clock) -> date:
    """The calendar date in America/Sao_Paulo, which is what tariffs and flags follow."""
    return clock.now().astimezone(BRAZIL).date()
