"""What the consumer pays: every way of writing it, kWh too, and the specific re-asks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.models import Consumer
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import OFFERS_HEADER_CE, labels, reach
from tests.marketplace.factories import add_offer, add_supplier


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
        ("mil reais", "R$ 1.000,00"),
        ("1,5 mil", "R$ 1.500,00"),
        ("uns 300 conto", "R$ 300,00"),
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
        "Consumo: 250 kWh por mês. Conta estimada: R$ 255,20."
    )
    kept = consumer_of(person, sessions)
    assert (kept.monthly_kwh, kept.bill_brl) == (Decimal("250.0"), Decimal("255.20"))


@pytest.mark.parametrize(
    ("typed", "reask"),
    [
        # The minimum bill at ENEL CE: 30 kWh * 720.60 / 1000 / 0.75 + 15.00 = 43.82.
        (
            "10",
            "Uma conta de R$ 10,00 não é possível: a conta mínima na ENEL CE é cerca de R$ 43,82",
        ),
        (
            "15",
            "Uma conta de R$ 15,00 não é possível: a conta mínima na ENEL CE é cerca de R$ 43,82",
        ),
        ("43,81", "Uma conta de R$ 43,81 não é possível: a conta mínima na ENEL CE é cerca de"),
        ("0", "O valor precisa ser maior que zero."),
        ("0 kWh", "O valor precisa ser maior que zero."),
        ("-350", "O valor não pode ser negativo."),
        ("R$ -50", "O valor não pode ser negativo."),
        ("99999", "Isso é mais do que uma casa paga num mês."),
        ("9999999999", "Isso é mais do que uma casa paga num mês."),
        ("60000 kWh", "Isso é mais do que uma casa consegue consumir num mês."),
        ("entre 200 e 300", "Encontrei mais de um número (200 ou 300). Qual deles é o valor"),
        ("2 meses e 300 reais", "Encontrei mais de um número (2 ou 300). Qual deles é o valor"),
        ("2 meses atrasado", "Não consegui identificar o valor. Digite só o valor"),
        ("<script>alert(1)</script>", "Não consegui identificar o valor."),
        ("abc1def", "Não consegui identificar o valor."),
        ("\uff13\uff15\uff10", "Não consegui ler esse número."),
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


def test_the_minimum_bill_is_accepted(person: Chat, sessions: sessionmaker[Session]) -> None:
    reach(person, "bill")

    replies = person.say("43,82")

    assert replies[0].text.splitlines()[0] == OFFERS_HEADER_CE
    assert person.state(sessions).state == "offers"


def test_a_consumption_below_the_minimum_charge_lists_no_zero_savings(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        small = add_supplier(session, "Pequena Conta", rating="5.0")
        add_offer(session, small, "gd-any-bill", discount_pct="20")
        add_offer(session, small, "solar-any-bill", kind="solar", price_per_kwp_brl="3000")
    reach(person, "bill")

    replies = person.say("20 kWh")

    # 20 kWh is billed as the 30 kWh minimum charge: nothing is left for credits or a solar
    # system to offset, so those offers save nothing and come after the one that does.
    text = replies[0].text
    assert "R$ 0,00" not in text
    assert "R$ 0,00" not in " ".join(labels(replies[0]))
    lines = text.splitlines()
    assert lines[3] == (
        "1. Vento Alísio Comercializadora (demo): Mercado livre no Nordeste: lista de espera"
    )
    assert lines[4].startswith("   Mercado livre (lista de espera) · economia de R$ ")
    assert lines[5:7] == [
        "2. Pequena Conta: subscription offer gd-any-bill",
        "   Assinatura de energia solar · sem economia para a sua conta · sem fidelidade · ★ 5,0",
    ]
    assert lines[7:9] == [
        "3. Pequena Conta: solar offer solar-any-bill",
        "   Energia solar própria · sem economia para a sua conta · sem fidelidade · ★ 5,0",
    ]
    assert labels(replies[0])[1:3] == ["2. Pequena Conta", "3. Pequena Conta"]


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
