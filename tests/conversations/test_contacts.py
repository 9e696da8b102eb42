"""Names, Brazilian phones and e-mails as people type them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import marketplace.data
from conversations.contacts import (
    CAPITAL_DDDS,
    VALID_DDDS,
    Contact,
    ContactProblem,
    InvalidContact,
    InvalidName,
    NameProblem,
    example_phone,
    format_phone,
    read_contact,
    read_person_name,
)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Maria Silva", "Maria Silva"),
        ("  maria   da  Conceição ", "maria da Conceição"),
        ("João D'Ávila", "João D'Ávila"),
        ("Ana-Clara S. Lima", "Ana-Clara S. Lima"),
        ("Lu", "Lu"),
        ("J.R.R. Tolkien", "J.R.R. Tolkien"),
    ],
)
def test_names_are_tidied(text: str, name: str) -> None:
    assert read_person_name(text) == name


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", NameProblem.TOO_SHORT),
        ("A", NameProblem.TOO_SHORT),
        ("...", NameProblem.TOO_SHORT),
        ("85999991234", NameProblem.DIGITS),
        ("Maria 2", NameProblem.DIGITS),
        ("https://spam.example", NameProblem.LINK),
        ("www.promo.com.br", NameProblem.LINK),
        ("maria@example.com", NameProblem.LINK),
        ("gnp.exe", NameProblem.LINK),
        ("Maria " * 20, NameProblem.TOO_LONG),
        ("<b>Maria</b>", NameProblem.SYMBOLS),
        ("Robert'); DROP TABLE leads;--", NameProblem.SYMBOLS),
    ],
)
def test_what_is_not_a_name_says_why(text: str, problem: NameProblem) -> None:
    with pytest.raises(InvalidName) as error:
        read_person_name(text)

    assert error.value.problem is problem


@pytest.mark.parametrize(
    ("text", "contact"),
    [
        ("(85) 99999-1234", Contact(phone="+5585999991234")),
        ("85999991234", Contact(phone="+5585999991234")),
        ("+55 85 99999-1234", Contact(phone="+5585999991234")),
        ("+55 (85) 9 9999 1234", Contact(phone="+5585999991234")),
        ("5585999991234", Contact(phone="+5585999991234")),
        ("085 99999.1234", Contact(phone="+5585999991234")),
        ("(11) 3234-5678", Contact(phone="+551132345678")),
        ("meu zap é (85) 99999-1234", Contact(phone="+5585999991234")),
        ("Maria@Example.COM", Contact(email="Maria@example.com")),
        ("é maria.silva+luz@mail.com.br!", Contact(email="maria.silva+luz@mail.com.br")),
        ("<maria@example.com>", Contact(email="maria@example.com")),
    ],
)
def test_phones_and_emails_are_read_as_written(text: str, contact: Contact) -> None:
    assert read_contact(text) == contact


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Maria", ContactProblem.NOTHING),
        ("", ContactProblem.NOTHING),
        ("99999-1234", ContactProblem.PHONE_LENGTH),
        ("(85) 2999-91234", ContactProblem.PHONE_LENGTH),  # 11 digits, but not a mobile
        ("(85) 89999-1234", ContactProblem.PHONE_LENGTH),
        ("+1 415 555 0100", ContactProblem.PHONE_LENGTH),
        ("(20) 99999-1234", ContactProblem.AREA_CODE),
        ("(10) 3234-5678", ContactProblem.AREA_CODE),
        ("maria@", ContactProblem.EMAIL),
        ("maria@example", ContactProblem.EMAIL),
        ("maria@@example.com", ContactProblem.EMAIL),
        ("a@" + "b" * 260 + ".com", ContactProblem.EMAIL),
    ],
)
def test_what_is_not_a_contact_says_why(text: str, problem: ContactProblem) -> None:
    with pytest.raises(InvalidContact) as error:
        read_contact(text)

    assert error.value.problem is problem


@pytest.mark.parametrize(
    ("phone", "shown"),
    [("+5585999991234", "(85) 99999-1234"), ("+551132345678", "(11) 3234-5678")],
)
def test_phones_are_shown_the_brazilian_way(phone: str, shown: str) -> None:
    assert format_phone(phone) == shown


def test_every_state_has_a_valid_area_code_for_its_phone_example() -> None:
    bundled = Path(next(iter(marketplace.data.__path__))) / "cep_faixas_por_uf.csv"
    with bundled.open(encoding="utf-8") as ranges:
        states = {row["uf"] for row in csv.DictReader(ranges, delimiter=";")}

    assert set(CAPITAL_DDDS) == states
    assert all(ddd in VALID_DDDS for ddd in CAPITAL_DDDS.values())
    assert (example_phone("SP"), example_phone("CE")) == ("(11) 99999-1234", "(85) 99999-1234")
    assert example_phone(None) == "(DDD) 99999-1234"
