"""`connect-energy offers`: the ranked offers the bot would show."""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from sqlalchemy.orm import Session

from bot.errors import UsageError
from bot.offers_report import offers_json, offers_table
from bot.runtime import open_runtime
from conversations.amounts import AmountError, AmountUnit, ceiling_of, read_amount
from marketplace.bills import BillAmount, BillError, BillTooSmall, Consumption, MonthlyKwh
from marketplace.clock import Clock
from marketplace.geography import (
    DistributorChoiceError,
    GeographyError,
    find_distributor,
    known_as,
    state_for_cep,
)
from marketplace.money import format_plain
from marketplace.search import MAX_PAGE_SIZE, OfferSearchResult, search_offers
from marketplace.settings import Settings

logger = logging.getLogger(__name__)


def register(commands: Any) -> None:
    """Add the `offers` subcommand."""
    parser = commands.add_parser("offers", help="rank the offers for a CEP and a monthly bill")
    parser.add_argument("--cep", required=True, help="the consumer's CEP, e.g. 01310-100")
    parser.add_argument(
        "--bill",
        required=True,
        help=(
            'the monthly bill in R$ as the chat reads it ("350", "R$ 1.234,56", "uns 300", '
            '"350 reais"), or the consumption in kWh ("250 kWh"), in which case '
            "current_bill_brl is the bill estimated for it"
        ),
    )
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


def read_bill(text: str) -> Consumption:
    """The bill (or the consumption in kWh) given with `--bill`, read as the chat reads it.

    Raises:
        UsageError: when it is not one amount a home could pay or use in a month.
    """
    try:
        amount = read_amount(text)
    except AmountError as error:
        logger.info("rejected --bill: %s", error)
        raise UsageError(
            f'--bill: {error}; write the amount alone, e.g. "350", "R$ 1.234,56" or "250 kWh"'
        ) from error
    if amount.value == 0:
        raise UsageError("--bill: the amount must be more than zero")
    if amount.value > ceiling_of(amount.unit):
        unit = "kWh" if amount.unit is AmountUnit.KWH else "R$"
        raise UsageError(f"--bill: more than a home can use or pay in a month ({unit})")
    if amount.unit is AmountUnit.KWH:
        return MonthlyKwh(amount.value)
    return BillAmount(amount.value)


def find_offers(
    session: Session, cep: str, bill: Consumption, distributor: str | None, clock: Clock
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
            consumption=bill,
            clock=clock,
            page_size=MAX_PAGE_SIZE,
        )
    except BillTooSmall as error:
        logger.info("rejected --bill: %s", error)
        raise UsageError(
            f"--bill: R$ {format_plain(error.bill_brl)} is less than the minimum bill at "
            f"{known_as(found)}, about R$ {format_plain(error.minimum_brl)} (street lighting "
            f"R$ {format_plain(error.cip_brl)} plus the minimum charge of {error.minimum_kwh} kWh)"
        ) from error
    except BillError as error:
        logger.info("rejected --bill: %s", error)
        raise UsageError(f"--bill: {error}") from error


def _with_candidates(error: DistributorChoiceError) -> str:
    lines = [f"{error}: name the one on the bill with --distributor, one of:"]
    width = max((len(known_as(candidate)) for candidate in error.candidates), default=0)
    lines += [f"  {known_as(c):<{width}}  {c.name}" for c in error.candidates]
    return "\n".join(lines)
