"""`connect-energy offers`: the ranked offers the bot would show."""

from __future__ import annotations

import argparse
import json
import logging
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.errors import UsageError
from bot.offers_report import offers_json, offers_table
from bot.runtime import open_runtime
from marketplace.bills import BillAmount, BillError, BillTooSmall
from marketplace.clock import Clock
from marketplace.geography import (
    DistributorChoiceError,
    GeographyError,
    find_distributor,
    state_for_cep,
)
from marketplace.money import InvalidMoney, format_plain, parse_brl
from marketplace.search import MAX_PAGE_SIZE, OfferSearchResult, search_offers
from marketplace.settings import Settings

logger = logging.getLogger(__name__)


def register(commands: Any) -> None:
    """Add the `offers` subcommand."""
    parser = commands.add_parser("offers", help="rank the offers for a CEP and a monthly bill")
    parser.add_argument("--cep", required=True, help="the consumer's CEP, e.g. 01310-100")
    parser.add_argument("--bill", required=True, help='the monthly bill in R$, e.g. "R$ 350,00"')
    parser.add_argument("--distributor", help="ANEEL sigla or name, when the state has several")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace, settings: Settings) -> int:
    """Print the ranked offers for the CEP and bill given."""
    bill = read_bill(arguments.bill)
    runtime = open_runtime(settings)
    try:
        with runtime.sessions() as session:
            result = find_offers(
                session, arguments.cep, bill, arguments.distributor, runtime.clock
            )
    finally:
        runtime.close()

    if arguments.json:
        print(json.dumps(offers_json(result), ensure_ascii=False, indent=2))
    else:
        print(offers_table(result))
    return 0


def read_bill(text: str) -> Decimal:
    """The bill given with `--bill`.

    Raises:
        UsageError: when it is not an amount in reais.
    """
    try:
        return parse_brl(text)
    except InvalidMoney as error:
        logger.info("rejected --bill: %s", error)
        raise UsageError(f"--bill: {error}") from error


def find_offers(
    session: Session, cep: str, bill: Decimal, distributor: str | None, clock: Clock
) -> OfferSearchResult:
    """Locate the consumer, settle their distributor and rank every offer open to them.

    Raises:
        UsageError: for a CEP, distributor or bill that cannot be used, saying why.
    """
    try:
        uf = state_for_cep(session, cep)
        found = find_distributor(session, uf, distributor)
    except DistributorChoiceError as error:
        logger.info("distributor not settled in %s: %s", error.uf, error)
        raise UsageError(_with_candidates(error)) from error
    except GeographyError as error:
        logger.info("rejected location: %s", error)
        raise UsageError(f"--cep: {error}") from error

    try:
        return search_offers(
            session,
            distributor_id=found.id,
            uf=uf,
            consumption=BillAmount(bill),
            clock=clock,
            page_size=MAX_PAGE_SIZE,
        )
    except BillTooSmall as error:
        logger.info("rejected --bill: %s", error)
        raise UsageError(
            f"--bill: R$ {format_plain(error.bill_brl)} is less than the minimum bill at "
            f"{found.sigla}, about R$ {format_plain(error.minimum_brl)} (street lighting "
            f"R$ {format_plain(error.cip_brl)} plus the minimum charge of {error.minimum_kwh} kWh)"
        ) from error
    except BillError as error:
        logger.info("rejected --bill: %s", error)
        raise UsageError(f"--bill: {error}") from error


def _with_candidates(error: DistributorChoiceError) -> str:
    lines = [f"{error}: name the one on the bill with --distributor, one of:"]
    width = max((len(candidate.sigla) for candidate in error.candidates), default=0)
    lines += [f"  {c.sigla:<{width}}  {c.name}" for c in error.candidates]
    return "\n".join(lines)
