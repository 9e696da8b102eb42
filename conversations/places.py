"""Where someone lives, as they say it: a CEP inside a sentence, or a state's name or UF.

"meu cep é 60110-000", "Ceará", "sao paulo", "SP" and "moro no RJ" all say enough. The
states come from the marketplace (`geography.list_states`); this module only reads text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from conversations.parsing import comparable

# Eight digits written 60110-000, 60110000, 60.110-000 or 60110 000, not inside a longer
# number (a phone number holds no CEP).
_CEP = re.compile(r"(?<![0-9])([0-9]{2})\.?([0-9]{3})[-\s.]?([0-9]{3})(?![0-9])")
# Lower-case words that are also UFs in everyday Portuguese (se, to = "tô", ma = "mas"...),
# or chat slang ("rs" is a laugh): they count as a UF only in capitals or on their own.
_COMMON_WORDS = frozenset(
    {"ac", "al", "am", "ap", "ce", "es", "go", "ma", "pa", "pi", "rs", "se", "to"}
)
# "para" is a preposition; Pará is recognised with its accent, or on its own.
_PREPOSITION_NAMES = frozenset({"para"})
ALIASES = {"brasilia": "DF"}


def find_cep(text: str) -> str | None:
    """The first CEP-shaped group of 8 digits in the text, as 8 digits, or None."""
    found = _CEP.search(text)
    return "".join(found.groups()) if found else None


def find_state(text: str, states: Mapping[str, str]) -> str | None:
    """The UF of the one state the text names (`states` maps UF to name); None otherwise.

    A text naming two states ("SP ou RJ") names none: the caller asks again.
    """
    folded = comparable(text)
    if not folded:
        return None
    names = {comparable(name): uf for uf, name in states.items()} | ALIASES
    whole = names.get(folded) or (folded.upper() if folded.upper() in states else None)
    if whole:
        return whole

    found = _named(folded, names) | _coded(text, states)
    if "pará" in text.casefold().split() and "PA" in states:
        found.add("PA")
    return found.pop() if len(found) == 1 else None


def _named(folded: str, names: Mapping[str, str]) -> set[str]:
    # Longest names first, each blanked out once found, so "mato grosso do sul" is not also
    # read as "mato grosso".
    padded, found = f" {folded} ", set()
    for name in sorted(names, key=len, reverse=True):
        if name in _PREPOSITION_NAMES:
            continue
        if f" {name} " in padded:
            found.add(names[name])
            padded = padded.replace(f" {name} ", " | ")
    return found


def _coded(text: str, states: Mapping[str, str]) -> set[str]:
    found = set()
    for word in re.findall(r"[^\W\d_]+", text):
        code = word.upper()
        if code not in states:
            continue
        lower = word.casefold()
        if word.isupper() or lower not in _COMMON_WORDS:
            found.add(code)
    return found
