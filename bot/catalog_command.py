"""`connect-energy catalog`: load the demo catalog or import a real one."""

from __future__ import annotations

import argparse
from typing import Any

from bot.errors import UsageError
from marketplace.settings import Settings


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
    """Load the demo catalog."""
    raise UsageError("catalog demo: not written yet")


def run_load(arguments: argparse.Namespace, settings: Settings) -> int:
    """Import a catalog file."""
    raise UsageError("catalog load: not written yet")
