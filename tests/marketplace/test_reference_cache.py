"""Reference data read once per process, database and day; catalog reads once per transaction."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from marketplace.bills import BillAmount
from marketplace.clock import FixedClock
from marketplace.db import make_engine, make_session_factory
from marketplace.geography import distributors_serving
from marketplace.models import Offer, Tariff
from marketplace.offer_terms import load_offer_terms
from marketplace.reference_cache import ReferenceCache, clear_reference_caches
from marketplace.schema import upgrade_database
from marketplace.search import search_offers
from marketplace.tariffs import tariff_on
from tests.marketplace.factories import add_offer, add_supplier, distributor_id

ENEL_CE_TE = Decimal("213.26")  # REH 3.324/2026, as bundled
OCTOBER = date(2026, 10, 15)


def set_enel_ce_te(sessions: sessionmaker[Session], te: Decimal) -> None:
    """Change ENEL CE's bundled tariff behind the cache's back, as another process could."""
    with sessions.begin() as session:
        enel_ce = distributor_id(session, "ENEL CE")
        session.execute(
            update(Tariff).where(Tariff.distributor_id == enel_ce).values(te_rs_mwh=te)
        )


def enel_ce_te(sessions: sessionmaker[Session]) -> Decimal:
    with sessions() as session:
        return tariff_on(session, distributor_id(session, "ENEL CE"), OCTOBER).te_rs_mwh


def test_a_process_keeps_the_tariffs_it_read(sessions: sessionmaker[Session]) -> None:
    read_first = enel_ce_te(sessions)
    try:
        set_enel_ce_te(sessions, Decimal("1.00"))

        assert enel_ce_te(sessions) == read_first == ENEL_CE_TE
    finally:
        set_enel_ce_te(sessions, ENEL_CE_TE)


def test_a_refreshed_tariff_is_seen_after_db_upgrade(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    set_enel_ce_te(sessions, Decimal("1.00"))  # what an older release had loaded
    assert enel_ce_te(sessions) == Decimal("1.00")

    upgrade_database(engine)  # loads the bundled files again, as `db upgrade` does

    assert enel_ce_te(sessions) == ENEL_CE_TE


def test_a_tariff_changed_elsewhere_is_seen_once_the_cache_is_cleared(
    sessions: sessionmaker[Session],
) -> None:
    enel_ce_te(sessions)
    try:
        set_enel_ce_te(sessions, Decimal("1.00"))
        clear_reference_caches()  # what a new process starts with

        assert enel_ce_te(sessions) == Decimal("1.00")
    finally:
        set_enel_ce_te(sessions, ENEL_CE_TE)


def test_the_cache_reads_again_after_midnight_in_brazil(sessions: sessionmaker[Session]) -> None:
    # 2026-10-15 23:59:00 in São Paulo (UTC-3), then a minute and a second later.
    moments = iter([1792119540.0, 1792119540.0, 1792119601.0])
    reads: list[Session] = []

    def read(session: Session) -> int:
        reads.append(session)
        return len(reads)

    cache = ReferenceCache(read, now=lambda: next(moments))

    with sessions() as session:
        first, same_day, next_day = cache.get(session), cache.get(session), cache.get(session)

    assert (first, same_day, next_day) == (1, 1, 2)


def test_each_database_has_its_own_reference_data(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a second database is a copied SQLite file")
    copy = tmp_path / "other.db"
    shutil.copyfile(database_url.removeprefix("sqlite:///"), copy)
    other_engine = make_engine(f"sqlite:///{copy}")
    other = make_session_factory(other_engine)
    set_enel_ce_te(other, Decimal("1.00"))

    try:
        assert (enel_ce_te(sessions), enel_ce_te(other)) == (ENEL_CE_TE, Decimal("1.00"))
    finally:
        other_engine.dispose()


def test_distributors_come_largest_first_from_the_cache(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        first_read = distributors_serving(session, "SP")
        second_read = distributors_serving(session, "SP")

    assert first_read == second_read
    assert first_read[0].sigla == "ELETROPAULO"


def test_the_next_transaction_sees_a_withdrawn_offer(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        offer = add_offer(session, add_supplier(session, "Primeira"), "first").id

    with sessions() as session:
        assert load_offer_terms(session, offer) is not None
        session.commit()
        withdraw(sessions, offer)

        assert load_offer_terms(session, offer) is None


def test_a_transaction_keeps_the_offer_terms_it_read(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers, so no offer changes during a transaction")
    with sessions.begin() as session:
        offer = add_offer(session, add_supplier(session, "Primeira"), "first").id

    with sessions() as session:
        assert load_offer_terms(session, offer) is not None
        withdraw(sessions, offer)

        assert load_offer_terms(session, offer) is not None  # as when the batch began


def test_an_offer_added_is_ranked_by_the_next_transaction(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    def ranked(session: Session) -> int:
        found = search_offers(
            session,
            distributor_id=distributor_id(session, "ENEL CE"),
            uf="CE",
            consumption=BillAmount(Decimal("350")),
            clock=clock,
        )
        return found.total

    with sessions() as session:
        before = ranked(session)
        session.commit()
        with sessions.begin() as other:
            add_offer(other, add_supplier(other, "Nova"), "new")

        assert ranked(session) == before + 1


def withdraw(sessions: sessionmaker[Session], offer: int) -> None:
    """Withdraw an offer in a transaction of its own."""
    with sessions.begin() as session:
        session.execute(update(Offer).where(Offer.id == offer).values(active=False))
