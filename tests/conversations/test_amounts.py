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
    NotAnAmount,
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
        ("350reais", brl("350")),
        ("300 conto", brl("300")),
        ("uns 300 contos", brl("300")),
        ("300 pila", brl("300")),
        ("cerca de R$ 280,00", brl("280")),
        ("aproximadamente 410", brl("410")),
        ("em média 390 por mês", brl("390")),
        ("R$ 350,00/mês", brl("350")),
        ("Minha conta é uns 300 reais.", brl("300")),
        ("mil reais", brl("1000")),
        ("uns mil", brl("1000")),
        ("1 mil", brl("1000")),
        ("1,5 mil", brl("1500")),
        ("R$ 350 (350 reais)", brl("350")),  # the same number twice is still one amount
        ("unos 300", brl("300")),
        ("about 300 a month", brl("300")),
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
        ("\u0663\u0665\u0660", UnreadableAmount),  # Arabic-Indic digits are not read as 350
        ("\uff13\uff15\uff10", UnreadableAmount),  # nor full-width ones
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
        ("1e999", NotAnAmount),
        ("NaN", NoAmount),
        ("Infinity", NoAmount),
    ],
)
def test_hostile_text_is_an_amount_error(text: str, error: type[AmountError]) -> None:
    with pytest.raises(error):
        read_amount(text)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "abc1def",
        "abc 1",
        "1abc",
        "2 meses atrasado",
        "pago 300 de aluguel",
        "menos 300",
        "300 e pouco",
        "mil e quinhentos",
        "1 milhão",
        "R$ 300 https://example.invalid",
    ],
)
def test_a_number_among_other_words_is_not_an_amount(text: str) -> None:
    with pytest.raises(NotAnAmount):
        read_amount(text)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("2 meses e 300 reais", ("2", "300")),
        ("entre 200 e 300", ("200", "300")),
        ("mil ou 1.200", ("1000", "1200")),
    ],
)
def test_several_different_numbers_are_listed_back(text: str, values: tuple[str, ...]) -> None:
    with pytest.raises(SeveralAmounts) as several:
        read_amount(text)

    assert several.value.values == tuple(Decimal(value) for value in values)


def test_a_text_longer_than_any_message_is_not_read() -> None:
    with pytest.raises(UnreadableAmount):
        read_amount("uns " * 600 + "300")
