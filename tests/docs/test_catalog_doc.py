"""The CSV examples of docs/catalog.md read as the catalog reader reads them."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from marketplace.catalog_files import NUMBER_COLUMNS, read_catalog_bytes

DOC = Path(__file__).parents[2] / "docs" / "catalog.md"


def as_values(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        name: Decimal(value) if name in NUMBER_COLUMNS else value for name, value in fields.items()
    }


def test_the_brazilian_spreadsheet_example_reads_as_the_plain_one() -> None:
    plain, brazilian = re.findall(r"```csv\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)

    (expected,) = read_catalog_bytes(plain.encode(), catalog_format="csv")
    (found,) = read_catalog_bytes(brazilian.encode(), catalog_format="csv")

    assert as_values(found.fields) == as_values(expected.fields)
    assert [as_values(offer.fields) for offer in found.offers] == [
        as_values(offer.fields) for offer in expected.offers
    ]
