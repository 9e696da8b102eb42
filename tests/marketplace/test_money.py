"""Reading amounts in reais as people type them, and rounding them as bills do."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.money import InvalidMoney, format_plain, parse_brl, round_centavos


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("350", "350.00"),
        ("350,00", "350.00"),
        ("350,5", "350.50"),
        ("R$ 1.234,56", "1234.56"),
        ("r$1.234,56", "1234.56"),
        ("R$\u00a0350,00", "350.00"),
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234", "1234.00"),
        ("1.234.567,89", "1234567.89"),
        ("  52.5  ", "52.50"),
        ("0", "0.00"),
    ],
)
def test_parse_brl_reads_what_a_chat_user_writes(text: str, amount: str) -> None:
    assert parse_brl(text) == Decimal(amount)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "R$",
        "-5",
        "R$ -5",
        "\u22125",
        "abc",
        "350 reais e 10",
        "1e5",
        "NaN",
        "Infinity",
        "350,",
        ".5",
        "1,234,56",
        "1.23.456",
        "12,3456",
        "99999999999",
        "9" * 41,
        "x" * 10_000_000,
        "\uff13\uff15\uff10",  # fullwidth digits
        "\u0663\u0665\u0660",  # Arabic-Indic digits
        "350; DROP TABLE offers; --",
        "350\x00",
    ],
)
def test_parse_brl_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(InvalidMoney):
        parse_brl(text)


def test_negative_amounts_say_so() -> None:
    with pytest.raises(InvalidMoney, match="negative"):
        parse_brl("R$ -5,00")


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [("2.675", "2.68"), ("2.665", "2.67"), ("2.6749", "2.67"), ("-0.001", "0.00")],
)
def test_round_centavos_rounds_half_up(exact: str, rounded: str) -> None:
    assert format_plain(round_centavos(Decimal(exact))) == rounded


def test_format_plain_writes_two_places_with_a_dot() -> None:
    assert format_plain(Decimal("52.5")) == "52.50"
    assert format_plain(Decimal("1E+3")) == "1000.00"
