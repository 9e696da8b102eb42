"""Throwaway databases for one benchmark run: a PostgreSQL database or a SQLite file.

A PostgreSQL database gets a name no other run can have and is dropped when the block ends,
even on failure; a SQLite database lives in a temporary folder. This module stays free of
the product's imports, so the process that runs the benchmark stays small (see timed.py).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

POSTGRESQL, SQLITE = "postgresql", "sqlite"
BACKENDS = (POSTGRESQL, SQLITE)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class BenchSetupError(RuntimeError):
    """The benchmark could not get a database to run on."""


@contextmanager
def throwaway_database(backend: str, server: str) -> Iterator[str]:
    """A new, empty database of `backend` for the duration of the block; its URL.

    Args:
        backend: "postgresql" or "sqlite".
        server: the PostgreSQL server, as `postgresql://user@host:port` (unused for SQLite).

    Raises:
        BenchSetupError: the server is not on this machine, or cannot be reached.
    """
    if backend == SQLITE:
        with tempfile.TemporaryDirectory(prefix="connect-energy-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    server = _loopback_server(server)
    name = f"connect_energy_bench_{os.getpid()}_{time.time_ns()}"
    _execute(server, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server}/{name}"
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _execute(server, drop.format(sql.Identifier(name)))


def _loopback_server(server: str) -> str:
    # The benchmark creates and drops databases, so it only ever does that on this machine.
    parts = urlsplit(server)
    if parts.scheme not in ("postgresql", "postgres") or parts.path.strip("/"):
        raise BenchSetupError("--postgres-server is postgresql://user@host:port, no database")
    if parts.hostname not in LOOPBACK:
        raise BenchSetupError(f"refusing PostgreSQL server {parts.hostname!r}: loopback only")
    return server.rstrip("/")


def _execute(server: str, statement: sql.Composed) -> None:
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as db:
            db.execute(statement)
    except psycopg.OperationalError as error:
        raise BenchSetupError(f"PostgreSQL unavailable at {server}: {error}") from error
