"""Loading catalogs into the database: upserts, idempotence and rejections with reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.catalog import CatalogLoadReport, load_catalog
from marketplace.catalog_files import read_catalog_bytes
from marketplace.catalog_references import CatalogReferences, RejectedReference
from marketplace.clock import FixedClock
from marketplace.models import Distributor, Offer, Supplier
from tests.support.catalog_samples import (
    ALPHANUMERIC_CNPJ,
    NUMERIC_CNPJ,
    csv_catalog,
    json_catalog,
    solar_fields,
    subscription_fields,
    supplier_fields,
)


def load_json(
    sessions: sessionmaker[Session], *suppliers: dict[str, Any], clock: FixedClock | None = None
) -> CatalogLoadReport:
    records = read_catalog_bytes(json_catalog(*suppliers).encode(), catalog_format="json")
    with sessions.begin() as session:
        return load_catalog(session, records, clock=clock)


def offer_row(session: Session, code: str) -> Offer:
    return session.scalars(select(Offer).where(Offer.code == code)).one()


def area_siglas(session: Session, offer: Offer) -> set[str]:
    ids = [link.distributor_id for link in offer.distributors]
    return set(session.scalars(select(Distributor.sigla).where(Distributor.id.in_(ids))))


def reasons(report: CatalogLoadReport) -> dict[str, str]:
    return {rejection.location: rejection.reason for rejection in report.rejections}


def test_load_creates_suppliers_offers_and_their_areas(sessions: sessionmaker[Session]) -> None:
    report = load_json(
        sessions,
        supplier_fields(offers=[subscription_fields("A"), solar_fields("B")]),
        supplier_fields(cnpj="12.abc.345/01de-35", name="Solar Alfa", offers=[]),
    )

    assert report.suppliers["created"] == [NUMERIC_CNPJ, ALPHANUMERIC_CNPJ]
    assert report.offers["created"] == [f"{NUMERIC_CNPJ}/A", f"{NUMERIC_CNPJ}/B"]
    assert report.rejections == []
    with sessions() as session:
        subscription, solar = offer_row(session, "A"), offer_row(session, "B")
        assert subscription.discount_pct == Decimal("15.00")
        assert subscription.two_bills is True
        assert (subscription.loyalty_months, subscription.starts_in_days) == (12, 75)
        assert [link.uf for link in subscription.states] == ["CE"]
        assert area_siglas(session, subscription) == {"ENEL CE"}
        assert (solar.price_per_kwp_brl, solar.discount_pct, solar.two_bills) == (
            Decimal("4200.00"),
            None,
            False,
        )
        assert solar.distributors == []


def test_a_second_identical_json_load_changes_nothing(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    catalog = supplier_fields(offers=[subscription_fields("A"), solar_fields("B")])
    load_json(sessions, catalog, clock=clock)
    clock.advance(days=1)

    report = load_json(sessions, catalog, clock=clock)

    assert report.summary() == (
        "suppliers: 0 created, 0 updated, 1 unchanged; "
        "offers: 0 created, 0 updated, 2 unchanged; 0 rejected"
    )
    with sessions() as session:
        assert offer_row(session, "A").updated_at == clock.now() - timedelta(days=1)


def test_a_second_identical_csv_load_changes_nothing(sessions: sessionmaker[Session]) -> None:
    rows = [
        (supplier_fields(), subscription_fields("A", states=["CE"], distributors=["ENEL CE"])),
        (supplier_fields(), solar_fields("B", states=["SP", "RJ"])),
        (supplier_fields(cnpj=ALPHANUMERIC_CNPJ, name="Solar Alfa"), solar_fields("C")),
    ]
    data = csv_catalog(rows).encode()

    reports = []
    for _ in range(2):
        with sessions.begin() as session:
            reports.append(load_catalog(session, read_catalog_bytes(data, catalog_format="csv")))

    assert len(reports[0].offers["created"]) == 3
    assert reports[1].suppliers["unchanged"] == [NUMERIC_CNPJ, ALPHANUMERIC_CNPJ]
    assert len(reports[1].offers["unchanged"]) == 3
    assert (reports[1].accepted_suppliers, reports[1].accepted_offers) == (2, 3)
    assert reports[1].suppliers["created"] == reports[1].suppliers["updated"] == []
    assert reports[1].offers["created"] == reports[1].offers["updated"] == []


def test_a_changed_offer_is_updated_and_its_areas_replaced(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    load_json(sessions, supplier_fields(offers=[subscription_fields("A")]), clock=clock)
    clock.advance(hours=2)
    changed = subscription_fields(
        "A", discount_pct="17.5", states=["RJ", "MG"], distributors=["LIGHT SESA"]
    )

    report = load_json(sessions, supplier_fields(offers=[changed]), clock=clock)

    assert report.offers["updated"] == [f"{NUMERIC_CNPJ}/A"]
    assert report.suppliers["unchanged"] == [NUMERIC_CNPJ]
    with sessions() as session:
        offer = offer_row(session, "A")
        assert offer.discount_pct == Decimal("17.50")
        assert sorted(link.uf for link in offer.states) == ["MG", "RJ"]
        assert area_siglas(session, offer) == {"LIGHT SESA"}
        assert offer.updated_at == clock.now()


def test_a_changed_kind_clears_the_old_price(sessions: sessionmaker[Session]) -> None:
    load_json(sessions, supplier_fields(offers=[subscription_fields("A")]))

    load_json(sessions, supplier_fields(offers=[solar_fields("A", states=["CE"])]))

    with sessions() as session:
        offer = offer_row(session, "A")
        assert (offer.kind, offer.discount_pct) == ("solar", None)
        assert offer.distributors == []


def test_offers_left_out_of_a_load_are_kept(sessions: sessionmaker[Session]) -> None:
    load_json(sessions, supplier_fields(offers=[subscription_fields("A"), solar_fields("B")]))

    report = load_json(sessions, supplier_fields(offers=[solar_fields("B")]))

    assert report.offers["unchanged"] == [f"{NUMERIC_CNPJ}/B"]
    with sessions() as session:
        assert offer_row(session, "A").active is True


def test_a_rating_left_out_keeps_the_current_one(sessions: sessionmaker[Session]) -> None:
    load_json(sessions, supplier_fields(rating="4.2", rating_count=30))
    without_rating = supplier_fields(name="Energia de Teste S.A.")
    del without_rating["rating"], without_rating["rating_count"]

    report = load_json(sessions, without_rating)

    assert report.suppliers["updated"] == [NUMERIC_CNPJ]
    with sessions() as session:
        supplier = session.scalars(select(Supplier)).one()
        assert (supplier.name, supplier.rating, supplier.rating_count) == (
            "Energia de Teste S.A.",
            Decimal("4.2"),
            30,
        )


def test_a_bad_offer_does_not_reject_its_suppliers_good_offers(
    sessions: sessionmaker[Session],
) -> None:
    offers = [
        subscription_fields("GOOD"),
        subscription_fields("NEGATIVE", discount_pct="-10"),
        solar_fields("GOOD-SOLAR"),
    ]

    report = load_json(sessions, supplier_fields(offers=offers))

    assert report.offers["created"] == [f"{NUMERIC_CNPJ}/GOOD", f"{NUMERIC_CNPJ}/GOOD-SOLAR"]
    assert reasons(report) == {
        "suppliers[0].offers[1]": "offer: discount_pct: Input should be greater than 0"
    }


def test_a_bad_supplier_rejects_its_offers(sessions: sessionmaker[Session]) -> None:
    bad = supplier_fields(cnpj="11222333000182", offers=[subscription_fields("A")])
    good = supplier_fields(cnpj=ALPHANUMERIC_CNPJ, offers=[solar_fields("B")])

    report = load_json(sessions, bad, good)

    assert reasons(report) == {
        "suppliers[0]": "supplier: cnpj: the CNPJ check digits do not match; "
        "so its 1 offer(s) were not loaded (suppliers[0].offers[0])"
    }
    assert report.offers["created"] == [f"{ALPHANUMERIC_CNPJ}/B"]
    with sessions() as session:
        assert session.scalars(select(Supplier.cnpj)).all() == [ALPHANUMERIC_CNPJ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"states": ["XX"]}, "offer: unknown state 'XX'"),
        ({"distributors": ["LUZ IMAGINARIA"]}, "offer: unknown distributor 'LUZ IMAGINARIA'"),
        ({"distributors": ["CEB"]}, "offer: distributor 'CEB' is no longer active"),
        ({"distributors": ["CEMIG-D"]}, "offer: distributor 'CEMIG-D' serves MG, not CE"),
        (
            {"states": ["CE", "SP"]},
            "offer: none of the listed distributors serves SP; list one there or drop the state",
        ),
        ({"title": 123}, "offer: title: Input should be a valid string"),
        ({"loyalty_months": "doze"}, "offer: loyalty_months: Input should be a valid integer"),
        ({"states": "CE"}, "offer: states: Input should be a valid list"),
    ],
)
def test_an_offer_is_rejected_with_a_plain_reason(
    sessions: sessionmaker[Session], changes: dict[str, Any], reason: str
) -> None:
    report = load_json(sessions, supplier_fields(offers=[subscription_fields("A", **changes)]))

    assert reasons(report)["suppliers[0].offers[0]"].startswith(reason)
    assert report.offers["created"] == []


def test_a_brazilian_spreadsheet_csv_loads_its_numbers_and_booleans(
    sessions: sessionmaker[Session],
) -> None:
    supplier = supplier_fields(rating="4,5", is_demo="Não")
    offer = subscription_fields(
        discount_pct="12,5", min_bill_brl="1.234,56", sign_directly="sim", active="SIM"
    )
    text = csv_catalog([(supplier, offer)], delimiter=";")

    with sessions.begin() as session:
        report = load_catalog(session, read_catalog_bytes(text.encode(), catalog_format="csv"))

    assert report.rejections == []
    with sessions() as session:
        loaded = offer_row(session, "ASSINA-CE")
        assert (loaded.discount_pct, loaded.min_bill_brl) == (Decimal("12.5"), Decimal("1234.56"))
        assert (loaded.sign_directly, loaded.active) == (True, True)
        assert (loaded.supplier.rating, loaded.supplier.is_demo) == (Decimal("4.5"), False)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sign_directly": "talvez"}, "offer: sign_directly: Input should be a valid boolean"),
        ({"discount_pct": "12,345"}, "offer: discount_pct: Decimal input should have no more"),
    ],
)
def test_a_spreadsheet_value_that_cannot_be_read_is_rejected_with_its_reason(
    sessions: sessionmaker[Session], changes: dict[str, Any], reason: str
) -> None:
    text = csv_catalog([(supplier_fields(), subscription_fields(**changes))], delimiter=";")

    with sessions.begin() as session:
        report = load_catalog(session, read_catalog_bytes(text.encode(), catalog_format="csv"))

    assert reasons(report)["row 2"].startswith(reason)


@pytest.mark.parametrize(
    "reference",
    ["ENEL CE", "enel-ce", "07.047.251/0001-70", "Companhia Energética do Ceará"],
)
def test_a_distributor_is_found_by_sigla_cnpj_or_name(
    sessions: sessionmaker[Session], reference: str
) -> None:
    load_json(sessions, supplier_fields(offers=[subscription_fields(distributors=[reference])]))

    with sessions() as session:
        assert area_siglas(session, offer_row(session, "ASSINA-CE")) == {"ENEL CE"}


def test_a_sigla_shared_by_an_inactive_distributor_resolves_to_the_active_one(
    sessions: sessionmaker[Session],
) -> None:
    offer = subscription_fields(states=["RS"], distributors=["RGE"])

    load_json(sessions, supplier_fields(offers=[offer]))

    with sessions() as session:
        (link,) = offer_row(session, "ASSINA-CE").distributors
        distributor = session.get(Distributor, link.distributor_id)
        assert distributor is not None
        assert (distributor.cnpj, distributor.active) == ("02016440000162", True)


def test_an_ambiguous_distributor_is_rejected(sessions: sessionmaker[Session]) -> None:
    # Reference tables are shared by the whole run on PostgreSQL, so the twin lives only in
    # this copy of the references, never in the database.
    with sessions() as session:
        references = CatalogReferences.read(session)
    enel_ce = next(d for d in references.distributors if d.sigla == "ENEL CE")
    twin = Distributor(id=-1, cnpj="99888777000166", sigla="ENEL CE", name="Gêmea", active=True)
    twin_references = replace(
        references,
        distributors=(*references.distributors, twin),
        states_served={**references.states_served, -1: frozenset({"CE"})},
    )

    with pytest.raises(RejectedReference, match="matches several distributors; give its CNPJ"):
        twin_references.resolve("ENEL CE", {"CE"})
    assert twin_references.resolve(enel_ce.cnpj, {"CE"}) is enel_ce


def test_a_repeated_offer_code_rejects_every_copy(sessions: sessionmaker[Session]) -> None:
    offers = [subscription_fields("A"), solar_fields("A"), solar_fields("B")]

    report = load_json(sessions, supplier_fields(offers=offers))

    assert set(reasons(report)) == {"suppliers[0].offers[0]", "suppliers[0].offers[1]"}
    assert "code 'A' appears more than once" in report.rejections[0].reason
    assert report.offers["created"] == [f"{NUMERIC_CNPJ}/B"]


def test_a_repeated_supplier_rejects_every_copy(sessions: sessionmaker[Session]) -> None:
    report = load_json(
        sessions,
        supplier_fields(offers=[subscription_fields("A")]),
        supplier_fields(cnpj="11.222.333/0001-81", name="Outro nome"),
    )

    assert set(reasons(report)) == {"suppliers[0]", "suppliers[1]"}
    assert "is listed more than once (suppliers[0], suppliers[1])" in report.rejections[0].reason
    assert (report.accepted_suppliers, report.accepted_offers) == (0, 0)


def test_a_supplier_entry_that_is_not_an_object_is_rejected(
    sessions: sessionmaker[Session],
) -> None:
    report = load_json(sessions, "Energia Fantasma", supplier_fields(offers="none"))  # type: ignore[arg-type]

    assert reasons(report) == {
        "suppliers[0]": "a supplier must be a JSON object",
        "suppliers[1]": '"offers" must be a list',
    }


def test_a_csv_row_with_other_supplier_columns_is_rejected(
    sessions: sessionmaker[Session],
) -> None:
    rows = [
        (supplier_fields(), subscription_fields("A")),
        (supplier_fields(name="Nome Diferente"), solar_fields("B")),
    ]
    records = read_catalog_bytes(csv_catalog(rows).encode(), catalog_format="csv")

    with sessions.begin() as session:
        report = load_catalog(session, records)

    assert report.offers["created"] == [f"{NUMERIC_CNPJ}/A"]
    assert reasons(report) == {
        "row 3": f"its supplier columns differ from row 2, the first of CNPJ {NUMERIC_CNPJ}"
    }


def test_progress_counts_every_offer_record(sessions: sessionmaker[Session]) -> None:
    text = json_catalog(
        supplier_fields(offers=[subscription_fields("A"), solar_fields("B")]),
        supplier_fields(cnpj="bad", offers=[solar_fields("C")]),
    )
    steps: list[int] = []

    with sessions.begin() as session:
        load_catalog(session, read_catalog_bytes(text.encode()), progress=steps.append)

    assert steps == [2, 1]
