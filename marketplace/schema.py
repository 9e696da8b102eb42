"""Migrations and first-run preparation of a database."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from marketplace.catalog import load_demo_catalog as load_demo_catalog_into
from marketplace.models import Supplier
from marketplace.reference_cache import clear_reference_caches
from marketplace.reference_data import ReferenceDataReport, load_reference_data

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Apply every pending migration."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upgrade_database(engine: Engine) -> ReferenceDataReport:
    """Apply migrations, then load or refresh the bundled ANEEL reference data."""
    upgrade_schema(engine)
    with Session(engine) as session, session.begin():
        report = load_reference_data(session)
    clear_reference_caches()
    return report


def needs_preparation(engine: Engine) -> bool:
    """Whether the database has no schema yet (a brand-new embedded database)."""
    return not inspect(engine).has_table("alembic_version")


def has_suppliers(engine: Engine) -> bool:
    """Whether any supplier has been loaded."""
    with Session(engine) as session:
        return session.scalar(select(Supplier.id).limit(1)) is not None


def prepare_embedded_database(engine: Engine, *, load_demo_catalog: bool) -> None:
    """Give an empty embedded database its schema, reference data and demo catalog.

    A database that already has a schema is brought up to date but keeps its catalog.
    """
    fresh = needs_preparation(engine)
    if fresh:
        logger.info("preparing a new embedded database")
        upgrade_database(engine)
    else:
        upgrade_schema(engine)
    if fresh and load_demo_catalog and not has_suppliers(engine):
        with Session(engine) as session, session.begin():
            load_demo_catalog_into(session)
