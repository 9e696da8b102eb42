"""The tariff in force on a date, the latest known one, and the flag of a month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import FixedClock
from marketplace.geography import find_distributor
from marketplace.models import Tariff
from marketplace.tariffs import (
    NO_FLAG,
    NoTariff,
    current_price_basis,
    flag_for_month,
    tariff_on,
)
from tests.marketplace.factories import distributor_id


def test_tariff_in_force_on_the_day(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        tariff = tariff_on(session, distributor_id(session, "ENEL CE"), date(2026, 10, 15))

    assert tariff.in_force
    assert tariff.act == "REH 3.324/2026"
    assert tariff.total_rs_mwh == Decimal("701.75")


def test_expired_tariff_is_used_as_the_latest_known(sessions: sessionmaker[Session]) -> None:
    # EQUATORIAL GO's REH 3.544/2025 ran until 2026-10-21 and nothing newer is bundled.
    with sessions() as session:
        tariff = tariff_on(session, distributor_id(session, "EQUATORIAL GO"), date(2026, 11, 10))

    assert not tariff.in_force
    assert tariff.act == "REH 3.544/2025"
    assert tariff.valid_until == date(2026, 10, 21)
    assert tariff.on == date(2026, 11, 10)


def test_newer_tariff_takes_over_on_its_first_day(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        enel_ce = distributor_id(session, "ENEL CE")
        session.add(
            Tariff(
                distributor_id=enel_ce,
                act="REH 9.999/2027",
                valid_from=date(2027, 4, 22),
                valid_until=None,
                te_rs_mwh=Decimal("220.00"),
                tusd_rs_mwh=Decimal("500.00"),
            )
        )

    try:
        with sessions() as session:
            last_day = tariff_on(session, enel_ce, date(2027, 4, 21))
            first_day = tariff_on(session, enel_ce, date(2027, 4, 22))
    finally:
        # Reference tables outlive a test on PostgreSQL (only product tables are emptied).
        with sessions.begin() as session:
            session.execute(delete(Tariff).where(Tariff.act == "REH 9.999/2027"))

    assert (last_day.act, last_day.in_force) == ("REH 3.324/2026", True)
    assert (first_day.act, first_day.in_force) == ("REH 9.999/2027", True)


def test_before_any_known_tariff_the_first_one_stands_in(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        tariff = tariff_on(session, distributor_id(session, "ENEL CE"), date(2026, 1, 1))

    assert not tariff.in_force
    assert tariff.act == "REH 3.324/2026"


def test_distributor_without_any_tariff_says_so(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(NoTariff):
        tariff_on(session, distributor_id(session, "CEDRI"), date(2026, 10, 15))


@pytest.mark.parametrize(
    ("month", "flag", "rs_mwh"),
    [
        ("2025-08", "Vermelha P2", "78.77"),
        ("2026-06", "Amarela", "18.85"),
        ("2026-01", "Verde", "0"),
    ],
)
def test_published_flag_of_a_month(
    sessions: sessionmaker[Session], month: str, flag: str, rs_mwh: str
) -> None:
    with sessions() as session:
        found = flag_for_month(session, month)

    assert (found.flag, found.rs_mwh, found.assumed) == (flag, Decimal(rs_mwh), False)


def test_unpublished_month_takes_the_latest_published_flag(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        found = flag_for_month(session, "2027-02")

    assert found.assumed
    assert (found.month, found.published_month) == ("2027-02", "2026-09")
    assert (found.flag, found.rs_mwh) == ("Amarela", Decimal("18.85"))


def test_months_before_flags_existed_have_none(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        found = flag_for_month(session, "2014-12")

    assert (found.flag, found.rs_mwh, found.published_month) == (NO_FLAG, Decimal(0), None)


def test_price_basis_follows_the_date_in_brazil(sessions: sessionmaker[Session]) -> None:
    # 02:00 UTC on 1 Sep 2026 is still 31 Aug in São Paulo (UTC-3): August's flag applies.
    clock = FixedClock(datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    with sessions() as session:
        enel_ce = find_distributor(session, "CE", None)
        basis = current_price_basis(session, enel_ce, clock)

    assert basis.flag.month == "2026-08"
    assert basis.tariff.on == date(2026, 8, 31)
    assert basis.rate_rs_mwh == Decimal("701.75") + Decimal("18.85")
