"""What the consumer pays: every way of writing it, kWh too, and the specific re-asks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.models import Consumer
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import OFFERS_HEADER_CE, reach


def consumer_of(person: Chat, sessions: sessionmaker[Session]) -> Consumer:
    with sessions() as session:
        return session.get_one(Consumer, person.state(sessions).consumer_id)


@pytest.mark.parametrize(
    ("typed", "bill"),
    [
        ("R$ 1.234,56", "R$ 1.234,56"),
        ("350", "R$ 350,00"),
        ("350,00", "R$ 350,00"),
        ("350 reais", "R$ 350,00"),
        ("uns 300", "R$ 300,00"),
        ("mais ou menos 280", "R$ 280,00"),
        ("R$350", "R$ 350,00"),
    ],
)
def test_a_bill_in_reais_however_written(
    person: Chat, sessions: sessionmaker[Session], typed: str, bill: str
) -> None:
    reach(person, "bill")

    replies = person.say(typed)

    lines = replies[0].text.splitlines()
    assert lines[0] == OFFERS_HEADER_CE
    assert lines[1].endswith(f"Conta atual: {bill}.")
    assert person.state(sessions).state == "offers"
    kept = consumer_of(person, sessions)
    assert (kept.uf, kept.bill_brl) == ("CE", Decimal(bill[3:].replace(".", "").replace(",", ".")))
    assert kept.monthly_kwh is not None


@pytest.mark.parametrize("typed", ["250 kWh", "250kwh", "consumo 250 kWh", "250 KWH"])
def test_a_consumption_in_kwh(person: Chat, sessions: sessionmaker[Session], typed: str) -> None:
    reach(person, "bill")

    replies = person.say(typed)

    # 250 kWh at ENEL CE in October 2026: 250 x 720.60 / 1000 / 0.75 + 15.00 = R$ 255,20.
    assert replies[0].text.splitlines()[1] == (
        "Consumo estimado: 250 kWh por mês. Conta atual: R$ 255,20."
    )
    kept = consumer_of(person, sessions)
    assert (kept.monthly_kwh, kept.bill_brl) == (Decimal("250.0"), Decimal("255.20"))


@pytest.mark.parametrize(
    ("typed", "reask"),
    [
        ("10", "Uma conta de R$ 10,00 não cobre nem a taxa de iluminação pública que considero"),
        ("15", "Uma conta de R$ 15,00 não cobre nem a taxa de iluminação pública que considero"),
        ("0", "O valor precisa ser maior que zero."),
        ("0 kWh", "O valor precisa ser maior que zero."),
        ("-350", "O valor não pode ser negativo."),
        ("R$ -50", "O valor não pode ser negativo."),
        ("99999", "Isso é mais do que uma casa paga num mês."),
        ("9999999999", "Isso é mais do que uma casa paga num mês."),
        ("60000 kWh", "Isso é mais do que uma casa consegue consumir num mês."),
        ("entre 200 e 300", "Encontrei mais de um número."),
        ("não sei", "Não entendi o valor."),
        ("1.2.3,4", "Não consegui ler esse número."),
    ],
)
def test_bad_bills_get_a_specific_re_ask_with_an_example(
    person: Chat, sessions: sessionmaker[Session], typed: str, reask: str
) -> None:
    reach(person, "bill")

    replies = person.say(typed)

    assert len(replies) == 1
    assert replies[0].text.startswith(reask)
    assert "por exemplo" in replies[0].text
    assert person.state(sessions).state == "bill"
    assert consumer_of(person, sessions).bill_brl is None


def test_a_distributor_without_tariff_keeps_the_bill_without_kwh(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "distributor_other")
    person.say("CEDRI")

    replies = person.say("400")

    assert replies[0].text.splitlines()[:2] == [
        "Ofertas para a sua conta da CEDRI (estimativa):",
        "Os dados da ANEEL não têm tarifa da CEDRI, então não consigo estimar a economia; as "
        "ofertas aparecem pela avaliação.",
    ]
    assert "economia não estimada" in replies[0].text
    kept = consumer_of(person, sessions)
    assert (kept.uf, kept.bill_brl, kept.monthly_kwh) == ("SP", Decimal("400.00"), None)
