"""Reading a bill or a consumption out of what people type: "uns 350", "R$ 1.234,56", "250 kWh".

The number itself is read by `marketplace.money.parse_brl`; this module finds it in the
sentence, tells reais from kWh, and says precisely what was wrong when it cannot.

A number counts only when it stands alone as a word. Around it may come what people say
with an amount (R$, reais, conto, pila, mil, kWh) and a few filler words (uns, cerca de,
mais ou menos, em média, por mês...); any other word, or letters glued to the digits, make
the text something other than an amount: "2 meses atrasado", "abc1def", markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from conversations.parsing import normalize
from marketplace.bills import MAX_MONTHLY_KWH
from marketplace.money import InvalidMoney, parse_brl

# Ten digits, centavos included, reach R$ 99.999.999,99: far past any bill or kWh count.
MAX_DIGITS = 10
# The chat refuses longer messages before they get here; the CLI passes its argument as is.
MAX_TEXT_LENGTH = 2000
THOUSAND = Decimal(1000)
# Far above any home's bill: 55,800 kWh (the most a low-voltage unit can draw) at the
# dearest tariff with taxes comes to about R$ 80,000. Guards distributors without a tariff.
MAX_BILL_BRL = Decimal(100_000)

# ASCII digits only: `\d` would also take Arabic-Indic and other digits, which Decimal reads.
# "mil" alone is a number too ("mil reais"); after digits it multiplies them ("1,5 mil").
_NUMBER = re.compile(
    r"(?P<digits>[0-9](?:[0-9.,]*[0-9])?)(?P<thousand>\s*mil(?![a-z]))?"
    r"|(?<![a-z])(?P<bare>mil)(?![a-z])"
)
_MINUS = ("-", "\u2212")
_CURRENCY_BEFORE = re.compile(r"r\$\s*$")
_LETTER = re.compile(r"[a-z]")
# "250 kWh", "250kwh", "250 kw/h", "250 kw h", "250 quilowatts-hora": any kWh marker.
_KWH_WORDS = r"kwh|kw\s*/?\s*h|kw|quilowatts?(?:\s*-?\s*hora)?|kilowatts?(?:\s*-?\s*hours?)?"
_KWH = re.compile(rf"(?<![a-z])(?:{_KWH_WORDS})(?![a-z])")
# What may be glued right after the digits: "250kwh", "350reais".
_GLUED_UNIT = re.compile(rf"(?:{_KWH_WORDS}|reais|real|contos?|pilas?|paus?)(?![a-z])")
# Words that may come with an amount, accents already stripped. Longer phrases come first so
# "mais ou menos" goes as a whole: "menos 300" alone stays unread ("menos" is minus).
_FILLERS = (
    r"r\s*\$",
    _KWH_WORDS,
    "reais",
    "real",
    "contos?",
    "pilas?",
    "paus?",
    "mais ou menos",
    "cerca de",
    "por volta de",
    "em torno de",
    "em media",
    "na media",
    "aproximadamente",
    "aprox",
    "quase",
    "uns",
    "umas",
    "por mes",
    "ao mes",
    "mes",  # "R$ 350/mês"
    "mensais",
    "mensal",
    "pago",
    "pagamos",
    "gasto",
    "gastamos",
    "consumo",
    "consumimos",
    "(?:a |minha |nossa )?conta(?: de luz| da luz| de energia)?",
    "e",
    "eh",
    "fica",
    "deu",
    "vem",
    # Spanish and English, the bot's other languages.
    "unos",
    "unas",
    "al mes",
    "alrededor de",
    "about",
    "around",
    "approximately",
    "a month",
    "per month",
    "month",
)
_FILLER = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(f"(?:{phrase})" for phrase in _FILLERS) + r")(?![a-z0-9])"
)
_PUNCTUATION_ONLY = re.compile(r"[\s.,;:!?()\-/\"'~…]*")


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


class NotAnAmount(AmountError):
    """A number among other words, or with letters glued to it: not an amount as said."""


class SeveralAmounts(AmountError):
    """More than one distinct number, so it is unclear which is the bill."""

    def __init__(self, values: tuple[Decimal, ...]) -> None:
        super().__init__(f"{len(values)} different numbers in the text")
        self.values = values


class NegativeAmount(AmountError):
    """A number with a minus sign."""


class AmountTooLarge(AmountError):
    """More digits than any bill or consumption has."""


class UnreadableAmount(AmountError):
    """A number written in a way that cannot be read safely, like `1.2.3,4`."""


def read_amount(text: str) -> StatedAmount:
    """The one amount in `text`, in reais unless a kWh unit is written.

    Accepts "350", "350,00", "R$ 1.234,56", "R$350", "350 reais", "300 conto", "uns 300",
    "mais ou menos 280", "2 mil", "1,5 mil", "mil reais", "250 kWh", "250kwh" and
    "consumo 250 kWh"; the same number written twice counts once.

    Raises:
        AmountError: one of its subclasses, saying what was wrong.
    """
    if len(text) > MAX_TEXT_LENGTH:
        raise UnreadableAmount("far too long to be an amount")
    if any(char.isdigit() and not char.isascii() for char in text):
        # Normalising would turn full-width and superscript digits into ASCII ones.
        raise UnreadableAmount("write the amount with the digits 0 to 9")
    folded = normalize(text)
    numbers = list(_NUMBER.finditer(folded))
    if not numbers:
        raise NoAmount("no number in the text")
    if any(_is_glued(folded, number) for number in numbers):
        raise NotAnAmount("letters are glued to a number")

    values = tuple(dict.fromkeys(_number_value(number) for number in numbers))
    if len(values) > 1:
        raise SeveralAmounts(values)
    if _is_negative(folded[: numbers[0].start()]):
        raise NegativeAmount("the amount has a minus sign")
    if not _only_amount_words(folded, numbers):
        raise NotAnAmount("words around the number that an amount does not have")
    unit = AmountUnit.KWH if _KWH.search(folded) else AmountUnit.BRL
    return StatedAmount(value=values[0], unit=unit)


def ceiling_of(unit: AmountUnit) -> Decimal:
    """The most a home can pay (R$) or use (kWh) in a month; anything above is a typo."""
    return MAX_MONTHLY_KWH if unit is AmountUnit.KWH else MAX_BILL_BRL


def _is_glued(folded: str, number: re.Match[str]) -> bool:
    before = folded[number.start() - 1] if number.start() else ""
    if _LETTER.fullmatch(before):
        return True
    after = folded[number.end() : number.end() + 1]
    return bool(_LETTER.fullmatch(after)) and not _GLUED_UNIT.match(folded, number.end())


def _is_negative(before: str) -> bool:
    before = _CURRENCY_BEFORE.sub("", before.rstrip()).rstrip()
    return before.endswith(_MINUS)


def _only_amount_words(folded: str, numbers: list[re.Match[str]]) -> bool:
    rest = folded
    for number in reversed(numbers):
        rest = f"{rest[: number.start()]} {rest[number.end() :]}"
    return bool(_PUNCTUATION_ONLY.fullmatch(_FILLER.sub(" ", rest)))


def _number_value(number: re.Match[str]) -> Decimal:
    written = number.group("digits")
    if written is None:
        return THOUSAND  # "mil" on its own
    if len(re.sub(r"[^0-9]", "", written).lstrip("0")) > MAX_DIGITS:
        raise AmountTooLarge("more digits than any bill or consumption")
    try:
        value = parse_brl(written)
    except InvalidMoney as error:
        raise UnreadableAmount(str(error)) from error
    return value * THOUSAND if number.group("thousand") else value
