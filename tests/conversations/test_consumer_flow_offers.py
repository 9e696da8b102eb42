"""The ranked offers, their pages, the fact sheet of each kind, and "Como você calculou?"."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conversations.consumer_fact_sheet import fact_sheet
from conversations.consumer_offers import BUTTON_LABEL_LIMIT
from conversations.i18n import translator_for
from marketplace.bills import BillAmount
from marketplace.clock import FixedClock
from marketplace.geography import DistributorRef, find_distributor
from marketplace.offer_terms import OfferQuote, OfferTerms, cancellation_fee, quote_offer
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import (
    FREE_MARKET,
    OFFERS_HEADER_CE,
    SOLAR,
    SUBSCRIPTION,
    labels,
    reach,
    texts,
)
from tests.marketplace.factories import add_offer, add_supplier
from tests.support.consumers import offer_id

PT = translator_for("pt_BR")
DASH = "\N{EN DASH}"
FACT_SHEET_FIELDS = [
    "Tipo:",
    "Preço:",
    "Conta estimada:",
    "Fidelidade:",
    "Multa de cancelamento:",
    "Aviso prévio:",
    "Começa:",
    "Reajuste:",
    "Duas contas:",
    "Quem pode contratar:",
]
OFFER_OPTIONS = ["Pedir contato", "Como você calculou?", "Voltar às ofertas"]


def quote_at_350(sessions: sessionmaker[Session], clock: FixedClock, code: str) -> OfferQuote:
    with sessions() as session:
        enel_ce = find_distributor(session, "CE", "ENEL CE")
        quote = quote_offer(
            session,
            offer_id(session, code),
            distributor_id=enel_ce.id,
            consumption=BillAmount(Decimal("350")),
            clock=clock,
        )
    assert quote is not None
    return quote


def test_a_page_of_three_options_keeps_offer_labels_within_whatsapp_buttons(
    person: Chat,
) -> None:
    # Vitória has one offer: with "How did you calculate?" and "Change the bill amount" the
    # page has three options, which WhatsApp shows as reply buttons of 20 characters.
    replies = person.go_through("oi", "sim", "29010-000", "EDP ES", "350")

    assert labels(replies[0]) == [
        f"1. Tel… {DASH} R$ 141/mês",
        "Como você calculou?",
        "Mudar valor da conta",
    ]
    assert all(len(label) <= BUTTON_LABEL_LIMIT for label in labels(replies[0]))


def field_lines(text: str) -> list[str]:
    """The fact-sheet labels that begin the lines of `text`, in order."""
    lines = text.splitlines()
    return [label for line in lines for label in FACT_SHEET_FIELDS if line.startswith(label)]


def test_offers_come_in_one_message_ranked_by_saving(person: Chat) -> None:
    replies = reach(person, "offers")

    assert len(replies) == 1
    lines = replies[0].text.splitlines()
    assert lines[:2] == [
        OFFERS_HEADER_CE,
        "Consumo estimado: 349 kWh por mês. Conta atual: R$ 350,00.",
    ]
    assert lines[3:5] == [
        "1. Telhado Limpo Energia Solar (demo): Energia solar no seu telhado (Nordeste)",
        # 318.67 kWh above the minimum: 318.67 / 115 * 3600 = 9975.76 for the system, 166.26 a
        # month over 60 months; the energy is worth 306.18; 306.18 - 166.26 = 139.92.
        "   Energia solar própria · economia de R$ 139,92/mês (R$ 1.679,04/ano) · investimento "
        "de R$ 9.975,76 (retorno em 33 meses) · sem fidelidade · ★ 4,3",
    ]
    # Two subscriptions of one supplier, told apart by their titles.
    assert lines[5:9] == [
        "2. Sol Nascente Energia (demo): Assinatura solar no Ceará, 15% de desconto",
        "   Assinatura de energia solar · economia de R$ 45,93/mês (R$ 551,16/ano) · fidelidade "
        "de 12 meses · ★ 4,6",
        "3. Sol Nascente Energia (demo): Assinatura solar sem fidelidade no Ceará",
        "   Assinatura de energia solar · economia de R$ 30,62/mês (R$ 367,44/ano) · sem "
        "fidelidade · ★ 4,6",
    ]
    assert (
        "4. Vento Alísio Comercializadora (demo): Mercado livre no Nordeste: lista de espera"
        in (lines)
    )
    # Numbered as in the list, so unique; whole words within 24 characters, whole reais a
    # month.
    assert labels(replies[0]) == [
        f"1. Telhado {DASH} R$ 140/mês",
        f"2. Sol {DASH} R$ 46/mês",
        f"3. Sol {DASH} R$ 31/mês",
        # 348.67 kWh: 348.67 * 232.11 / 1000 / 0.75 = 107.91 less 348.67 * 195 / 1000 / 0.75
        # = 90.65, the two values as shown: 17.26.
        f"4. Vento {DASH} R$ 17/mês",
        "Como você calculou?",
        "Mudar valor da conta",
    ]
    assert (
        "   Mercado livre (lista de espera) · economia de R$ 17,26/mês (R$ 207,12/ano) · "
        "fidelidade de 24 meses · ★ 4,1"
    ) in lines


def test_offers_page_on_and_back_to_the_first(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        extra = add_supplier(session, "Jangada Solar", rating="4.0")
        for number in range(3):
            add_offer(session, extra, f"jangada-{number}", discount_pct=str(5 + number))
    reach(person, "bill")

    page_one = person.say("350")
    page_two = person.say("Ver mais")
    again = person.say("Voltar às primeiras ofertas")

    assert "Página 1 de 2." in page_one[0].text
    assert labels(page_one[0])[-3:] == ["Ver mais", "Como você calculou?", "Mudar valor da conta"]
    assert len(labels(page_one[0])) == 8
    assert "Página 2 de 2." in page_two[0].text
    assert page_two[0].text.splitlines()[3].startswith("1. ")
    assert labels(page_two[0])[-3:] == [
        "Voltar às primeiras ofertas",
        "Como você calculou?",
        "Mudar valor da conta",
    ]
    assert len(labels(page_two[0])) == 5
    assert again[0].text == page_one[0].text
    assert person.state(sessions).data["values"]["offers_page"] == 1


def test_change_the_bill_from_the_offers(person: Chat) -> None:
    reach(person, "offers")

    asked = person.say("Mudar valor da conta")
    replies = person.say("250 kWh")

    assert asked[0].text.startswith("Quanto você paga por mês")
    # The consumer gave the kWh, so the bill is the estimate, not theirs.
    assert "Consumo: 250 kWh por mês. Conta estimada: R$ 255,20." in replies[0].text


def test_no_offers_says_so_kindly_and_offers_a_way_on(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "cep")
    person.say("69900-000")  # Rio Branco, Acre: no demo offer serves it

    replies = person.say("350")

    assert replies[0].text.startswith("Ainda não encontrei ofertas para clientes da EAC")
    assert labels(replies[0]) == ["Mudar valor da conta", "Mudar CEP ou estado", "Recomeçar"]
    assert person.say("2")[0].text.startswith("Qual o seu CEP?")
    person.say("Acre")
    person.say("350")
    assert person.say("Recomeçar")[0].text == "Vamos começar de novo."


def test_the_subscription_fact_sheet(
    person: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    reach(person, "offers")

    replies = person.say(SUBSCRIPTION)

    sheet = replies[0].text
    quote = quote_at_350(sessions, clock, "SN-CE-12M")
    fee = cancellation_fee(quote.terms, quote.saving, leaving_month=6)
    assert fee is not None
    assert field_lines(sheet) == FACT_SHEET_FIELDS
    assert sheet.splitlines()[0].startswith(
        "Sol Nascente Energia (demo): Assinatura solar no Ceará"
    )
    assert "Tipo: Assinatura de energia solar" in sheet
    assert (
        "Preço: 15% de desconto sobre a energia compensada na sua conta (o consumo acima da "
        "taxa mínima de 30 kWh), com impostos"
    ) in sheet
    assert (
        "Conta estimada: R$ 304,07 por mês, somando as duas contas, em vez de R$ 350,00: você "
        "economiza R$ 45,93 por mês (R$ 551,16 por ano)"
    ) in sheet
    assert "Fidelidade: 12 meses" in sheet
    assert (
        "Multa de cancelamento: 20% das faturas da empresa que faltarem na fidelidade; se sair "
        f"no 6º mês: cerca de {PT.format_money(fee)}"
    ) in sheet
    assert "Aviso prévio: 60 dias" in sheet
    assert "Começa: 75 dias após a assinatura" in sheet
    assert "Reajuste: acompanha o reajuste anual da distribuidora" in sheet
    assert "Duas contas: sim, a da distribuidora e a da Sol Nascente Energia (demo)" in sheet
    assert (
        "Quem pode contratar: residências em CE, clientes da ENEL CE, com conta a partir de "
        "R$ 150,00"
    ) in sheet
    # This offer is signed directly: the consumer signs up, no call comes first.
    assert labels(replies[0]) == ["Quero contratar", *OFFER_OPTIONS[1:]]


def test_the_free_market_fact_sheet_is_a_waitlist(person: Chat) -> None:
    reach(person, "offers")

    replies = person.say(FREE_MARKET)

    sheet = replies[0].text
    assert field_lines(sheet) == FACT_SHEET_FIELDS
    assert sheet.splitlines()[1] == (
        "Não disponível ainda para residências: entre na lista de espera."
    )
    assert "Tipo: Mercado livre (lista de espera)" in sheet
    assert "Preço: R$ 195,00 por MWh de energia, no lugar da tarifa de energia (TE)" in sheet
    assert "Reajuste: IPCA, janeiro" in sheet
    assert labels(replies[0])[0] == "Entrar na lista de espera"


def test_the_solar_fact_sheet_sizes_the_system(person: Chat) -> None:
    reach(person, "offers")

    replies = person.say(SOLAR)

    sheet = replies[0].text
    assert field_lines(sheet) == FACT_SHEET_FIELDS
    assert (
        "Preço: R$ 3.600,00 por kWp instalado: para você, 2,77 kWp por R$ 9.975,76, que se "
        "paga em cerca de 33 meses"
    ) in sheet
    assert (
        "Conta estimada: R$ 43,82 por mês à distribuidora mais R$ 166,26 por mês pelo sistema "
        "(o preço dividido em 60 meses), em vez de R$ 350,00: você economiza R$ 139,92 por mês "
        "(R$ 1.679,04 por ano) e, depois desses meses, R$ 306,18 por mês"
    ) in sheet
    assert "Fidelidade: nenhuma, você pode sair quando quiser" in sheet
    assert "Multa de cancelamento: não há" in sheet
    assert "Aviso prévio: não exige" in sheet
    assert "Duas contas: não" in sheet


def test_how_did_you_calculate_shows_the_estimators_numbers(person: Chat) -> None:
    reach(person, "offer")  # the solar offer

    replies = person.say("Como você calculou?")

    # Every computed line is redone by hand in tests/conversations/test_consumer_explanation.py.
    assert replies[0].text.splitlines() == [
        "Como eu calculei (estimativa):",
        "Distribuidora: ENEL CE",
        "Tarifa: TE R$ 213,26 + TUSD R$ 488,49 = R$ 701,75 por MWh (REH 3.324/2026, de "
        "26/08/2026 a 21/04/2027)",
        # The bundled history ends at 09/2026: its flag is assumed, not "unpublished".
        "Bandeira tarifária de 10/2026: o histórico da ANEEL que tenho vai até 09/2026, então "
        "considerei a bandeira desse mês: amarela, R$ 18,85 por MWh",
        "Impostos considerados: PIS/COFINS 5% e ICMS 20%; os da sua conta podem ser diferentes.",
        "Iluminação pública (CIP) considerada: R$ 15,00",
        "Energia e bandeira, sem impostos: R$ 701,75 + R$ 18,85 = R$ 720,60 por MWh",
        # (350 - 15) * 0.75 * 1000 / 720.60 = 348.6677... -> 348.67 kWh.
        "Consumo, calculado a partir da sua conta: (R$ 350,00 - R$ 15,00) x (1 - 25%) x 1000 / "
        "R$ 720,60 por MWh = 348,67 kWh por mês",
        "Energia acima da taxa mínima: 348,67 kWh - 30,00 kWh = 318,67 kWh",
        # 318.67 / 115 = 2.771; * 3600 = 9975.7617... -> 9975.76.
        "Tamanho do sistema: 318,67 kWh / 115 kWh por kWp ao mês = 2,77 kWp",
        "Preço do sistema: 318,67 kWh / 115 x R$ 3.600,00 por kWp = R$ 9.975,76",
        # 318.67 * 720.60 / 1000 / 0.75 = 306.1784 -> 306.18.
        "Energia que ele gera, com impostos: 318,67 kWh x R$ 720,60/MWh / (1 - 25%) = R$ 306,18",
        "O preço em 60 meses: R$ 9.975,76 / 60 = R$ 166,26 por mês",
        "Economia enquanto você paga o sistema: R$ 306,18 - R$ 166,26 = R$ 139,92 por mês; "
        "depois dos 60 meses, R$ 306,18 por mês",
        # 9975.76 / 306.18 = 32.58 -> 33.
        "Ele se paga em cerca de 33 meses (R$ 9.975,76 / R$ 306,18, arredondado para cima).",
    ]


@pytest.mark.parametrize(
    ("pick", "ending"),
    [
        # 318.67 * 720.60 / 1000 / 0.75 = 306.18; 15 % of it = 45.927 -> 45.93.
        (
            SUBSCRIPTION,
            [
                "Energia acima da taxa mínima: 348,67 kWh - 30,00 kWh = 318,67 kWh",
                "Esta oferta: 15% de desconto sobre o valor dessa energia, creditada na sua "
                "conta.",
                "O valor dela com impostos: 318,67 kWh x R$ 720,60/MWh / (1 - 25%) = R$ 306,18",
                "Economia: 15% x R$ 306,18 = R$ 45,93 por mês",
            ],
        ),
        # 348.67 * 232.11 / 1000 / 0.75 = 107.9077 -> 107.91; at 195: 90.6542 -> 90.65.
        (
            FREE_MARKET,
            [
                "Esta oferta: a energia da comercializadora substitui a TE e a bandeira em todo o "
                "seu consumo; a tarifa de uso da rede (TUSD) continua com a distribuidora.",
                "TE e bandeira: R$ 213,26 + R$ 18,85 = R$ 232,11 por MWh",
                "Quanto custa hoje: 348,67 kWh x R$ 232,11/MWh / (1 - 25%) = R$ 107,91",
                "A energia da comercializadora: 348,67 kWh x R$ 195,00/MWh / (1 - 25%) = R$ 90,65",
                "Economia: R$ 107,91 - R$ 90,65 = R$ 17,26 por mês",
            ],
        ),
    ],
)
def test_how_did_you_calculate_ends_with_the_offers_saving(
    person: Chat, pick: str, ending: list[str]
) -> None:
    reach(person, "offers")
    person.say(pick)

    replies = person.say("2")

    assert replies[0].text.splitlines()[-len(ending) :] == ending


def test_after_the_explanation_the_offer_options_come_back(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "offer")

    replies = person.say("Como você calculou?")

    assert len(replies) == 2
    assert replies[1].text == (
        "O que você quer fazer com a oferta da Telhado Limpo Energia Solar (demo)?"
    )
    assert labels(replies[1]) == OFFER_OPTIONS
    assert person.state(sessions).state == "offer"
    assert texts(person.say("Voltar às ofertas"))[0].startswith(OFFERS_HEADER_CE)


def test_a_tariff_past_its_window_is_named_the_latest_known(
    person: Chat, clock: FixedClock
) -> None:
    clock.advance(days=200)  # May 2027: ENEL CE's REH 3.324/2026 ended on 21 April

    offers = reach(person, "offers")
    explanation = person.go_through(SOLAR, "Como você calculou?")

    assert offers[0].text.splitlines()[2] == (
        "Nenhuma tarifa está em vigor hoje; usei a mais recente (REH 3.324/2026)."
    )
    assert (
        "Nenhuma tarifa está em vigor hoje; esta é a mais recente."
        in explanation[0].text.splitlines()
    )


def terms_of(**changes: Any) -> OfferTerms:
    terms = OfferTerms(
        offer_id=1,
        kind="free_market",
        title="Mercado livre em São Paulo",
        supplier_id=1,
        supplier_name="Paulista Livre",
        response_hours=24,
        discount_pct=None,
        energy_price_rs_mwh=Decimal(250),
        price_per_kwp_brl=None,
        loyalty_months=0,
        cancellation_fee_pct=None,
        notice_days=0,
        starts_in_days=0,
        readjustment="",
        two_bills=True,
        consumer_class="residential",
        min_bill_brl=Decimal(0),
        states=("SP",),
        distributors=(),
    )
    return dataclasses.replace(terms, **changes)


def sheet_of(terms: OfferTerms) -> str:
    distributor = DistributorRef(1, "ELETROPAULO", "ELETROPAULO METROPOLITANA", "61695227000193")
    return fact_sheet(PT, OfferQuote(terms, distributor, estimate=None, saving=None))


@pytest.mark.parametrize(
    ("days", "start"),
    [
        (0, "Começa: quando o mercado livre abrir para residências"),
        (180, "Começa: quando o mercado livre abrir para residências, 180 dias após a assinatura"),
    ],
)
def test_a_waitlist_starts_when_the_free_market_opens_to_homes(days: int, start: str) -> None:
    sheet = sheet_of(terms_of(starts_in_days=days))

    assert start in sheet.splitlines()
    assert "logo após a assinatura" not in sheet


@pytest.mark.parametrize(
    ("distributors", "who"),
    [
        (("ELEKTRO",), "residências em SP, clientes da ELEKTRO"),
        (("ELEKTRO", "ENEL SP"), "residências em SP, clientes da ELEKTRO ou da ENEL SP"),
        (
            ("CPFL", "ELEKTRO", "ENEL SP"),
            "residências em SP, clientes da CPFL, da ELEKTRO ou da ENEL SP",
        ),
    ],
)
def test_the_distributors_an_offer_serves_are_joined_with_ou_da(
    distributors: tuple[str, ...], who: str
) -> None:
    sheet = sheet_of(
        terms_of(kind="subscription", discount_pct=Decimal(10), distributors=distributors)
    )

    assert f"Quem pode contratar: {who}" in sheet.splitlines()
