"""What the timed benchmark runs share: a clock that can be moved forward, and a recorder
of each call's time, each phase's time and statements, and counts of what was done."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine, event

T = TypeVar("T")


class LaterClock:
    """Time as it passes from `start` (now, unless told), moved forward by `advance` (to
    make pending payments due)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or datetime.now(UTC)
        self.began = time.monotonic()
        self.offset = timedelta()

    def now(self) -> datetime:
        """The current instant, in UTC."""
        return self.start + timedelta(seconds=time.monotonic() - self.began) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.offset += delta


@dataclass
class Recorder:
    """The time of each call and phase, counts of what the calls did, and how many SQL
    statements each phase sent (`<operation>.statements`)."""

    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    phase_seconds: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    statements: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count_statements(self, engine: Engine) -> None:
        """Count every statement `engine` sends, from whichever thread."""
        event.listen(engine, "before_cursor_execute", self._one_statement)

    def _one_statement(self, *_: object) -> None:
        with self._lock:
            self.statements += 1

    @contextmanager
    def phase(self, operation: str) -> Iterator[None]:
        """Time the whole phase of `operation`'s calls and count its statements."""
        statements, began = self.statements, time.perf_counter()
        yield
        self.phase_seconds[operation] = time.perf_counter() - began
        self.counts[f"{operation}.statements"] = self.statements - statements

    def call(self, operation: str, work: Callable[[], T]) -> T:
        """Run one call of `operation`, timed."""
        began = time.perf_counter()
        result = work()
        self.latencies[operation].append(time.perf_counter() - began)
        return result
