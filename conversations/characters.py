"""Cutting text between whole characters as a reader sees them, not between code points.

A name from a catalog may hold a letter and its accent as two code points ("e" and U+0301,
as files saved on a Mac often do), an emoji with its variation selector or skin tone, or a
flag (two regional indicators). Cut between them, a label shows a bare letter, or half a
flag as a lone letter in a box. ZWJ sequences need no care: catalog names refuse U+200D.
"""

from __future__ import annotations

import unicodedata

_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_SKIN_TONES = range(0x1F3FB, 0x1F400)


def whole_prefix(text: str, length: int) -> str:
    """The longest start of `text` within `length` code points that ends between whole
    characters: no mark, selector or skin tone left behind, no flag cut in half."""
    if len(text) <= length:
        return text
    end = max(length, 0)
    while end > 0 and _continues(text[end]):
        end -= 1
    if end > 0 and ord(text[end]) in _REGIONAL_INDICATORS:
        run = end
        while run > 0 and ord(text[run - 1]) in _REGIONAL_INDICATORS:
            run -= 1
        if (end - run) % 2:  # the cut would leave the first half of a flag
            end -= 1
    return text[:end]


def first_character(text: str) -> str:
    """The first character of `text` as a reader sees it, with its marks."""
    end = 1
    while end < len(text) and _continues(text[end]):
        end += 1
    return text[:end]


def _continues(char: str) -> bool:
    """Whether `char` belongs to the character before it (a mark, a selector, a tone)."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or code in _SKIN_TONES
    )
