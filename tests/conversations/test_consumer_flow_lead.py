"""From an offer to a recorded lead: share consent, name, contact, once per offer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conversations.events import InboundKind
from marketplace.consents import PRIVACY_TERMS, SHARE_WITH_SUPPLIER
from marketplace.leads import LeadStatus
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import (
    FREE_MARKET,
    NAME_QUESTION,
    OFFERS_HEADER_CE,
    SHARE_QUESTION,
    consents,
    labels,
    leads,
    reach,
    supplier_id,
    texts,
)

TELHADO = "Telhado Limpo Energia Solar (demo)"
CONTACT_QUESTION = (
    f"Qual telefone (com DDD) ou e-mail a {TELHADO} pode usar para falar com você? Por "
    "exemplo (85) 99999-1234."
)
DONE = (
    f"Pronto! A {TELHADO} vai entrar em contato em até 8 horas.\n"
    "Enquanto isso, você pode ver outras ofertas ou recomeçar."
)


def test_the_fortaleza_journey_typed_the_way_people_type(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    said = [
        person.say(text)
        for text in ("oi", "sim", "60110000", "uns 350", "1", "quero", "sim", "Maria Silva")
    ]
    last = person.say("(85) 99999-1234")

    assert texts(said[2]) == ["Sua distribuidora é a ENEL CE.", said[2][1].text]
    assert said[3][0].text.startswith(OFFERS_HEADER_CE)
    assert said[4][0].text.startswith(f"{TELHADO}: Energia solar no seu telhado")
    assert texts(said[5]) == [SHARE_QUESTION]
    assert texts(said[6]) == [NAME_QUESTION]
    assert texts(said[7]) == [CONTACT_QUESTION]
    assert texts(last) == [DONE]
    assert labels(last[0]) == ["Ver outras ofertas", "Recomeçar"]

    (lead,) = leads(sessions)
    telhado = supplier_id(sessions, TELHADO)
    assert (lead.supplier_id, lead.status) == (telhado, LeadStatus.NEW)
    assert (lead.contact_name, lead.contact_phone, lead.contact_email) == (
        "Maria Silva",
        "+5585999991234",
        None,
    )
    assert (lead.uf, lead.bill_brl, lead.monthly_kwh) == (
        "CE",
        Decimal("350.00"),
        Decimal("348.7"),
    )
    assert lead.monthly_saving_brl == Decimal("139.92")  # net of the system price
    privacy, share = consents(sessions)
    assert (privacy.purpose, privacy.supplier_id) == (PRIVACY_TERMS, None)
    assert (share.purpose, share.supplier_id, share.id) == (
        SHARE_WITH_SUPPLIER,
        telhado,
        lead.consent_id,
    )


def test_the_name_and_contact_do_not_linger_in_the_conversation(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "done")

    stored = person.state(sessions)

    assert "Maria" not in repr(stored.data)
    assert "99999" not in repr(stored.data)
    assert stored.data["history"] == []  # "voltar" cannot re-send the lead


def test_a_sao_paulo_consumer_gets_a_phone_example_with_a_sao_paulo_area_code(
    person: Chat,
) -> None:
    replies = person.go_through(
        *("oi", "sim", "01310-100", "ENEL SP", "350", "1", "quero", "sim", "Maria Silva")
    )

    assert replies[-1].text.endswith("Por exemplo (11) 99999-1234.")
    assert "por exemplo (11) 99999-1234," in person.say("1234")[0].text


def test_back_after_the_lead_cannot_resend_it(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "done")

    replies = person.say("voltar")

    assert replies[0].text == "Não é possível voltar mais a partir daqui."
    assert replies[-1].text == DONE
    assert len(leads(sessions)) == 1


def test_declining_to_share_goes_back_to_the_offers_and_sends_nothing(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "share_consent")

    replies = person.say("Não")

    assert replies[0].text == f"Tudo bem, nada foi enviado à {TELHADO}."
    assert replies[1].text.startswith(OFFERS_HEADER_CE)
    assert leads(sessions) == []
    assert [consent.purpose for consent in consents(sessions)] == [PRIVACY_TERMS]


def test_the_share_question_wants_yes_or_no(person: Chat) -> None:
    reach(person, "share_consent")

    replies = person.say("depende")

    assert texts(replies) == ['Por favor, responda "sim" ou "não".']
    assert labels(replies[0]) == ["Sim, autorizo", "Não"]


def test_the_waitlist_is_a_lead_too(person: Chat, sessions: sessionmaker[Session]) -> None:
    reach(person, "offers")
    person.say(FREE_MARKET)

    asked = person.say("Entrar na lista de espera")
    person.go_through("sim", "Maria Silva")
    done = person.say("maria@example.com")

    assert asked[0].text.startswith("Para colocar você na lista de espera da Vento Alísio")
    assert done[0].text.startswith(
        "Pronto! Você está na lista de espera da Vento Alísio Comercializadora (demo)"
    )
    (lead,) = leads(sessions)
    assert (lead.status, lead.contact_email, lead.contact_phone) == (
        LeadStatus.WAITLIST,
        "maria@example.com",
        None,
    )


@pytest.mark.parametrize(
    ("typed", "reask"),
    [
        ("A", "Isso parece curto demais para um nome."),
        ("85999991234", "Nome não tem números."),
        ("https://promo.example", "Por favor, digite só o seu nome, sem links nem e-mails"),
        ("maria@example.com", "Por favor, digite só o seu nome, sem links nem e-mails"),
        ("Maria " * 20, "Isso é longo demais para um nome."),
        ("<b>Maria</b>", "Por favor, digite só o seu nome, com letras"),
    ],
)
def test_names_are_checked(
    person: Chat, sessions: sessionmaker[Session], typed: str, reask: str
) -> None:
    reach(person, "name")

    replies = person.say(typed)

    assert replies[0].text.startswith(reask)
    assert "por exemplo Maria Silva" in replies[0].text
    assert person.state(sessions).state == "name"


@pytest.mark.parametrize(
    ("typed", "reask"),
    [
        ("amanhã", "Não entendi. Digite um telefone com DDD"),
        ("99999-1234", "Esse telefone parece incompleto."),
        ("(85) 8999-12345", "Esse telefone parece incompleto."),
        ("(20) 99999-1234", "Esse DDD não existe."),
        ("maria@", "Esse e-mail não parece certo."),
    ],
)
def test_contacts_are_checked(
    person: Chat, sessions: sessionmaker[Session], typed: str, reask: str
) -> None:
    reach(person, "contact")

    replies = person.say(typed)

    assert replies[0].text.startswith(reask)
    assert "por exemplo" in replies[0].text
    assert person.state(sessions).state == "contact"
    assert leads(sessions) == []


@pytest.mark.parametrize(
    ("typed", "phone", "email"),
    [
        ("85999991234", "+5585999991234", None),
        ("+55 85 99999-1234", "+5585999991234", None),
        ("(85) 3234-5678", "+558532345678", None),
        ("Maria.Silva@Example.com", None, "Maria.Silva@example.com"),
    ],
)
def test_phones_and_emails_are_accepted_as_written(
    person: Chat, sessions: sessionmaker[Session], typed: str, phone: str, email: str
) -> None:
    reach(person, "contact")

    person.say(typed)

    (lead,) = leads(sessions)
    assert (lead.contact_phone, lead.contact_email) == (phone, email)


def test_a_phone_the_channel_shared_is_offered(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "share_consent")
    person.send(person.event("sim", phone="+55 (85) 98888-7777"))

    asked = person.say("Maria Silva")
    person.tap("use-phone")

    assert labels(asked[0]) == ["Usar (85) 98888-7777"]
    assert leads(sessions)[0].contact_phone == "+5585988887777"


def test_a_shared_contact_card_answers_the_contact_question(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "contact")

    replies = person.send(person.event(kind=InboundKind.CONTACT, phone="5585977776666")).replies

    assert replies[0].text.startswith("Pronto!")
    assert leads(sessions)[0].contact_phone == "+5585977776666"


def test_asking_again_for_the_same_offer_says_it_exists(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "done")
    person.go_through("Ver outras ofertas", "1")

    replies = person.say("Pedir contato")

    assert replies[0].text == (
        f"Você já pediu contato à {TELHADO} sobre esta oferta em 15 de out. de 2026. Ela "
        "costuma responder em até 8 horas."
    )
    assert labels(replies[-1]) == [
        "Pedir contato",
        "Como você calculou?",
        "Voltar às ofertas",
    ]
    assert person.state(sessions).state == "offer"
    assert len(leads(sessions)) == 1


def test_restarting_and_asking_again_still_makes_one_lead(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "done")

    person.say("recomeçar")
    reach(person, "offer")
    replies = person.say("quero")

    assert replies[0].text.startswith(f"Você já pediu contato à {TELHADO}")
    assert len(leads(sessions)) == 1
    assert len([c for c in consents(sessions) if c.purpose == PRIVACY_TERMS]) == 1


def test_another_offer_makes_another_lead(person: Chat, sessions: sessionmaker[Session]) -> None:
    reach(person, "done")
    person.go_through("Ver outras ofertas", "2", "quero", "sim", "Maria Silva")

    replies = person.say("(85) 99999-1234")

    assert replies[0].text.startswith(
        "Pronto! A Sol Nascente Energia (demo) vai entrar em contato"
    )
    assert [lead.supplier_id for lead in leads(sessions)] == [
        supplier_id(sessions, TELHADO),
        supplier_id(sessions, "Sol Nascente Energia (demo)"),
    ]
    assert [c.supplier_id for c in consents(sessions) if c.purpose == SHARE_WITH_SUPPLIER] == [
        supplier_id(sessions, TELHADO),
        supplier_id(sessions, "Sol Nascente Energia (demo)"),
    ]


def test_an_offer_signed_directly_is_asked_for_as_a_sign_up_not_a_call(person: Chat) -> None:
    offer = person.go_through("oi", "sim", "60110-000", "350", "2")[-1]
    consent = person.say("quero")[-1]

    assert offer.options[0].label == "Quero contratar"
    assert consent.text.startswith("Para preparar o seu contrato com a Sol Nascente")
    assert "entrar em contato" not in consent.text
