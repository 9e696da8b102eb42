"""Amounts in reais: reading what people type, rounding as bills do, writing plain decimals."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENTAVO = Decimal("0.01")
# Far above any bill, yet short enough that hostile input is refused before any parsing.
MAX_TEXT_LENGTH = 40
MAX_INTEGER_DIGITS = 10

_CURRENCY = re.compile(r"^r\$\s*", re.IGNORECASE)
_AMOUNT_CHARACTERS = re.compile(r"[0-9.,]+")
_FRACTION = re.compile(r"[0-9]{1,2}")


class InvalidMoney(ValueError):
    """Text that is not an amount in reais (negative, empty, ambiguous or too large)."""


def parse_brl(text: str) -> Decimal:
    """Read an amount in reais written as a chat user would, with two decimal places.

    Accepts `350`, `350,00`, `350.5`, `R$ 1.234,56`, `1,234.56` and `1234.56`. The last
    `,` or `.` followed by one or two digits is the decimal separator; any other separator
    must group thousands by three.

    Raises:
        InvalidMoney: when the text is not a non-negative amount in reais.
    """
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidMoney("an amount in reais is a short number, like 350,00")
    compact = _CURRENCY.sub("", text.strip().replace("\u00a0", " ")).replace(" ", "")
    if not compact:
        raise InvalidMoney("no amount was given")
    if compact.startswith(("-", "\u2212")):
        raise InvalidMoney("an amount in reais cannot be negative")
    if not _AMOUNT_CHARACTERS.fullmatch(compact):
        raise InvalidMoney("an amount in reais has only digits, like 350,00")

    integer, fraction, decimal_separator = _split_decimal(compact)
    digits = _drop_thousands(integer, decimal_separator)
    if len(digits.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise InvalidMoney("the amount is too large")
    return Decimal(f"{digits}.{fraction}").quantize(CENTAVO)


def round_centavos(amount: Decimal) -> Decimal:
    """Round to centavos, half up, as distributors round a bill."""
    rounded = amount.quantize(CENTAVO, rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else abs(rounded)


def format_plain(amount: Decimal) -> str:
    """The amount as a plain decimal string with two places, like `52.50`, for machines."""
    return f"{round_centavos(amount):f}"


def _split_decimal(compact: str) -> tuple[str, str, str | None]:
    separator_at = max(compact.rfind(","), compact.rfind("."))
    fraction = compact[separator_at + 1 :]
    if separator_at == -1 or not _FRACTION.fullmatch(fraction):
        return compact, "0", None
    return compact[:separator_at], fraction, compact[separator_at]


def _drop_thousands(integer: str, decimal_separator: str | None) -> str:
    if integer.isdigit():
        return integer
    separators = set(re.sub(r"[0-9]", "", integer))
    groups = re.split(r"[.,]", integer)
    well_grouped = (
        len(separators) == 1
        and decimal_separator not in separators
        and 1 <= len(groups[0]) <= 3
        and all(len(group) == 3 for group in groups[1:])
    )
    if not well_grouped:
        raise InvalidMoney("write the amount like 1.234,56")
    return "".join(groups)
