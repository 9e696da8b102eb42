"""`connect-energy catalog`: load the demo catalog or import a real one.

Exit status 0 when something was loaded, even if some entries were rejected (each one is
listed on stderr with its reason); 2, with nothing written, when the file is missing,
unreadable or malformed, or when every entry in it was rejected.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.errors import UsageError
from bot.runtime import open_runtime
from marketplace.catalog import CatalogLoadReport, load_catalog, load_demo_catalog
from marketplace.catalog_files import (
    CatalogFileError,
    SupplierRecord,
    printable,
    read_catalog_file,
)
from marketplace.settings import Settings

EXIT_LOADED = 0
EXIT_NOTHING_LOADED = 2


def register(commands: Any) -> None:
    """Add the `catalog demo` and `catalog load FILE` subcommands."""
    parser = commands.add_parser("catalog", help="suppliers and offers")
    actions = parser.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    demo = actions.add_parser("demo", help="load the bundled demo catalog (fictional)")
    demo.set_defaults(handler=run_demo)
    load = actions.add_parser("load", help="import suppliers and offers from JSON or CSV")
    load.add_argument("file", help="a .json or .csv catalog file (docs/catalog.md)")
    load.set_defaults(handler=run_load)


def run_demo(arguments: argparse.Namespace, settings: Settings) -> int:
    """Load the demo catalog (again: an empty embedded database already got it on opening)."""
    runtime = open_runtime(settings)
    try:
        with runtime.sessions.begin() as session:
            report = load_demo_catalog(session, clock=runtime.clock)
    finally:
        runtime.close()

    _print_report("demo catalog", report)
    return EXIT_LOADED


def run_load(arguments: argparse.Namespace, settings: Settings) -> int:
    """Import a catalog file, committing only when at least one entry was loaded."""
    path = Path(arguments.file)
    try:
        records = read_catalog_file(path)
    except CatalogFileError as error:
        raise UsageError(f"catalog load: {error}") from error
    if not records:
        raise UsageError(f"catalog load: {printable(path.name)} lists no suppliers")

    runtime = open_runtime(settings)
    try:
        with runtime.sessions() as session, _progress_bar(records) as bar:
            report = load_catalog(session, records, progress=bar.update, clock=runtime.clock)
            loaded = _loaded_anything(records, report)
            if loaded:
                session.commit()
    finally:
        runtime.close()

    source = printable(path.name)
    _print_report(source, report, written=loaded)
    if not loaded:
        print(f"connect-energy: catalog load: nothing loaded from {source}", file=sys.stderr)
        return EXIT_NOTHING_LOADED
    return EXIT_LOADED


def _progress_bar(records: Sequence[SupplierRecord]) -> tqdm[Any]:
    # Only a person watching a terminal wants a bar; logs and pipes get the summary alone.
    return tqdm(
        total=sum(len(record.offers) for record in records),
        unit="offer",
        desc="loading",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
    )


def _loaded_anything(records: Sequence[SupplierRecord], report: CatalogLoadReport) -> bool:
    # A file of offers counts as loaded when one of its offers is; a supplier accepted with
    # every one of its offers rejected is not a useful import.
    if any(record.offers for record in records):
        return report.accepted_offers > 0
    return report.accepted_suppliers > 0


def _print_report(source: str, report: CatalogLoadReport, *, written: bool = True) -> None:
    # The counts say what the load did in its transaction; rolled back, it did nothing.
    summary = (
        report.summary() if written else f"nothing was written; {len(report.rejections)} rejected"
    )
    print(f"{source}: {summary}")
    for rejection in report.rejections:
        print(f"rejected {rejection.location}: {rejection.reason}", file=sys.stderr)
