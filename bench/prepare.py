"""Prepare a benchmark database the way a real one is prepared, in a process of its own.

Usage: python -m bench.prepare DATABASE_URL [--catalog] [--contracts N]

Migrations and the ANEEL reference data (`connect-energy db upgrade`), then, with
`--catalog`, the demo catalog (`connect-energy catalog demo`) and the benchmark's few
extra offers (bench/catalog.py); with `--contracts N` (which implies the catalog), N
contracts awaiting signature with an amount due, for the money path (bench/contracts.py).
"""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from bench.catalog import BENCH_CATALOG
from bench.contracts import MONEY_PREFIX, paid_contracts
from marketplace.catalog import load_catalog, load_demo_catalog
from marketplace.catalog_files import read_catalog_bytes
from marketplace.clock import SystemClock
from marketplace.db import make_engine
from marketplace.schema import upgrade_database
from marketplace.settings import Settings


def prepare(url: str, *, catalog: bool, contracts: int = 0) -> None:
    """Migrate, load the reference data and, when asked, the demo and benchmark catalogs
    and contracts awaiting signature."""
    engine = make_engine(Settings(_env_file=None, database_url=url).database_url)
    try:
        upgrade_database(engine)
        if catalog or contracts:
            with Session(engine) as session, session.begin():
                load_demo_catalog(session)
                load_catalog(session, read_catalog_bytes(BENCH_CATALOG, catalog_format="json"))
        if contracts:
            with Session(engine) as session, session.begin():
                paid_contracts(session, contracts, SystemClock(), prefix=MONEY_PREFIX)
    finally:
        engine.dispose()


def main() -> None:
    """Prepare the database named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--catalog", action="store_true")
    parser.add_argument("--contracts", type=int, default=0)
    arguments = parser.parse_args()
    prepare(arguments.database_url, catalog=arguments.catalog, contracts=arguments.contracts)


if __name__ == "__main__":
    main()
