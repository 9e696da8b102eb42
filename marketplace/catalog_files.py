"""Catalog files (JSON or CSV) read into supplier and offer records that know where they came from.

Reading checks only what makes a file unreadable as a whole (size, encoding, syntax, layout)
and raises `CatalogFileError` for it. Each record's fields are checked later, one by one, so
one bad offer costs only that offer.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_SUPPLIERS = 10_000
MAX_OFFERS = 100_000
MAX_OFFERS_PER_SUPPLIER = 1000

CatalogFormat = Literal["json", "csv"]

SUPPLIER_COLUMNS = {
    "supplier_cnpj": "cnpj",
    "supplier_name": "name",
    "supplier_rating": "rating",
    "supplier_rating_count": "rating_count",
    "supplier_response_hours": "response_hours",
    "supplier_is_demo": "is_demo",
}
OFFER_COLUMNS = (
    "code",
    "kind",
    "title",
    "description",
    "discount_pct",
    "energy_price_rs_mwh",
    "price_per_kwp_brl",
    "loyalty_months",
    "cancellation_fee_pct",
    "notice_days",
    "starts_in_days",
    "readjustment",
    "two_bills",
    "consumer_class",
    "min_bill_brl",
    "sign_directly",
    "active",
    "states",
    "distributors",
)
LIST_COLUMNS = ("states", "distributors")
REQUIRED_COLUMNS = ("supplier_cnpj", "supplier_name", "code", "kind", "title", "states")
NUMBER_COLUMNS = frozenset(
    {
        "supplier_rating",
        "supplier_rating_count",
        "supplier_response_hours",
        "discount_pct",
        "energy_price_rs_mwh",
        "price_per_kwp_brl",
        "loyalty_months",
        "cancellation_fee_pct",
        "notice_days",
        "starts_in_days",
        "min_bill_brl",
    }
)
BOOLEAN_COLUMNS = frozenset({"supplier_is_demo", "two_bills", "sign_directly", "active"})
# Spreadsheets write booleans in the language of whoever fills them in; matched casefolded.
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "sim", "s", "verdadeiro"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "não", "nao", "falso"})

# A Brazilian spreadsheet saves `;`-separated files with a decimal comma and dots grouping
# thousands: "4,5", "1.234,56", "1.234". No field takes three decimal places, so a dot
# followed by groups of three digits is a thousands separator there.
_COMMA_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),[0-9]+")
_DOT_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+")


def excerpt(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters with unprintable ones shown as `?`, for messages."""
    shown = "".join(char if char.isprintable() else "?" for char in text[:limit])
    return shown + ("..." if len(text) > limit else "")


def printable(text: str) -> str:
    """`text` whole, with control, formatting and undecodable characters shown as escapes.

    For file names in messages: a name may hold terminal escape sequences (`\\x1b[2J`)
    that must not reach the terminal, yet the person must recognise the name.
    """
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class CatalogFileError(ValueError):
    """A catalog file that cannot be read at all; the message says why, in plain words."""


@dataclass(frozen=True)
class OfferRecord:
    """The raw fields of one offer and where they are in the file."""

    location: str
    fields: Any
    problem: str | None = None


@dataclass(frozen=True)
class SupplierRecord:
    """The raw fields of one supplier, its offers, and where they are in the file."""

    location: str
    fields: Any
    offers: list[OfferRecord] = field(default_factory=list)
    problem: str | None = None


def read_catalog_file(path: Path) -> list[SupplierRecord]:
    """Read a `.json` or `.csv` catalog file (a file without extension is recognised by content).

    Raises:
        CatalogFileError: when the file is missing, too large, not UTF-8 or malformed.
    """
    catalog_format = _format_from_extension(path)
    return read_catalog_bytes(_read_regular_file(path), catalog_format=catalog_format)


def read_catalog_bytes(
    data: bytes, *, catalog_format: CatalogFormat | None = None
) -> list[SupplierRecord]:
    """Read a catalog held in memory, as JSON or CSV (guessed from the content when not given).

    Raises:
        CatalogFileError: when the data is too large, not UTF-8 or malformed.
    """
    text = _decode(data)
    if catalog_format is None:
        catalog_format = "json" if text.lstrip().startswith(("{", "[")) else "csv"
    if catalog_format == "json":
        return read_json_catalog(text)
    return read_csv_catalog(text)


def read_json_catalog(text: str) -> list[SupplierRecord]:
    """Read `{"suppliers": [{..., "offers": [...]}]}`; locations are JSON paths.

    Raises:
        CatalogFileError: when the text is not JSON or not laid out as a catalog.
    """
    document = _parse_json(text)
    if not isinstance(document, dict) or not isinstance(document.get("suppliers"), list):
        raise CatalogFileError('a JSON catalog is an object with a "suppliers" list')
    unexpected = sorted(set(document) - {"suppliers"})
    if unexpected:
        raise CatalogFileError(f"unexpected top-level field {excerpt(unexpected[0])!r}")
    if len(document["suppliers"]) > MAX_SUPPLIERS:
        raise CatalogFileError(f"the catalog lists more than {MAX_SUPPLIERS} suppliers")
    records = [
        _json_supplier(entry, f"suppliers[{index}]")
        for index, entry in enumerate(document["suppliers"])
    ]
    if sum(len(record.offers) for record in records) > MAX_OFFERS:
        raise CatalogFileError(f"the catalog lists more than {MAX_OFFERS} offers")
    return records


def read_csv_catalog(text: str) -> list[SupplierRecord]:
    """Read one offer per row, supplier columns repeated; locations are row numbers.

    The header is row 1. Either `,` or `;` separates the columns (the header decides); a
    `;`-separated file may write numbers with a decimal comma, as Brazilian spreadsheets do.
    Booleans may be written as sim/não, verdadeiro/falso, yes/no, true/false, s/n or 1/0.

    Raises:
        CatalogFileError: when the CSV is malformed, too long, or its header names unknown
            columns or lacks required ones.
    """
    rows, delimiter = _csv_rows(text)
    header = [name.strip() for name in rows[0]]
    _check_header(header)
    suppliers: dict[str, SupplierRecord] = {}
    first_rows: dict[str, tuple[list[str], int]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            # Misaligned cells cannot be tied to a supplier safely; the row is reported alone.
            problem = f"the row has {len(row)} columns where the header has {len(header)}"
            suppliers[f"row {number}"] = SupplierRecord(f"row {number}", {}, problem=problem)
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        _add_csv_row(_spreadsheet_values(cells, delimiter), number, suppliers, first_rows)
    return list(suppliers.values())


def _spreadsheet_values(cells: dict[str, str], delimiter: str) -> dict[str, str]:
    """Booleans in any accepted word as `true`/`false`; with `;`, Brazilian numbers as `1234.5`.

    Anything else is left as written, for the schema to accept or refuse with its reason.
    """
    read = dict(cells)
    for column, value in cells.items():
        if column in BOOLEAN_COLUMNS:
            word = value.casefold()
            read[column] = (
                "true" if word in TRUE_WORDS else "false" if word in FALSE_WORDS else value
            )
        elif column in NUMBER_COLUMNS and delimiter == ";":
            read[column] = _brazilian_number(value)
    return read


def _brazilian_number(value: str) -> str:
    if _COMMA_DECIMAL.fullmatch(value):
        return value.replace(".", "").replace(",", ".")
    if _DOT_THOUSANDS.fullmatch(value):
        return value.replace(".", "")
    return value


def _csv_rows(text: str) -> tuple[list[list[str]], str]:
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise CatalogFileError("the CSV catalog is empty; its first row must be the header")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise CatalogFileError(f"the CSV catalog is malformed: {error}") from error
    if len(rows) > MAX_OFFERS + 1:
        raise CatalogFileError(f"the catalog lists more than {MAX_OFFERS} offers")
    return rows, delimiter


def _format_from_extension(path: Path) -> CatalogFormat | None:
    suffix = path.suffix.lower()
    if suffix in (".json", ".csv"):
        return "json" if suffix == ".json" else "csv"
    if suffix:
        raise CatalogFileError(f"{printable(path.name)}: a catalog file ends in .json or .csv")
    return None


def _read_regular_file(path: Path) -> bytes:
    # A pipe would block the read until someone writes, and a device may never end, so
    # anything but a regular file is refused: first by name, then on the opened file, in
    # case the name was swapped in between. O_NONBLOCK keeps even that open from waiting.
    shown = printable(str(path))
    try:
        _check_regular(os.stat(path).st_mode, shown)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(descriptor, "rb") as stream:
            _check_regular(os.fstat(stream.fileno()).st_mode, shown)
            return stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as error:
        raise CatalogFileError(f"{shown} does not exist") from error
    except OSError as error:
        raise CatalogFileError(f"cannot read {shown}: {error.strerror}") from error


def _check_regular(mode: int, shown: str) -> None:
    if stat.S_ISDIR(mode):
        raise CatalogFileError(f"{shown} is a folder, not a catalog file")
    if not stat.S_ISREG(mode):
        raise CatalogFileError(f"{shown} is not a regular file (a pipe, device or socket)")


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise CatalogFileError(f"the catalog is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    if b"\x00" in data:
        raise CatalogFileError("the catalog holds binary data; it must be UTF-8 text")
    try:
        # utf-8-sig drops the byte-order mark spreadsheet programs put in front.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogFileError(
            f"the catalog is not UTF-8 text (byte {error.start} is not valid UTF-8)"
        ) from error


def _parse_json(text: str) -> Any:
    # json keeps the last of repeated keys; a catalog saying two things of one field is
    # ambiguous, so the objects that repeat one are noted here and refused below.
    repeats: dict[int, tuple[dict[str, Any], str]] = {}

    def note_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) < len(pairs):
            counts = Counter(key for key, _ in pairs)
            repeats[id(found)] = (found, next(key for key, _ in pairs if counts[key] > 1))
        return found

    try:
        # Decimal keeps prices exact; NaN and Infinity are not numbers a catalog can hold.
        document = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=note_repeats,
        )
    except json.JSONDecodeError as error:
        raise CatalogFileError(
            f"the catalog is not valid JSON: {error.msg} (line {error.lineno}, "
            f"column {error.colno})"
        ) from error
    except (ValueError, RecursionError) as error:
        raise CatalogFileError(f"the catalog is not usable JSON: {error}") from error
    if repeats:
        path, key = _first_repeat(document, {ref: key for ref, (_, key) in repeats.items()})
        raise CatalogFileError(f"the key {excerpt(key)!r} appears more than once in {path}")
    return document


def _first_repeat(document: Any, repeated_key: dict[int, str]) -> tuple[str, str]:
    # Depth first, in file order, without recursion: the JSON may nest deeply.
    pending: list[tuple[str, Any]] = [("the top-level object", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            if id(value) in repeated_key:
                return path, repeated_key[id(value)]
            base = "" if path == "the top-level object" else path + "."
            children = [(f"{base}{excerpt(key)}", item) for key, item in value.items()]
        elif isinstance(value, list):
            children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
        else:
            continue
        pending.extend(reversed(children))
    raise AssertionError("a repeated key was noted in an object not in the document")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a catalog")


def _json_supplier(entry: Any, location: str) -> SupplierRecord:
    if not isinstance(entry, dict):
        return SupplierRecord(location, entry, problem="a supplier must be a JSON object")
    fields = {name: value for name, value in entry.items() if name != "offers"}
    offers = entry.get("offers", [])
    if not isinstance(offers, list):
        return SupplierRecord(location, fields, problem='"offers" must be a list')
    if len(offers) > MAX_OFFERS_PER_SUPPLIER:
        problem = f"a supplier may list at most {MAX_OFFERS_PER_SUPPLIER} offers"
        return SupplierRecord(location, fields, problem=problem)
    return SupplierRecord(
        location,
        fields,
        [OfferRecord(f"{location}.offers[{index}]", offer) for index, offer in enumerate(offers)],
    )


def _check_header(header: list[str]) -> None:
    known = set(SUPPLIER_COLUMNS) | set(OFFER_COLUMNS)
    unknown = [name for name in header if name not in known]
    if unknown:
        raise CatalogFileError(f"unknown CSV column {excerpt(unknown[0])!r} (docs/catalog.md)")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CatalogFileError(f"the CSV header lacks the column {missing[0]!r}")
    if len(set(header)) != len(header):
        raise CatalogFileError("the CSV header names a column twice")


def _add_csv_row(
    cells: dict[str, str],
    number: int,
    suppliers: dict[str, SupplierRecord],
    supplier_cells: dict[str, tuple[list[str], int]],
) -> None:
    supplier_values = [cells.get(column, "") for column in SUPPLIER_COLUMNS]
    key = _supplier_key(cells["supplier_cnpj"])
    if key not in suppliers:
        supplier_fields = {
            name: cells[column] for column, name in SUPPLIER_COLUMNS.items() if cells.get(column)
        }
        suppliers[key] = SupplierRecord(f"row {number}", supplier_fields)
        supplier_cells[key] = (supplier_values, number)

    first_values, first_number = supplier_cells[key]
    problem = None
    if supplier_values != first_values:
        problem = f"its supplier columns differ from row {first_number}, the first of CNPJ {key}"
    elif len(suppliers[key].offers) >= MAX_OFFERS_PER_SUPPLIER:
        problem = f"a supplier may list at most {MAX_OFFERS_PER_SUPPLIER} offers"
    suppliers[key].offers.append(OfferRecord(f"row {number}", _csv_offer_fields(cells), problem))


def _supplier_key(cnpj: str) -> str:
    return "".join(char for char in cnpj.upper() if char.isalnum())


def _csv_offer_fields(cells: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for column in OFFER_COLUMNS:
        value = cells.get(column, "")
        if column in LIST_COLUMNS:
            fields[column] = [item.strip() for item in value.split("|") if item.strip()]
        elif value:
            fields[column] = value
    return fields
