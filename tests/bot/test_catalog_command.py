"""`connect-energy catalog demo` and `catalog load FILE`, run in-process on the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from marketplace.models import Offer, Supplier
from tests.support.catalog_samples import (
    csv_catalog,
    json_catalog,
    solar_fields,
    subscription_fields,
    supplier_fields,
    write,
)


@pytest.fixture(autouse=True)
def command_environment(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the command at this test's database, away from any developer `.env`."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)


def count(sessions: sessionmaker[Session], model: type[Supplier] | type[Offer]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_loading_a_json_catalog_twice_reports_it_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    catalog = write(
        tmp_path / "offers.json",
        json_catalog(supplier_fields(offers=[subscription_fields("A"), solar_fields("B")])),
    )

    first = main(["catalog", "load", str(catalog)])
    first_output = capsys.readouterr().out
    second = main(["catalog", "load", str(catalog)])
    second_output = capsys.readouterr().out

    assert (first, second) == (0, 0)
    assert "suppliers: 1 created, 0 updated, 0 unchanged" in first_output
    assert "offers: 2 created, 0 updated, 0 unchanged" in first_output
    assert "offers: 0 created, 0 updated, 2 unchanged; 0 rejected" in second_output
    assert count(sessions, Offer) == 2


def test_loading_a_csv_catalog_with_a_bad_row_loads_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    rows = [
        (supplier_fields(), subscription_fields("A")),
        (supplier_fields(), solar_fields("B", states=["ZZ"])),
    ]
    catalog = write(tmp_path / "offers.csv", csv_catalog(rows))

    status = main(["catalog", "load", str(catalog)])

    output = capsys.readouterr()
    assert status == 0
    assert "offers: 1 created, 0 updated, 0 unchanged; 1 rejected" in output.out
    assert "rejected row 3: offer: unknown state 'ZZ'" in output.err
    assert count(sessions, Offer) == 1


def test_a_file_whose_every_offer_is_rejected_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    offers = [subscription_fields("A", discount_pct="150"), solar_fields("B", states=[])]
    catalog = write(tmp_path / "offers.json", json_catalog(supplier_fields(offers=offers)))

    status = main(["catalog", "load", str(catalog)])

    output = capsys.readouterr()
    assert status == 2
    assert output.out == "offers.json: nothing was written; 2 rejected\n"
    assert "rejected suppliers[0].offers[0]: offer: discount_pct:" in output.err
    assert "nothing loaded from offers.json" in output.err
    assert count(sessions, Supplier) == 0


def test_a_rejected_csv_does_not_report_the_supplier_it_did_not_update(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    first = write(tmp_path / "first.csv", csv_catalog([(supplier_fields(), solar_fields())]))
    main(["catalog", "load", str(first)])
    renamed = supplier_fields(name="Outro Nome Energia")
    rejected = write(
        tmp_path / "second.csv", csv_catalog([(renamed, solar_fields("B", states=["ZZ"]))])
    )
    capsys.readouterr()

    status = main(["catalog", "load", str(rejected)])

    assert status == 2
    assert capsys.readouterr().out == "second.csv: nothing was written; 1 rejected\n"
    with sessions() as session:
        assert session.scalars(select(Supplier.name)).all() == ["Energia de Teste Ltda"]


@pytest.mark.parametrize(
    ("name", "content", "complaint"),
    [
        ("missing.json", None, "missing.json does not exist"),
        ("folder.csv", "folder", "is a folder"),
        ("offers.xlsx", b"PK\x03\x04", "ends in .json or .csv"),
        ("junk.json", bytes(range(256)) * 8, "binary data"),
        ("broken.json", b'{"suppliers": [{"cnpj": }]}', "not valid JSON"),
        ("empty.json", b'{"suppliers": []}', "lists no suppliers"),
    ],
)
def test_an_unusable_file_exits_2_with_a_plain_message(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes | str | None,
    complaint: str,
) -> None:
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)

    status = main(["catalog", "load", str(path)])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("connect-energy: catalog load: ")
    assert complaint in error
    assert "Traceback" not in error


def test_the_demo_command_loads_the_demo_catalog_once(
    capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    first = main(["catalog", "demo"])
    second = main(["catalog", "demo"])

    output = capsys.readouterr().out.splitlines()
    assert (first, second) == (0, 0)
    assert output[0].startswith("demo catalog: suppliers: 9 created")
    assert output[1].startswith("demo catalog: suppliers: 0 created, 0 updated, 9 unchanged")
    with sessions() as session:
        assert all(session.scalars(select(Supplier.is_demo)))


def test_a_file_of_suppliers_without_offers_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    catalog = write(tmp_path / "suppliers.json", json_catalog(supplier_fields()))

    status = main(["catalog", "load", str(catalog)])

    assert status == 0
    assert "suppliers: 1 created" in capsys.readouterr().out
    assert count(sessions, Supplier) == 1
