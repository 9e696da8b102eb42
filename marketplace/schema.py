"""Migrations and first-run preparation of a database."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.orm import Session

from marketplace.catalog import load_demo_catalog as load_demo_catalog_into
from marketplace.db import hold_write_lock
from marketplace.models import Supplier
from marketplace.reference_cache import clear_reference_caches
from marketplace.reference_data import ReferenceDataReport, load_reference_data

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


# The PostgreSQL advisory lock held while a process changes the schema or the reference
# data (marketplace.db); any fixed number other than marketplace.catalog.CATALOG_LOCK.
SCHEMA_LOCK = 7_301_001


class UnknownSchemaVersion(Exception):
    """The database records a schema version these migrations do not know."""


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that migrates on `connection`, in its transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade_schema(engine: Engine) -> None:
    """Apply every pending migration, one process at a time.

    Raises:
        UnknownSchemaVersion: the database was migrated by another release, or by hand.
    """
    with engine.begin() as connection:
        hold_write_lock(connection, SCHEMA_LOCK)
        _migrate(connection)


def upgrade_database(engine: Engine) -> ReferenceDataReport:
    """Apply migrations, then load or refresh the bundled ANEEL reference data.

    Both happen in one transaction, one process at a time: a second process waits, then
    finds the schema current and the data refreshed.

    Raises:
        UnknownSchemaVersion: as `upgrade_schema`.
    """
    with engine.begin() as connection:
        hold_write_lock(connection, SCHEMA_LOCK)
        _migrate(connection)
        with Session(bind=connection) as session:
            report = load_reference_data(session)
            session.flush()
    # After the commit: a process that upgrades its own database reads the new rows at once.
    clear_reference_caches()
    return report


def needs_preparation(database: Engine | Connection) -> bool:
    """Whether the database has no schema yet (a brand-new embedded database)."""
    return not inspect(database).has_table("alembic_version")


def has_suppliers(engine: Engine) -> bool:
    """Whether any supplier has been loaded."""
    with Session(engine) as session:
        return session.scalar(select(Supplier.id).limit(1)) is not None


def prepare_embedded_database(engine: Engine, *, load_demo_catalog: bool) -> None:
    """Give an empty embedded database its schema, reference data and demo catalog.

    A database that already has a schema is brought up to date but keeps its catalog.
    Everything happens in one transaction, so processes starting together on a new
    database prepare it once: the first does the work, the others wait and find it done.

    Raises:
        UnknownSchemaVersion: as `upgrade_schema`.
    """
    with engine.begin() as connection:
        hold_write_lock(connection, SCHEMA_LOCK)
        fresh = needs_preparation(connection)
        _migrate(connection)
        if not fresh:
            return
        logger.info("preparing a new embedded database")
        with Session(bind=connection) as session:
            load_reference_data(session)
            if load_demo_catalog and session.scalar(select(Supplier.id).limit(1)) is None:
                load_demo_catalog_into(session)
            session.flush()
    # After the commit, as in `upgrade_database`.
    clear_reference_caches()


def _migrate(connection: Connection) -> None:
    try:
        command.upgrade(alembic_config(connection), "head")
    except CommandError as error:
        raise UnknownSchemaVersion(str(error)) from error
