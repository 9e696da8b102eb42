"""The composition root: settings, database and clock, wired once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigurationError, DatabaseNotReady
from marketplace.clock import Clock, SystemClock
from marketplace.contract_tokens import ContractLinks, ContractTokens
from marketplace.db import UnusableDatabaseUrl, make_engine, make_session_factory
from marketplace.schema import (
    UnknownSchemaVersion,
    needs_preparation,
    prepare_embedded_database,
)
from marketplace.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What every command and channel of one process shares."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    def contract_links(self) -> ContractLinks:
        """What mints signing links: `PUBLIC_URL` and a key derived from the secret.

        Raises:
            MissingSecretKey: outside the embedded default, when `SECRET_KEY` is unset.
        """
        tokens = ContractTokens(
            self.settings.resolved_secret_key(),
            ttl=timedelta(hours=self.settings.contract_link_hours),
        )
        return ContractLinks(self.settings.public_url, tokens)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def open_runtime(settings: Settings | None = None, *, clock: Clock | None = None) -> Runtime:
    """Connect to the configured database, preparing an empty embedded one on first use.

    Raises:
        ConfigurationError: `DATABASE_URL` cannot be used.
        DatabaseNotReady: the database cannot be opened, or is not ready; the message says
            what to do.
    """
    settings = settings or Settings()
    engine = connect(settings)
    try:
        _make_ready(engine, settings)
    except DatabaseNotReady:
        engine.dispose()
        raise
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        clock=clock or SystemClock(),
    )


def connect(settings: Settings) -> Engine:
    """An engine on the configured database, not yet connected.

    Raises:
        ConfigurationError: `DATABASE_URL` cannot be used (settings let it through only
            when a driver is missing or the URL was built in code).
    """
    try:
        return make_engine(settings.database_url)
    except UnusableDatabaseUrl as error:
        raise ConfigurationError(f"DATABASE_URL cannot be used: {error}") from error


def _make_ready(engine: Engine, settings: Settings) -> None:
    try:
        if settings.is_embedded:
            prepare_embedded_database(engine, load_demo_catalog=settings.load_demo_catalog)
        elif needs_preparation(engine):
            raise DatabaseNotReady(
                "the database has no schema yet: run `connect-energy db upgrade`"
            )
    except DatabaseError as error:
        raise DatabaseNotReady(f"cannot open the database: {error.orig or error}") from error
    except UnknownSchemaVersion as error:
        raise DatabaseNotReady(f"the database is not one this release can use: {error}") from error
