"""Bills and consumptions read out of what people type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conversations.amounts import (
    AmountError,
    AmountTooLarge,
    AmountUnit,
    NegativeAmount,
    NoAmount,
    SeveralAmounts,
    StatedAmount,
    UnreadableAmount,
    read_amount,
)


def brl(value: str) -> StatedAmount:
    return StatedAmount(Decimal(value), AmountUnit.BRL)


def kwh(value: str) -> StatedAmount:
    return StatedAmount(Decimal(value), AmountUnit.KWH)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("350", brl("350")),
        ("350,00", brl("350")),
        ("350.5", brl("350.50")),
        ("R$ 1.234,56", brl("1234.56")),
        ("R$350", brl("350")),
        ("r$ 350,90", brl("350.90")),
        ("350 reais", brl("350")),
        ("uns 300", brl("300")),
        ("mais ou menos 280", brl("280")),
        ("Pago uns R$ 320 por mês.", brl("320")),
        ("2 mil", brl("2000")),
        ("1,5 mil reais", brl("1500")),
        ("0", brl("0")),
        ("250 kWh", kwh("250")),
        ("250kwh", kwh("250")),
        ("consumo 250 kWh", kwh("250")),
        ("250 KW/h", kwh("250")),
        ("1.200 kWh", kwh("1200")),
        ("gasto 180 kw", kwh("180")),
        ("310 quilowatts-hora", kwh("310")),
    ],
)
def test_amounts_are_read_as_people_write_them(text: str, amount: StatedAmount) -> None:
    assert read_amount(text) == amount


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", NoAmount),
        ("não sei", NoAmount),
        ("trezentos", NoAmount),
        ("entre 200 e 300", SeveralAmounts),
        ("60110-000", SeveralAmounts),
        ("-350", NegativeAmount),
        ("R$ -350", NegativeAmount),
        ("- R$ 50", NegativeAmount),
        ("\u2212120", NegativeAmount),
        ("99999999999", AmountTooLarge),
        ("9" * 500, AmountTooLarge),
        ("1.2.3,4", UnreadableAmount),
        ("12,34,56", UnreadableAmount),
        ("\u0663\u0665\u0660", NoAmount),  # Arabic-Indic digits are not read as 350
    ],
)
def test_what_cannot_be_read_says_why(text: str, error: type[AmountError]) -> None:
    with pytest.raises(error):
        read_amount(text)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("'; DROP TABLE consumers; --", NoAmount),
        ("\x00\x00", NoAmount),
        ("1e999", SeveralAmounts),
        ("NaN", NoAmount),
        ("Infinity", NoAmount),
    ],
)
def test_hostile_text_is_an_amount_error(text: str, error: type[AmountError]) -> None:
    with pytest.raises(error):
        read_amount(text)


def test_a_number_inside_markup_is_still_just_a_number() -> None:
    assert read_amount("<script>alert(1)</script>") == brl("1")
