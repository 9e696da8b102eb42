"""The bundled ANEEL reference data, as loaded by `db upgrade`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.models import CepRange, Distributor, FlagMonth, Tariff
from marketplace.schema import upgrade_database


def test_enel_ce_tariff_keeps_its_act_and_window(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        tariff = session.scalars(
            select(Tariff).join(Distributor).where(Distributor.sigla == "ENEL CE")
        ).one()

    assert tariff.act == "REH 3.324/2026"
    assert tariff.te_rs_mwh == Decimal("213.26")
    assert tariff.tusd_rs_mwh == Decimal("488.49")
    assert tariff.valid_from == date(2026, 8, 26)
    assert tariff.valid_until == date(2027, 4, 21)


def test_upgrade_twice_changes_nothing(engine: Engine, sessions: sessionmaker[Session]) -> None:
    def counts() -> tuple[int, ...]:
        with sessions() as session:
            return tuple(
                session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Distributor, Tariff, FlagMonth, CepRange)
            )

    before = counts()
    upgrade_database(engine)
    upgrade_database(engine)

    assert counts() == before == (123, 81, 141, 31)


def test_upgrade_repairs_an_edited_tariff(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        tariff = session.scalars(select(Tariff).order_by(Tariff.id)).first()
        assert tariff is not None
        original, tariff_id = tariff.te_rs_mwh, tariff.id
        tariff.te_rs_mwh = Decimal("1.00")

    upgrade_database(engine)

    with sessions() as session:
        repaired = session.get(Tariff, tariff_id)
        assert repaired is not None
        assert repaired.te_rs_mwh == original
