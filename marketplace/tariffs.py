"""The tariff a distributor charges on a date, and the tariff flag (bandeira) of a month."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.clock import Clock, today_in_brazil
from marketplace.geography import DistributorRef
from marketplace.models import FlagMonth, Tariff

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
    tariffs = session.scalars(
        select(Tariff).where(Tariff.distributor_id == distributor_id).order_by(Tariff.valid_from)
    ).all()
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
    published = session.scalars(
        select(FlagMonth).where(FlagMonth.month <= month).order_by(FlagMonth.month.desc())
    ).first()
    if published is None:
        return FlagInUse(month=month, flag=NO_FLAG, rs_mwh=Decimal("0"), published_month=None)
    return FlagInUse(
        month=month,
        flag=published.flag,
        rs_mwh=published.additional_rs_mwh,
        published_month=published.month,
    )


def month_of(day: date) -> str:
    """`date(2026, 10, 15)` → `"2026-10"`."""
    return f"{day.year:04d}-{day.month:02d}"


def _covers(tariff: Tariff, day: date) -> bool:
    return tariff.valid_from <= day and (tariff.valid_until is None or day <= tariff.valid_until)
