"""Brazilian identifiers: CNPJ (numeric and alphanumeric), CPF and CEP."""

from __future__ import annotations

import re

_CNPJ_SHAPE = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
_CNPJ_WEIGHTS_1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_WEIGHTS_2 = (6, *_CNPJ_WEIGHTS_1)


class InvalidDocument(ValueError):
    """A CNPJ, CPF or CEP that fails its shape or check digits."""


def normalize_cnpj(text: str) -> str:
    """Return the 14-character CNPJ in `text`, validated, uppercase, without punctuation.

    From July 2026 the first twelve positions may hold letters; each character counts as
    its ASCII code minus 48, so digits keep their value (Receita Federal, IN RFB 2.229/2024).

    Raises:
        InvalidDocument: when the shape or the check digits are wrong.
    """
    compact = re.sub(r"[.\-/\s]", "", text).upper()
    if not _CNPJ_SHAPE.match(compact):
        raise InvalidDocument("a CNPJ has 12 letters or digits and 2 check digits")
    if len(set(compact)) == 1:
        raise InvalidDocument("a CNPJ cannot repeat one character")
    values = [ord(char) - 48 for char in compact]
    first = _check_digit(values[:12], _CNPJ_WEIGHTS_1)
    second = _check_digit([*values[:12], first], _CNPJ_WEIGHTS_2)
    if values[12:] != [first, second]:
        raise InvalidDocument("the CNPJ check digits do not match")
    return compact


def cnpj_check_digits(root12: str) -> str:
    """The two check digits for a 12-character CNPJ root (used to mint demo CNPJs)."""
    values = [ord(char) - 48 for char in root12.upper()]
    first = _check_digit(values, _CNPJ_WEIGHTS_1)
    second = _check_digit([*values, first], _CNPJ_WEIGHTS_2)
    return f"{first}{second}"


def _check_digit(values: list[int], weights: tuple[int, ...]) -> int:
    remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def format_cnpj(cnpj: str) -> str:
    """`12ABC34501DE35` → `12.ABC.345/01DE-35`."""
    return f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"


def normalize_cpf(text: str) -> str:
    """Return the 11-digit CPF in `text`, validated, leading zeros kept.

    Raises:
        InvalidDocument: when it is not 11 digits, repeats one digit, or fails its checks.
    """
    digits = re.sub(r"[.\-\s]", "", text)
    if not re.fullmatch(r"\d{11}", digits):
        raise InvalidDocument("a CPF has 11 digits")
    if len(set(digits)) == 1:
        raise InvalidDocument("a CPF cannot repeat one digit")
    values = [int(d) for d in digits]
    for position in (9, 10):
        total = sum(
            v * w for v, w in zip(values[:position], range(position + 1, 1, -1), strict=True)
        )
        if (total * 10) % 11 % 10 != values[position]:
            raise InvalidDocument("the CPF check digits do not match")
    return digits


def normalize_cep(text: str) -> str:
    """Return the 8 digits of a CEP written as `01310-100`, `01310100` or `01.310-100`.

    Raises:
        InvalidDocument: when the text is not a CEP.
    """
    compact = re.sub(r"[.\-\s]", "", text.strip())
    if not re.fullmatch(r"\d{8}", compact):
        raise InvalidDocument("a CEP has 8 digits, like 01310-100")
    return compact


def format_cep(cep: str) -> str:
    """`01310100` → `01310-100`."""
    return f"{cep[:5]}-{cep[5:]}"
