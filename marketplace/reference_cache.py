"""Reference data kept in memory: read once per process, database and day in Brazil.

States, CEP ranges, distributors, tariffs and flags change only when
`connect-energy db upgrade` loads the ANEEL files bundled with a release, and a release
starts new processes. Reading them on every message cost the consumer flow several round
trips each; now a process reads each table once. It reads it again:

- on its first use after midnight in America/Sao_Paulo, so a long-lived process picks up
  a refresh made by another one (a tariff takes effect on a date: a day is soon enough);
- after `clear_reference_caches()`, which loading the reference data calls, so a process
  that upgrades its own database (`upgrade_database`, the tests) sees the new rows at once.

Each database engine has its own copy, so tests on several databases do not mix.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from marketplace.clock import BRAZIL

T = TypeVar("T")

MAX_DATABASES = 4  # one in production; tests go through many, one after the other

_caches: list[ReferenceCache[object]] = []


class ReferenceCache(Generic[T]):
    """What `load` reads from a session's database, kept per database until the day ends.

    `load` must return something immutable: every caller of the day shares it.
    """

    def __init__(
        self, load: Callable[[Session], T], *, now: Callable[[], float] = time.time
    ) -> None:
        self._load = load
        self._now = now
        self._kept: OrderedDict[Engine, tuple[float, T]] = OrderedDict()  # → (until, data)
        self._lock = threading.Lock()
        _caches.append(self)  # type: ignore[arg-type]

    def get(self, session: Session) -> T:
        """The data of the session's database as read today, reading it if needed."""
        # By engine, which hashes by identity: a URL hashes by rendering itself as text.
        database = session.get_bind().engine
        now = self._now()  # read on every lookup of every message: cheaper than a date
        with self._lock:
            kept = self._kept.get(database)
            if kept is not None and now < kept[0]:
                self._kept.move_to_end(database)
                return kept[1]
        # Read outside the lock; two threads may both read on a miss, and both get it right.
        loaded = self._load(session)
        with self._lock:
            self._kept[database] = (_next_midnight_in_brazil(now), loaded)
            self._kept.move_to_end(database)
            while len(self._kept) > MAX_DATABASES:
                self._kept.popitem(last=False)
        return loaded

    def clear(self) -> None:
        """Forget what was read, for every database."""
        with self._lock:
            self._kept.clear()


def clear_reference_caches() -> None:
    """Forget every cached reference table, so the next use reads them afresh."""
    for cache in _caches:
        cache.clear()


def _next_midnight_in_brazil(timestamp: float) -> float:
    today = datetime.fromtimestamp(timestamp, BRAZIL).date()
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=BRAZIL)
    return tomorrow.timestamp()
