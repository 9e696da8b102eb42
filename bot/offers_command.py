"""`connect-energy offers`: the ranked offers the bot would show."""

from __future__ import annotations

import argparse
from typing import Any

from bot.errors import UsageError
from marketplace.settings import Settings


def register(commands: Any) -> None:
    """Add the `offers` subcommand."""
    parser = commands.add_parser("offers", help="rank the offers for a CEP and a monthly bill")
    parser.add_argument("--cep", required=True, help="the consumer's CEP, e.g. 01310-100")
    parser.add_argument("--bill", required=True, help='the monthly bill in R$, e.g. "R$ 350,00"')
    parser.add_argument("--distributor", help="ANEEL sigla or name, when the state has several")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace, settings: Settings) -> int:
    """Print the ranked offers."""
    raise UsageError("offers: not written yet")
