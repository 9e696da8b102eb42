"""Where the consumer lives: CEP in any form, a state instead, and the distributor."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import (
    BILL_QUESTION_CE,
    CEP_QUESTION,
    ENEL_CE_FOUND,
    labels,
    reach,
    texts,
)

SP_QUESTION = (
    "São Paulo tem várias distribuidoras. Qual distribuidora aparece na sua conta de luz? "
    "Toque nela ou digite o nome."
)
SP_TOP = ["ENEL SP", "CPFL-PAULISTA", "ELEKTRO", "EDP SP", "Outra"]
SP_OTHERS_FIRST = [
    *("CPFL-PIRATINING", "ESS", "CPFL Santa Cruz", "CETRIL", "CEMIRIM", "CERIM", "CERRP"),
    *("CERIPa", "Mais"),
]
SP_OTHERS_LAST = ["CEDRAP", "CERIS", "CERNHE", "CERVAM", "CEDRI", "CERMC", "CERPRO"]


def bill_question(distributor: str) -> str:
    return (
        f"Quanto você paga por mês, em média, na conta da {distributor}? Digite o valor em "
        "reais (por exemplo 350) ou o consumo em kWh (por exemplo 250 kWh)."
    )


@pytest.mark.parametrize(
    "cep", ["60110-000", "60110000", "60.110-000", "meu cep é 60110-000", "CEP 60110 000"]
)
def test_a_cep_in_any_form_leads_to_the_only_distributor(
    person: Chat, sessions: sessionmaker[Session], cep: str
) -> None:
    reach(person, "cep")

    replies = person.say(cep)

    assert texts(replies) == [ENEL_CE_FOUND, BILL_QUESTION_CE]
    stored = person.state(sessions)
    assert stored.state == "bill"
    assert stored.data["values"]["uf"] == "CE"


@pytest.mark.parametrize("place", ["Ceará", "ceara", "CE", "moro no Ceará", "sou do CE"])
def test_a_state_instead_of_a_cep(person: Chat, place: str) -> None:
    reach(person, "cep")

    assert texts(person.say(place)) == [ENEL_CE_FOUND, BILL_QUESTION_CE]


@pytest.mark.parametrize(
    ("place", "state"),
    [("sao paulo", "São Paulo"), ("SP", "São Paulo"), ("moro em sp", "São Paulo")],
)
def test_a_state_with_several_distributors_asks_which(
    person: Chat, place: str, state: str
) -> None:
    reach(person, "cep")

    replies = person.say(place)

    assert texts(replies) == [SP_QUESTION.replace("São Paulo", state)]
    assert labels(replies[0]) == SP_TOP


def test_moro_no_rj_asks_among_rios_distributors(person: Chat) -> None:
    reach(person, "cep")

    replies = person.say("moro no RJ")

    assert replies[0].text.startswith("Rio de Janeiro tem várias distribuidoras.")
    assert labels(replies[0]) == ["Light", "ENEL RJ", "EMR", "CERCI", "Outra"]


def test_no_cep_asks_for_the_state(person: Chat, sessions: sessionmaker[Session]) -> None:
    reach(person, "cep")

    asked = person.say("Não sei meu CEP")
    found = person.say("Ceará")

    assert texts(asked) == ["Em qual estado você mora? Por exemplo: Ceará, SP ou Bahia."]
    assert texts(found) == [ENEL_CE_FOUND, BILL_QUESTION_CE]
    assert person.state(sessions).data["history"] == ["consent", "cep", "state"]


def test_the_state_question_re_asks_with_an_example(person: Chat) -> None:
    reach(person, "state")

    replies = person.say("Atlântida")

    assert texts(replies) == [
        "Não reconheci o estado. Digite o nome ou a sigla, por exemplo Ceará ou CE."
    ]
    assert texts(person.say("60110-000")) == [ENEL_CE_FOUND, BILL_QUESTION_CE]


@pytest.mark.parametrize(
    ("text", "reask"),
    [
        ("10000-000", "Não encontrei o CEP 10000-000 em nenhum estado."),
        ("00999-999", "Não encontrei o CEP 00999-999 em nenhum estado."),
        ("123", "Não entendi o CEP. Digite 8 números, por exemplo 01310-100."),
        ("013101000", "Não entendi o CEP. Digite 8 números, por exemplo 01310-100."),
        ("moro perto da praia", "Não entendi. Digite o seu CEP, por exemplo 01310-100,"),
    ],
)
def test_unknown_or_malformed_ceps_are_asked_again_with_an_example(
    person: Chat, sessions: sessionmaker[Session], text: str, reask: str
) -> None:
    reach(person, "cep")

    replies = person.say(text)

    assert len(replies) == 1
    assert replies[0].text.startswith(reask)
    assert "por exemplo" in replies[0].text
    assert labels(replies[0]) == ["Não sei meu CEP"]
    assert person.state(sessions).state == "cep"


def test_picking_from_the_largest_distributors(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "distributor")

    replies = person.say("2")

    assert texts(replies) == [bill_question("CPFL-PAULISTA")]
    assert person.state(sessions).state == "bill"


def test_other_pages_through_the_rest_and_picks(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "distributor")

    first = person.say("Outra")
    last = person.say("Mais")
    picked = person.say("CERIS")

    assert first[0].text == (
        "As outras distribuidoras de São Paulo (página 1 de 2). Toque na sua ou digite o "
        "nome dela."
    )
    assert labels(first[0]) == SP_OTHERS_FIRST
    assert labels(last[0]) == SP_OTHERS_LAST
    assert texts(picked) == [bill_question("CERIS")]
    # Turning pages stays in one state, so "voltar" goes back to the largest ones.
    assert person.state(sessions).data["history"][-2:] == ["distributor", "distributor_other"]


def test_back_from_the_other_distributors_shows_the_largest_again(person: Chat) -> None:
    reach(person, "distributor_other")
    person.say("Mais")

    replies = person.say("voltar")

    assert labels(replies[-1]) == SP_TOP


@pytest.mark.parametrize(
    ("typed", "distributor"),
    [
        ("eletropaulo", "ENEL SP"),
        ("Enel", "ENEL SP"),
        ("cpfl paulista", "CPFL-PAULISTA"),
        ("EDP-SP", "EDP SP"),
        ("cerpro", "CERPRO"),
    ],
)
def test_typing_a_sigla_or_name_picks_the_distributor(
    person: Chat, typed: str, distributor: str
) -> None:
    reach(person, "distributor")

    assert texts(person.say(typed)) == [bill_question(distributor)]


def test_typing_a_sigla_works_among_the_others_too(person: Chat) -> None:
    reach(person, "distributor_other")

    assert texts(person.say("CEDRI")) == [bill_question("CEDRI")]


def test_ambiguous_and_unknown_distributors_are_asked_again(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "distributor")

    ambiguous = person.say("cooperativa")
    unknown = person.say("Companhia de Luz de Marte")

    assert ambiguous[0].text.startswith("Várias distribuidoras combinam: ")
    assert ambiguous[0].text.endswith(". Digite o nome completo da sua.")
    assert unknown[0].text == (
        "Não encontrei essa distribuidora. Toque numa das opções ou digite o nome que aparece "
        "na sua conta, por exemplo ENEL SP."
    )
    assert labels(unknown[0]) == SP_TOP
    assert person.state(sessions).state == "distributor"


def test_changing_the_place_from_the_bill_question(person: Chat) -> None:
    reach(person, "bill")

    back = person.say("voltar")
    moved = person.say("01310-100")

    assert texts(back) == ["Certo, voltando à pergunta anterior.", CEP_QUESTION]
    assert labels(moved[0]) == SP_TOP
