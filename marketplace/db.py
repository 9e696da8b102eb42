"""Database engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table of the system of record."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UnusableDatabaseUrl(ValueError):
    """A database URL no engine can be made from; the message says why, without the URL."""


def make_engine(database_url: str, **options: Any) -> Engine:
    """Create an engine, tuned for the dialect behind `database_url`.

    Nothing is connected yet: a database that is down or not a database fails on first use.

    Raises:
        UnusableDatabaseUrl: the URL does not parse, or its driver is not installed.
    """
    try:
        if database_url.startswith("sqlite"):
            engine = create_engine(
                database_url, connect_args={"timeout": 30, "check_same_thread": False}, **options
            )
            event.listen(engine, "connect", _configure_sqlite)
            event.listen(engine, "begin", _begin_immediate)
            return engine
        return create_engine(database_url, pool_pre_ping=True, **options)
    except (ArgumentError, ImportError, ValueError) as error:
        # The URL may hold a password, so the message names the problem, never the URL.
        raise UnusableDatabaseUrl(str(error) or type(error).__name__) from error


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _begin_immediate) instead of pysqlite's
    # deferred transactions, which would let two writers read the same state.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # SQLite has no SELECT ... FOR UPDATE; taking the write lock at BEGIN serialises
    # writers, which is what the per-conversation lock needs on the embedded default.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def hold_write_lock(connection: Connection | Session, key: int) -> None:
    """Wait for the advisory lock `key`, held until the current transaction ends.

    On PostgreSQL this serialises work that reads then writes the same rows (schema
    upgrades, catalog loads) across processes. SQLite needs nothing more: its transactions
    begin with BEGIN IMMEDIATE, which already admits one writer at a time.
    """
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session in one transaction: commit on success, roll back on error."""
    with sessions() as session, session.begin():
        yield session
