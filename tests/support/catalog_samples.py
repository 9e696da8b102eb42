"""Small valid catalogs for tests, built as the files describe them, with overrides."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from marketplace.catalog_files import OFFER_COLUMNS, SUPPLIER_COLUMNS

# Valid CNPJs: the Receita Federal's usual numeric example and its alphanumeric one.
NUMERIC_CNPJ = "11222333000181"
ALPHANUMERIC_CNPJ = "12ABC34501DE35"


def supplier_fields(**overrides: Any) -> dict[str, Any]:
    """A valid supplier, without offers."""
    fields: dict[str, Any] = {
        "cnpj": NUMERIC_CNPJ,
        "name": "Energia de Teste Ltda",
        "rating": "4.5",
        "rating_count": 20,
        "response_hours": 12,
    }
    return {**fields, **overrides}


def subscription_fields(code: str = "ASSINA-CE", **overrides: Any) -> dict[str, Any]:
    """A valid subscription offer in Ceará, limited to ENEL CE."""
    fields: dict[str, Any] = {
        "code": code,
        "kind": "subscription",
        "title": "Assinatura solar de teste",
        "discount_pct": "15",
        "loyalty_months": 12,
        "cancellation_fee_pct": "20",
        "notice_days": 60,
        "starts_in_days": 75,
        "readjustment": "IPCA, janeiro",
        "min_bill_brl": "150.00",
        "sign_directly": True,
        "states": ["CE"],
        "distributors": ["ENEL CE"],
    }
    return {**fields, **overrides}


def solar_fields(code: str = "SOLAR-SP", **overrides: Any) -> dict[str, Any]:
    """A valid solar offer in São Paulo, open to every distributor there."""
    fields: dict[str, Any] = {
        "code": code,
        "kind": "solar",
        "title": "Solar no telhado de teste",
        "price_per_kwp_brl": "4200.00",
        "states": ["SP"],
    }
    return {**fields, **overrides}


def json_catalog(*suppliers: dict[str, Any]) -> str:
    """The JSON text of a catalog holding these suppliers (each with its `offers`)."""
    return json.dumps({"suppliers": list(suppliers)}, ensure_ascii=False)


def csv_catalog(rows: list[tuple[dict[str, Any], dict[str, Any]]], delimiter: str = ",") -> str:
    """The CSV text of a catalog: one (supplier, offer) pair per row, every column present."""
    header = [*SUPPLIER_COLUMNS, *OFFER_COLUMNS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for supplier, offer in rows:
        cells = {f"supplier_{name}": value for name, value in supplier.items()}
        cells.update(offer)
        writer.writerow([_cell(cells.get(column)) for column in header])
    return buffer.getvalue()


def write(path: Path, text: str) -> Path:
    """Write `text` as UTF-8 and return the path."""
    path.write_text(text, encoding="utf-8")
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
