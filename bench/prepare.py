"""Prepare a benchmark database the way a real one is prepared, in a process of its own.

Usage: python -m bench.prepare DATABASE_URL [--catalog]

Migrations and the ANEEL reference data (`connect-energy db upgrade`), then, with
`--catalog`, the demo catalog (`connect-energy catalog demo`) and the benchmark's few
extra offers (bench/catalog.py).
"""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from bench.catalog import BENCH_CATALOG
from marketplace.catalog import load_catalog, load_demo_catalog
from marketplace.catalog_files import read_catalog_bytes
from marketplace.db import make_engine
from marketplace.schema import upgrade_database
from marketplace.settings import Settings


def prepare(url: str, *, catalog: bool) -> None:
    """Migrate, load the reference data and, when asked, the demo and benchmark catalogs."""
    engine = make_engine(Settings(_env_file=None, database_url=url).database_url)
    try:
        upgrade_database(engine)
        if catalog:
            with Session(engine) as session, session.begin():
                load_demo_catalog(session)
                load_catalog(session, read_catalog_bytes(BENCH_CATALOG, catalog_format="json"))
    finally:
        engine.dispose()


def main() -> None:
    """Prepare the database named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--catalog", action="store_true")
    arguments = parser.parse_args()
    prepare(arguments.database_url, catalog=arguments.catalog)


if __name__ == "__main__":
    main()
