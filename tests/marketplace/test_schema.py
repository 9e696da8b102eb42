"""Preparing databases and loading catalogs while other processes do the same.

Each job runs `connect-energy` in its own process, as people and deploy scripts do: Alembic
keeps its migration context in module globals, so threads could not stand in for them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from marketplace.catalog import load_demo_catalog
from marketplace.db import make_engine
from marketplace.models import Distributor, Offer, Supplier
from tests.conftest import POSTGRES_URL


def at_once(url: str, *commands: Sequence[str], folder: Path) -> list[tuple[int, str]]:
    """Start every `connect-energy` command together; their exit statuses and stderr."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": url,
        "LOAD_DEMO_CATALOG": "true",
    }
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *command],
            cwd=folder,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for command in commands
    ]
    return [(job.wait(timeout=120), job.communicate()[1].decode()) for job in started]


def count(url: str, model: type[Supplier] | type[Offer] | type[Distributor]) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


def demo_suppliers(url: str) -> int:
    """How many suppliers the demo catalog has, read back from a database that holds it."""
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            report = load_demo_catalog(session)
    finally:
        engine.dispose()
    assert report.suppliers["created"] == []
    return len(report.suppliers["unchanged"])


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database of this test alone, dropped afterwards."""
    if POSTGRES_URL is None:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    server = make_url(POSTGRES_URL).set(drivername="postgresql", database="postgres")
    administration = server.render_as_string(hide_password=False)
    name = f"connect_energy_fresh_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(administration, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(administration, autocommit=True) as connection:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            connection.execute(drop.format(sql.Identifier(name)))


def test_two_upgrades_then_two_demo_loads_at_once_on_a_fresh_postgresql_database(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    upgrades = at_once(fresh_postgres_url, ["db", "upgrade"], ["db", "upgrade"], folder=tmp_path)
    distributors = count(fresh_postgres_url, Distributor)
    loads = at_once(fresh_postgres_url, ["catalog", "demo"], ["catalog", "demo"], folder=tmp_path)

    assert upgrades == loads == [(0, ""), (0, "")]
    assert distributors > 100
    assert count(fresh_postgres_url, Supplier) == demo_suppliers(fresh_postgres_url) > 0


def test_processes_starting_together_on_a_new_embedded_database_prepare_it_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    offers = ["offers", "--cep", "60110-000", "--bill", "350"]

    finished = at_once(url, offers, offers, ["catalog", "demo"], folder=tmp_path)

    assert finished == [(0, ""), (0, ""), (0, "")]
    assert count(url, Supplier) == demo_suppliers(url) > 0
