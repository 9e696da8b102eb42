"""Load or refresh the bundled ANEEL reference data, idempotently."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace.models import (
    CepRange,
    Distributor,
    DistributorState,
    FlagMonth,
    FlagRate,
    State,
    Tariff,
)
from marketplace.reference_cache import clear_reference_caches

logger = logging.getLogger(__name__)

TARIFFS_FILE = "aneel_tarifa_b1_vigente_por_distribuidora.csv"
DISTRIBUTORS_FILE = "aneel_distribuidoras_cadastro.csv"
FLAG_MONTHS_FILE = "aneel_bandeiras_historico_mensal.csv"
FLAG_RATES_FILE = "aneel_bandeiras_adicional_por_resolucao.csv"
CEP_RANGES_FILE = "cep_faixas_por_uf.csv"


@dataclass(frozen=True)
class ReferenceDataReport:
    """How many rows of each kind the bundled files hold after a refresh."""

    states: int
    cep_ranges: int
    distributors: int
    tariffs: int
    flag_months: int
    flag_rates: int


def read_rows(file_name: str) -> Iterator[dict[str, str]]:
    """Yield the rows of one bundled `;`-separated CSV file."""
    text = resources.files("marketplace.data").joinpath(file_name).read_text(encoding="utf-8")
    yield from csv.DictReader(text.splitlines(), delimiter=";")


def load_reference_data(session: Session) -> ReferenceDataReport:
    """Insert or update every reference row from the bundled files (safe to repeat)."""
    states = _load_states_and_ranges(session)
    distributors = _load_distributors(session)
    tariffs = _load_tariffs(session, distributors)
    flag_months = _load_flag_months(session)
    flag_rates = _load_flag_rates(session)
    report = ReferenceDataReport(
        states=len(states),
        cep_ranges=session.query(CepRange).count(),
        distributors=len(distributors),
        tariffs=tariffs,
        flag_months=flag_months,
        flag_rates=flag_rates,
    )
    logger.info("reference data refreshed: %s", report)
    # Readers in this transaction see the new rows at once; upgrade_database clears again
    # after the commit, for readers whose transactions began in between.
    clear_reference_caches()
    return report


def _upsert(session: Session, existing: Any | None, model: type[Any], **values: Any) -> Any:
    if existing is None:
        row = model(**values)
        session.add(row)
        return row
    for field, value in values.items():
        if getattr(existing, field) != value:
            setattr(existing, field, value)
    return existing


def _load_states_and_ranges(session: Session) -> dict[str, State]:
    rows = list(read_rows(CEP_RANGES_FILE))
    states = {state.uf: state for state in session.scalars(select(State))}
    for row in rows:
        states[row["uf"]] = _upsert(
            session, states.get(row["uf"]), State, uf=row["uf"], name=row["nome_uf"]
        )
    session.flush()

    ranges = {cep_range.cep_start: cep_range for cep_range in session.scalars(select(CepRange))}
    wanted = set()
    for row in rows:
        start, end = _cep_number(row["cep_inicio"]), _cep_number(row["cep_fim"])
        wanted.add(start)
        _upsert(
            session,
            ranges.get(start),
            CepRange,
            uf=row["uf"],
            cep_start=start,
            cep_end=end,
            status=row["situacao"],
        )
    for start, stale in ranges.items():
        if start not in wanted:
            session.delete(stale)
    session.flush()
    return states


def _load_distributors(session: Session) -> dict[str, Distributor]:
    known = {row.cnpj: row for row in session.scalars(select(Distributor))}
    for row in read_rows(DISTRIBUTORS_FILE):
        units = row["ucs"]
        distributor = _upsert(
            session,
            known.get(row["cnpj"]),
            Distributor,
            cnpj=row["cnpj"],
            sigla=row["sigla"],
            name=row["nome"],
            active=row["ativa"] == "1",
            consumer_units=int(float(units)) if units else None,
        )
        known[row["cnpj"]] = distributor
        session.flush()
        ufs = {uf for uf in row["ufs"].split("|") if uf}
        current = {link.uf for link in distributor.states}
        if current != ufs:
            session.execute(
                delete(DistributorState).where(DistributorState.distributor_id == distributor.id)
            )
            session.add_all(DistributorState(distributor_id=distributor.id, uf=uf) for uf in ufs)
    session.flush()
    return known


def _load_tariffs(session: Session, distributors: dict[str, Distributor]) -> int:
    known = {(row.distributor_id, row.valid_from): row for row in session.scalars(select(Tariff))}
    count = 0
    for row in read_rows(TARIFFS_FILE):
        distributor = distributors[row["cnpj"]]
        valid_from = date.fromisoformat(row["inicio_vigencia"])
        _upsert(
            session,
            known.get((distributor.id, valid_from)),
            Tariff,
            distributor_id=distributor.id,
            act=row["ato"],
            valid_from=valid_from,
            valid_until=date.fromisoformat(row["fim_vigencia"]) if row["fim_vigencia"] else None,
            te_rs_mwh=Decimal(row["te_rs_mwh"]),
            tusd_rs_mwh=Decimal(row["tusd_rs_mwh"]),
        )
        count += 1
    session.flush()
    return count


def _load_flag_months(session: Session) -> int:
    known = {row.month: row for row in session.scalars(select(FlagMonth))}
    count = 0
    for row in read_rows(FLAG_MONTHS_FILE):
        _upsert(
            session,
            known.get(row["mes"]),
            FlagMonth,
            month=row["mes"],
            flag=row["bandeira"],
            additional_rs_mwh=Decimal(row["adicional_rs_mwh"]),
        )
        count += 1
    session.flush()
    return count


def _load_flag_rates(session: Session) -> int:
    known = {(row.act, row.level): row for row in session.scalars(select(FlagRate))}
    count = 0
    for row in read_rows(FLAG_RATES_FILE):
        act = row["ato"].replace("nº ", "")
        _upsert(
            session,
            known.get((act, row["patamar"])),
            FlagRate,
            act=act,
            level=row["patamar"],
            valid_from=date.fromisoformat(row["vigencia_inicio"]),
            valid_until=date.fromisoformat(row["vigencia_fim"]) if row["vigencia_fim"] else None,
            rs_mwh=Decimal(row["rs_mwh"]),
        )
        count += 1
    session.flush()
    return count


def _cep_number(text: str) -> int:
    return int(text.replace("-", ""))
