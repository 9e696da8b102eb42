"""The tariff a distributor charges on a date, and the tariff flag (bandeira) of a month."""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.clock import Clock, today_in_brazil
from marketplace.geography import DistributorRef
from marketplace.models import FlagMonth, Tariff
from marketplace.reference_cache import ReferenceCache

logger = logging.getLogger(__name__)

NO_FLAG = "Sem bandeira"  # months before ANEEL started flags (2015-01)


class NoTariff(LookupError):
    """The distributor has no B1 tariff in the reference data at all."""

    def __init__(self, distributor_id: int) -> None:
        super().__init__(f"distributor {distributor_id} has no known B1 tariff")
        self.distributor_id = distributor_id


@dataclass(frozen=True)
class TariffInUse:
    """The B1 residential tariff used for a date, with the ANEEL act that set it.

    `in_force` is False when no tariff covers `on`; this is then the latest one known.
    """

    act: str
    valid_from: date
    valid_until: date | None
    te_rs_mwh: Decimal
    tusd_rs_mwh: Decimal
    on: date
    in_force: bool

    @property
    def total_rs_mwh(self) -> Decimal:
        """TE plus TUSD, in R$/MWh."""
        return self.te_rs_mwh + self.tusd_rs_mwh


@dataclass(frozen=True)
class FlagInUse:
    """The flag applied to a bill's month, and which month of the bundled history it came from.

    `published_month` differs from `month` when the bundled ANEEL history ends before `month`
    and the flag of its last month is assumed instead; it is None before flags existed.
    """

    month: str
    flag: str
    rs_mwh: Decimal
    published_month: str | None

    @property
    def assumed(self) -> bool:
        """Whether the flag is assumed from an earlier month rather than `month`'s own."""
        return self.published_month != self.month


@dataclass(frozen=True)
class PriceBasis:
    """What each kWh costs a B1 consumer of one distributor in one month, before taxes."""

    distributor: DistributorRef
    tariff: TariffInUse
    flag: FlagInUse

    @property
    def rate_rs_mwh(self) -> Decimal:
        """TE plus TUSD plus the flag surcharge, in R$/MWh."""
        return self.tariff.total_rs_mwh + self.flag.rs_mwh


def current_price_basis(session: Session, distributor: DistributorRef, clock: Clock) -> PriceBasis:
    """The tariff and flag that apply today in Brazil to the distributor's consumers.

    Raises:
        NoTariff: when the distributor has no tariff at all.
    """
    today = today_in_brazil(clock)
    return PriceBasis(
        distributor=distributor,
        tariff=tariff_on(session, distributor.id, today),
        flag=flag_for_month(session, month_of(today)),
    )


def tariff_on(session: Session, distributor_id: int, on: date) -> TariffInUse:
    """The tariff in force for a distributor on a date, or else the latest known one.

    With no tariff in force, the latest that started on or before `on` is used; failing
    that (every known tariff starts later), the earliest one to come.

    Raises:
        NoTariff: when the distributor has no tariff at all.
    """
    by_distributor = _tariffs.get(session)
    tariffs = by_distributor.get(distributor_id, ())
    if not tariffs:
        raise NoTariff(distributor_id)

    started = [tariff for tariff in tariffs if tariff.valid_from <= on]
    chosen = started[-1] if started else tariffs[0]
    in_force = _covers(chosen, on)
    if not in_force:
        logger.info(
            "no tariff in force for distributor %s on %s, using %s", distributor_id, on, chosen.act
        )
    return TariffInUse(
        act=chosen.act,
        valid_from=chosen.valid_from,
        valid_until=chosen.valid_until,
        te_rs_mwh=chosen.te_rs_mwh,
        tusd_rs_mwh=chosen.tusd_rs_mwh,
        on=on,
        in_force=in_force,
    )


def flag_for_month(session: Session, month: str) -> FlagInUse:
    """The flag of a month ("YYYY-MM"); past the end of the bundled history, its last month's.

    The ANEEL history bundled with the product ends at the month it was last refreshed;
    for a later month, the flag of that last month is the best guess and the result says so.
    """
    published = _flags.get(session)  # oldest first: the last one up to `month` applies
    latest = bisect.bisect_right(published, month, key=lambda flag: flag.month)
    if latest == 0:
        return FlagInUse(month=month, flag=NO_FLAG, rs_mwh=Decimal("0"), published_month=None)
    return FlagInUse(
        month=month,
        flag=published[latest - 1].flag,
        rs_mwh=published[latest - 1].rs_mwh,
        published_month=published[latest - 1].published_month,
    )


def month_of(day: date) -> str:
    """`date(2026, 10, 15)` → `"2026-10"`."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class _KnownTariff:
    act: str
    valid_from: date
    valid_until: date | None
    te_rs_mwh: Decimal
    tusd_rs_mwh: Decimal


def _covers(tariff: _KnownTariff, day: date) -> bool:
    return tariff.valid_from <= day and (tariff.valid_until is None or day <= tariff.valid_until)


def _read_tariffs(session: Session) -> dict[int, tuple[_KnownTariff, ...]]:
    """Every distributor's tariffs, oldest first (kept by marketplace.reference_cache)."""
    by_distributor: dict[int, list[_KnownTariff]] = {}
    rows = session.connection().execute(
        select(Tariff).order_by(Tariff.distributor_id, Tariff.valid_from, Tariff.id)
    )
    for row in rows:
        by_distributor.setdefault(row.distributor_id, []).append(
            _KnownTariff(row.act, row.valid_from, row.valid_until, row.te_rs_mwh, row.tusd_rs_mwh)
        )
    return {key: tuple(tariffs) for key, tariffs in by_distributor.items()}


def _read_flags(session: Session) -> tuple[FlagInUse, ...]:
    """Every published month's flag, oldest first, each as its own month's flag."""
    rows = session.connection().execute(select(FlagMonth).order_by(FlagMonth.month))
    return tuple(
        FlagInUse(
            month=row.month, flag=row.flag, rs_mwh=row.additional_rs_mwh, published_month=row.month
        )
        for row in rows
    )


_tariffs = ReferenceCache(_read_tariffs)
_flags = ReferenceCache(_read_flags)
