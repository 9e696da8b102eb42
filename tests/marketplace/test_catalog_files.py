"""Reading catalog files: layouts, locations, and files refused as a whole."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from marketplace import catalog_files
from marketplace.catalog_files import (
    MAX_FILE_BYTES,
    CatalogFileError,
    printable,
    read_catalog_bytes,
    read_catalog_file,
)
from tests.support.catalog_samples import (
    ALPHANUMERIC_CNPJ,
    NUMERIC_CNPJ,
    csv_catalog,
    json_catalog,
    solar_fields,
    subscription_fields,
    supplier_fields,
    write,
)


def test_json_records_are_located_by_json_path(tmp_path: Path) -> None:
    text = json_catalog(
        supplier_fields(offers=[subscription_fields("A"), solar_fields("B")]),
        supplier_fields(cnpj=ALPHANUMERIC_CNPJ),
    )

    records = read_catalog_file(write(tmp_path / "catalog.json", text))

    assert [record.location for record in records] == ["suppliers[0]", "suppliers[1]"]
    assert [offer.location for offer in records[0].offers] == [
        "suppliers[0].offers[0]",
        "suppliers[0].offers[1]",
    ]
    assert "offers" not in records[0].fields
    assert records[1].offers == []


def test_csv_rows_are_grouped_by_supplier_with_lists_split(tmp_path: Path) -> None:
    other = supplier_fields(cnpj=ALPHANUMERIC_CNPJ, name="Outra Energia")
    text = csv_catalog(
        [
            (supplier_fields(), subscription_fields("A", states=["CE", "PE"])),
            (other, solar_fields("B")),
            (supplier_fields(cnpj="11.222.333/0001-81"), solar_fields("C")),
        ]
    )

    records = read_catalog_file(write(tmp_path / "catalog.csv", text))

    assert [record.location for record in records] == ["row 2", "row 3"]
    assert [offer.location for offer in records[0].offers] == ["row 2", "row 4"]
    assert records[0].offers[0].fields["states"] == ["CE", "PE"]
    assert records[0].offers[1].fields["distributors"] == []
    assert records[0].fields["cnpj"] == NUMERIC_CNPJ
    assert records[0].offers[1].problem is not None  # its CNPJ is written differently
    assert "description" not in records[0].offers[0].fields  # empty cells take defaults


def test_csv_with_semicolons_and_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    text = csv_catalog([(supplier_fields(), subscription_fields())], delimiter=";")
    path = tmp_path / "catalog.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    records = read_catalog_file(path)

    assert records[0].fields["name"] == "Energia de Teste Ltda"
    assert records[0].offers[0].fields["readjustment"] == "IPCA, janeiro"


def test_a_semicolon_csv_takes_brazilian_numbers() -> None:
    offer = solar_fields(price_per_kwp_brl="1.234,56", min_bill_brl="1.500", loyalty_months="12")
    supplier = supplier_fields(rating="4,5", rating_count="1.200")
    text = csv_catalog([(supplier, offer)], delimiter=";")

    (record,) = read_catalog_bytes(text.encode(), catalog_format="csv")

    assert (record.fields["rating"], record.fields["rating_count"]) == ("4.5", "1200")
    fields = record.offers[0].fields
    assert (fields["price_per_kwp_brl"], fields["min_bill_brl"]) == ("1234.56", "1500")
    assert (fields["loyalty_months"], fields["title"]) == ("12", "Solar no telhado de teste")


@pytest.mark.parametrize("written", ["4.200,00", "4200,00", "4.200", "4200", "4200.00"])
def test_every_brazilian_way_of_writing_a_price_reads_the_same(written: str) -> None:
    text = csv_catalog([(supplier_fields(), solar_fields(price_per_kwp_brl=written))], ";")

    (record,) = read_catalog_bytes(text.encode(), catalog_format="csv")

    assert Decimal(record.offers[0].fields["price_per_kwp_brl"]) == Decimal(4200)


def test_a_comma_csv_keeps_its_numbers_as_written() -> None:
    # With `,` between columns a decimal comma is not expected: the schema judges "4,5".
    text = csv_catalog([(supplier_fields(rating="4,5"), solar_fields())], delimiter=",")

    (record,) = read_catalog_bytes(text.encode(), catalog_format="csv")

    assert record.fields["rating"] == "4,5"


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize(
    ("written", "read"),
    [
        *[(word, "true") for word in ("sim", "SIM", "s", "Verdadeiro", "yes", "TRUE", "1")],
        *[(word, "false") for word in ("não", "NÃO", "nao", "N", "falso", "no", "False", "0")],
        ("talvez", "talvez"),  # left for the schema to refuse
    ],
)
def test_csv_booleans_in_portuguese_or_english(delimiter: str, written: str, read: str) -> None:
    offer = subscription_fields(sign_directly=written, active=written, two_bills=written)
    text = csv_catalog([(supplier_fields(is_demo=written), offer)], delimiter=delimiter)

    (record,) = read_catalog_bytes(text.encode(), catalog_format="csv")

    fields = record.offers[0].fields
    assert (fields["sign_directly"], fields["active"], fields["two_bills"]) == (read,) * 3
    assert record.fields["is_demo"] == read


def test_a_misaligned_csv_row_is_reported_alone(tmp_path: Path) -> None:
    text = csv_catalog([(supplier_fields(), subscription_fields())]) + "only,three,cells\n"

    records = read_catalog_file(write(tmp_path / "catalog.csv", text))

    assert records[-1].location == "row 3"
    assert records[-1].problem == "the row has 3 columns where the header has 25"


def test_a_file_without_extension_is_recognised_by_content(tmp_path: Path) -> None:
    json_text = json_catalog(supplier_fields())
    csv_text = csv_catalog([(supplier_fields(), solar_fields())])

    from_json = read_catalog_file(write(tmp_path / "catalog", json_text))
    from_csv = read_catalog_file(write(tmp_path / "offers", csv_text))

    assert from_json[0].location == "suppliers[0]"
    assert from_csv[0].location == "row 2"


@pytest.mark.parametrize(
    ("name", "content", "complaint"),
    [
        ("catalog.json", b'{"suppliers": [', r"not valid JSON: .*\(line 1, column 16\)"),
        ("catalog.json", b"[" * 100_000 + b"]" * 100_000, "not usable JSON"),
        ("catalog.json", b'{"suppliers": [{"rating": NaN}]}', "NaN is not allowed"),
        ("catalog.json", b'{"offers": []}', 'an object with a "suppliers" list'),
        ("catalog.json", b'[{"cnpj": "11222333000181"}]', 'an object with a "suppliers" list'),
        ("catalog.json", b'{"suppliers": [], "extra": 1}', "unexpected top-level field 'extra'"),
        ("catalog.json", "Ceará".encode("latin-1"), "not UTF-8 text"),
        ("catalog.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ("catalog.csv", b"", "empty"),
        ("catalog.csv", b"supplier_cnpj,code,price\n", "unknown CSV column 'price'"),
        ("catalog.csv", b"supplier_cnpj,supplier_name,code\n", "lacks the column 'kind'"),
        ("catalog.csv", b'code,kind,"unterminated\n', "malformed"),
        ("catalog.xlsx", b"PK\x03\x04", "ends in .json or .csv"),
    ],
)
def test_unreadable_files_are_refused_with_a_plain_reason(
    tmp_path: Path, name: str, content: bytes, complaint: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(CatalogFileError, match=complaint):
        read_catalog_file(path)


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as stream:
        stream.write(b'{"suppliers": [')
        stream.truncate(MAX_FILE_BYTES + 1)

    with pytest.raises(CatalogFileError, match="larger than 20 MB"):
        read_catalog_file(path)


def test_a_missing_file_or_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="does not exist"):
        read_catalog_file(tmp_path / "missing.json")
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(CatalogFileError, match="is a folder"):
        read_catalog_file(folder)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (
            '{"suppliers": [{"cnpj": "A"}], "suppliers": []}',
            "the key 'suppliers' appears more than once in the top-level object",
        ),
        (
            '{"suppliers": [{"cnpj": "A", "name": "Sol", "cnpj": "B"}]}',
            "the key 'cnpj' appears more than once in suppliers[0]",
        ),
        (
            '{"suppliers": [{"offers": [{"code": "A"}, {"code": "B", "code": "C"}]}]}',
            "the key 'code' appears more than once in suppliers[0].offers[1]",
        ),
    ],
)
def test_a_key_repeated_in_a_json_object_refuses_the_file(text: str, complaint: str) -> None:
    with pytest.raises(CatalogFileError) as caught:
        read_catalog_bytes(text.encode(), catalog_format="json")

    assert str(caught.value) == complaint


def test_a_device_or_a_socket_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="is not a regular file"):
        read_catalog_file(Path(os.devnull))
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(tmp_path / "s.json"))
        with pytest.raises(CatalogFileError, match=r"s\.json is not a regular file"):
            read_catalog_file(tmp_path / "s.json")


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    # In a child process, so a regression hangs that child for a while, not the suite.
    pipe = tmp_path / "offers.json"
    os.mkfifo(pipe)
    environment = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": "sqlite:///unused.db"}

    finished = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "load", "offers.json"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 2
    assert finished.stderr.decode() == (
        "connect-energy: catalog load: offers.json is not a regular file (a pipe, device or "
        "socket)\n"
    )


def test_names_in_messages_show_control_characters_as_escapes(tmp_path: Path) -> None:
    name = "\x1b[2J\u202eoffers\udcff.json"

    with pytest.raises(CatalogFileError) as caught:
        read_catalog_file(tmp_path / name)

    assert str(caught.value).endswith("\\x1b[2J\\u202eoffers\\udcff.json does not exist")
    assert printable("Sol do Sertão\tEnergia") == "Sol do Sertão\\tEnergia"


def test_json_numbers_are_read_as_exact_decimals() -> None:
    data = json.dumps({"suppliers": [{"rating": 4.7}]}).encode()

    records = read_catalog_bytes(data)

    assert str(records[0].fields["rating"]) == "4.7"


def test_a_catalog_over_the_offer_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_files, "MAX_OFFERS", 2)
    offers = [solar_fields(code) for code in ("A", "B", "C")]
    rows = [(supplier_fields(), offer) for offer in offers]

    with pytest.raises(CatalogFileError, match="more than 2 offers"):
        read_catalog_bytes(json_catalog(supplier_fields(offers=offers)).encode())
    with pytest.raises(CatalogFileError, match="more than 2 offers"):
        read_catalog_bytes(csv_catalog(rows).encode())


def test_offers_past_the_per_supplier_limit_are_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_files, "MAX_OFFERS_PER_SUPPLIER", 2)
    offers = [solar_fields(code) for code in ("A", "B", "C")]
    rows = [(supplier_fields(), offer) for offer in offers]

    (from_json,) = read_catalog_bytes(json_catalog(supplier_fields(offers=offers)).encode())
    (from_csv,) = read_catalog_bytes(csv_catalog(rows).encode())

    assert from_json.problem == "a supplier may list at most 2 offers"
    assert [offer.problem for offer in from_csv.offers] == [
        None,
        None,
        "a supplier may list at most 2 offers",
    ]
