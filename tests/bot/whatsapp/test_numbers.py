"""One person per Brazilian mobile, with or without the ninth digit."""

from __future__ import annotations

import pytest

from bot.whatsapp.numbers import canonical_chat_id, is_wa_id, masked


@pytest.mark.parametrize(
    ("wa_id", "chat_id"),
    [
        ("551187654321", "5511987654321"),  # an old São Paulo mobile, 8 digits
        ("5511987654321", "5511987654321"),  # the same person, as registered today
        ("558599991234", "5585999991234"),  # Fortaleza
        ("551133334444", "551133334444"),  # a São Paulo landline: no ninth digit to add
        ("16505551234", "16505551234"),  # not Brazilian
        ("550187654321", "550187654321"),  # no area code starts with 0
    ],
)
def test_brazilian_mobiles_are_keyed_by_their_nine_digit_form(wa_id: str, chat_id: str) -> None:
    assert canonical_chat_id(wa_id) == chat_id


@pytest.mark.parametrize("text", ["5511987654321", "16505551234"])
def test_wa_ids_are_digits(text: str) -> None:
    assert is_wa_id(text)


@pytest.mark.parametrize("text", ["", "+5511987654321", "55 11 98765-4321", "abc", "1" * 21])
def test_anything_else_is_not_a_wa_id(text: str) -> None:
    assert not is_wa_id(text)


def test_numbers_are_masked_for_logs() -> None:
    assert masked("5511987654321") == "55*********21"
    assert "98765" not in masked("5511987654321")
