"""Reading a bill or a consumption out of what people type: "uns 350", "R$ 1.234,56", "250 kWh".

The number itself is read by `marketplace.money.parse_brl`; this module finds it in the
sentence, tells reais from kWh, and says precisely what was wrong when it cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from conversations.parsing import normalize
from marketplace.money import InvalidMoney, parse_brl

# Ten digits, centavos included, reach R$ 99.999.999,99: far past any bill or kWh count.
MAX_DIGITS = 10

# ASCII digits only: `\d` would also take Arabic-Indic and other digits, which Decimal reads.
_NUMBER = re.compile(r"[0-9](?:[0-9.,]*[0-9])?")
_THOUSAND = re.compile(r"\s*mil\b")
_MINUS = ("-", "\u2212")
_CURRENCY_BEFORE = re.compile(r"r\$\s*$")
# "250 kWh", "250kwh", "250 kw/h", "250 kw h", "250 quilowatts-hora": any kWh marker.
_KWH = re.compile(r"(?<![a-z])(kwh|kw\s*/?\s*h|kw|quilowatts?(\s*-?\s*hora)?)(?![a-z])")


class AmountUnit(StrEnum):
    """What a number the person gave measures."""

    BRL = "brl"
    KWH = "kwh"


@dataclass(frozen=True)
class StatedAmount:
    """A non-negative amount, as said: reais on the bill, or kWh used in a month."""

    value: Decimal
    unit: AmountUnit


class AmountError(ValueError):
    """The text holds no single amount that can be read."""


class NoAmount(AmountError):
    """No number at all."""


class SeveralAmounts(AmountError):
    """More than one number, so it is unclear which is the bill."""


class NegativeAmount(AmountError):
    """A number with a minus sign."""


class AmountTooLarge(AmountError):
    """More digits than any bill or consumption has."""


class UnreadableAmount(AmountError):
    """A number written in a way that cannot be read safely, like `1.2.3,4`."""


def read_amount(text: str) -> StatedAmount:
    """The one amount in `text`, in reais unless a kWh unit is written.

    Accepts "350", "350,00", "R$ 1.234,56", "R$350", "350 reais", "uns 300", "mais ou menos
    280", "2 mil", "250 kWh", "250kwh" and "consumo 250 kWh".

    Raises:
        AmountError: one of its subclasses, saying what was wrong.
    """
    folded = normalize(text)
    numbers = list(_NUMBER.finditer(folded))
    if not numbers:
        raise NoAmount("no number in the text")
    if len(numbers) > 1:
        raise SeveralAmounts(f"{len(numbers)} numbers in the text")

    number = numbers[0]
    if _is_negative(folded[: number.start()]):
        raise NegativeAmount("the amount has a minus sign")
    value = _number_value(number.group())
    if _THOUSAND.match(folded, number.end()):
        value *= 1000
    unit = AmountUnit.KWH if _KWH.search(folded) else AmountUnit.BRL
    return StatedAmount(value=value, unit=unit)


def _is_negative(before: str) -> bool:
    before = _CURRENCY_BEFORE.sub("", before.rstrip()).rstrip()
    return before.endswith(_MINUS)


def _number_value(written: str) -> Decimal:
    if len(re.sub(r"[^0-9]", "", written).lstrip("0")) > MAX_DIGITS:
        raise AmountTooLarge("more digits than any bill or consumption")
    try:
        return parse_brl(written)
    except InvalidMoney as error:
        raise UnreadableAmount(str(error)) from error
