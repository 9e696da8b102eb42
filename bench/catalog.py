"""A few fictional offers added to the demo catalog for the consumer-flow benchmark.

The demo catalog shows at most five offers to any distributor's customers, one page, so a
benchmark on it alone would never page. These four offers, of one made-up supplier, give
the distributors the benchmark's conversations use six to nine offers: two pages, as a
real catalog soon will.
"""

from __future__ import annotations

import json
from typing import Any

STATES = ["CE", "SP", "RJ", "RS", "MG", "BA", "PE"]


def _subscription(code: str, discount: int, loyalty: int, minimum: int) -> dict[str, Any]:
    return {
        "code": code,
        "kind": "subscription",
        "title": f"Assinatura de bancada, {discount}% de desconto",
        "description": "Oferta fictícia do benchmark: empresa e condições inventadas.",
        "discount_pct": discount,
        "loyalty_months": loyalty,
        "cancellation_fee_pct": 10 if loyalty else None,
        "notice_days": 30,
        "starts_in_days": 60,
        "readjustment": "acompanha o reajuste anual da distribuidora",
        "consumer_class": "residential",
        "min_bill_brl": minimum,
        "states": STATES,
    }


_OFFERS = [
    _subscription("BANCADA-8", 8, 0, 100),
    _subscription("BANCADA-11", 11, 12, 150),
    _subscription("BANCADA-14", 14, 24, 250),
    {
        "code": "BANCADA-LIVRE",
        "kind": "free_market",
        "title": "Energia do mercado livre de bancada",
        "description": "Oferta fictícia do benchmark: empresa e condições inventadas.",
        "energy_price_rs_mwh": 290,
        "loyalty_months": 12,
        "consumer_class": "residential",
        "states": STATES,
    },
]

BENCH_CATALOG = json.dumps(
    {
        "suppliers": [
            {
                "cnpj": "DEMO0000009976",
                "name": "Bancada Energia (benchmark, demo)",
                "is_demo": True,
                "rating": 3.8,
                "rating_count": 41,
                "response_hours": 24,
                "offers": [
                    {key: value for key, value in offer.items() if value is not None}
                    for offer in _OFFERS
                ],
            }
        ]
    },
    ensure_ascii=False,
).encode()
"""The catalog, as the bytes of a JSON catalog file."""
