"""Reference data kept in memory: read once per process, database and day in Brazil.

States, CEP ranges, distributors, tariffs and flags change only when
`connect-energy db upgrade` loads the ANEEL files bundled with a release, and a release
starts new processes. Reading them on every message cost the consumer flow several round
trips each; now a process reads each table once. It reads it again:

- on the first use of a new day in America/Sao_Paulo, so a long-lived process picks up a
  refresh made by another one (a tariff takes effect on a date, so a day is soon enough);
- after `clear_reference_caches()`, which `load_reference_data` calls when it commits, so
  a process that upgrades its own database sees the new rows at once.

Each database (by URL) has its own copy, so tests on several databases do not mix.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from marketplace.clock import SystemClock, today_in_brazil

T = TypeVar("T")

MAX_DATABASES = 4  # one in production; tests go through many, one after the other

_caches: list[ReferenceCache[object]] = []


class ReferenceCache(Generic[T]):
    """What `load` reads from a session's database, kept per database and day.

    `load` must return something immutable: every caller of the day shares it.
    """

    def __init__(self, load: Callable[[Session], T]) -> None:
        self._load = load
        self._kept: OrderedDict[tuple[str, date], T] = OrderedDict()
        self._lock = threading.Lock()
        _caches.append(self)  # type: ignore[arg-type]

    def get(self, session: Session) -> T:
        """The data of the session's database as read today, reading it if needed."""
        key = (str(session.get_bind().engine.url), today_in_brazil(SystemClock()))
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        # Read outside the lock; two threads may both read on a miss, and both get it right.
        loaded = self._load(session)
        with self._lock:
            self._kept[key] = loaded
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
