"""Offer buttons: unique on their page, short enough for WhatsApp, never cut mid-word unmarked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conversations.consumer_offers import BUTTON_LABEL_LIMIT, LABEL_LIMIT, offer_label
from conversations.i18n import Translator, translator_for
from marketplace.savings import OfferKind, SavingBase, SavingEstimate
from marketplace.search import RankedOffer

PT = translator_for("pt_BR")
EN = translator_for("en")
ES = translator_for("es")
DASH = "\N{EN DASH}"


def ranked(supplier: str, saving: str | None, offer_id: int = 1) -> RankedOffer:
    estimate = None
    if saving is not None:
        estimate = SavingEstimate(
            kind=OfferKind.SUBSCRIPTION,
            base=SavingBase.COMPENSATED_ENERGY,
            rate=Decimal(15),
            covered_kwh=Decimal(300),
            base_value_brl=Decimal(2000),
            monthly_saving_brl=Decimal(saving),
            current_bill_brl=Decimal(2000),
        )
    return RankedOffer(
        offer_id=offer_id,
        offer_code=f"CODE-{offer_id}",
        supplier_name=supplier,
        supplier_cnpj="00000000000000",
        supplier_is_demo=supplier.endswith("(demo)"),
        kind=OfferKind.SUBSCRIPTION,
        title="Assinatura",
        loyalty_months=0,
        rating=None,
        sign_directly=False,
        available_now=True,
        saving=estimate,
    )


def test_two_offers_of_one_supplier_with_the_same_saving_get_different_labels() -> None:
    offers = [
        ranked("Sol do Sertão Energia", "306.18", 1),
        ranked("Sol do Sertão Energia", "306.18", 2),
    ]

    first, second = (offer_label(PT, number, offer) for number, offer in enumerate(offers, 1))

    # "1. Sol do Sertão - R$ 306/mês" would be 29 characters; "Sol do" would end on "do".
    assert (first, second) == (f"1. Sol {DASH} R$ 306/mês", f"2. Sol {DASH} R$ 306/mês")


@pytest.mark.parametrize(
    ("supplier", "saving", "label"),
    [
        ("Telhado Limpo Energia Solar (demo)", "139.92", f"1. Telhado {DASH} R$ 140/mês"),
        ("Sol Nascente Energia (demo)", "45.93", f"1. Sol {DASH} R$ 46/mês"),
        ("Vento Alísio Comercializadora (demo)", "17.26", f"1. Vento {DASH} R$ 17/mês"),
        ("Sol Leste Energia", "45.93", f"1. Sol Leste {DASH} R$ 46/mês"),
        ("Luz", "1234.56", f"1. Luz {DASH} R$ 1.235/mês"),
        ("Pequena Conta", "0.00", "1. Pequena Conta"),
        ("Pequena Conta", "-4.48", "1. Pequena Conta"),
        ("Sem Tarifa Energia Renovável", None, "1. Sem Tarifa Energia"),
        ("Supercalifragilisticexpialidocious Energia", "12.00", f"1. Supercal… {DASH} R$ 12/mês"),
    ],
)
def test_labels_keep_whole_words_within_the_limit(
    supplier: str, saving: str | None, label: str
) -> None:
    shown = offer_label(PT, 1, ranked(supplier, saving))

    assert shown == label
    assert len(shown) <= LABEL_LIMIT
    assert "R$ 0" not in shown


@pytest.mark.parametrize(
    ("translator", "label"),
    [
        (PT, f"1. Luz {DASH} R$ 46/mês"),
        (EN, f"1. Luz {DASH} R$ 46/mo"),
        (ES, f"1. Luz {DASH} R$ 46/mes"),
    ],
)
def test_the_saving_on_a_button_is_said_to_be_a_months(translator: Translator, label: str) -> None:
    assert offer_label(translator, 1, ranked("Luz", "45.93")) == label


def test_a_shorter_limit_drops_name_words_but_keeps_the_saving_whole() -> None:
    offer = ranked("Sol Nascente Energia (demo)", "45.93")

    shown = offer_label(PT, 1, offer, limit=BUTTON_LABEL_LIMIT)

    assert shown == f"1. Sol {DASH} R$ 46/mês"
    assert len(shown) <= BUTTON_LABEL_LIMIT


def test_a_long_first_word_is_cut_between_whole_characters() -> None:
    # One word too long for a button, with a decomposed "ç" (c + U+0327) where it is cut.
    name = "Cooperati" + "c\u0327" + "aoEnergeticaDoNordeste"

    label = offer_label(PT, 1, ranked(name, None), limit=14)

    assert label == "1. Cooperati…"
