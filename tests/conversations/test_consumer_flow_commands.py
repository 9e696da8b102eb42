"""The consumer flow under pressure: global commands in every state, help after three wrong
answers, hostile text at every prompt, a restart of the engine mid-flow, other languages."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conversations.consumer_flow import CONSUMER
from conversations.engine import ConversationEngine
from conversations.flow import END
from marketplace.db import make_engine, make_session_factory
from tests.conversations.conftest import Chat, EngineFactory
from tests.conversations.consumer_support import (
    GREETING_START,
    HELP_COMMANDS,
    OFFERS_HEADER_CE,
    PATHS,
    STATES,
    labels,
    leads,
    reach,
    texts,
)

PREVIOUS = {
    "cep": "consent",
    "state": "cep",
    "distributor": "cep",
    "distributor_other": "distributor",
    "bill": "cep",
    "offers": "bill",
    "offer": "offers",
    "share_consent": "offer",
    "name": "share_consent",
    "contact": "name",
}
HOSTILE = (
    "'; DROP TABLE leads; --",
    "<script>alert(1)</script>",
    "\u202egnp.exe\u202c",
    "\x00\x01\x1b[2J",
    "\ud800",
    "😀" * 30,
    "{supplier}{0}%s%n{{",
    "A" * 2500,
    "   ",
    "9" * 300,
    "../../etc/passwd",
    "SELECT * FROM consumers",
)


@pytest.mark.parametrize("state", STATES)
def test_help_explains_this_question_then_asks_it_again(person: Chat, state: str) -> None:
    question = reach(person, state)[-1]

    replies = person.say("ajuda")

    assert HELP_COMMANDS in replies[0].text
    assert not replies[0].text.startswith(HELP_COMMANDS)  # each step says something of its own
    assert replies[-1] == question


@pytest.mark.parametrize("state", [state for state in STATES if state in PREVIOUS])
def test_back_returns_to_the_previous_question(
    person: Chat, sessions: sessionmaker[Session], state: str
) -> None:
    reach(person, state)

    replies = person.say("voltar")

    assert replies[0].text == "Certo, voltando à pergunta anterior."
    assert person.state(sessions).state == PREVIOUS[state]


@pytest.mark.parametrize("state", STATES)
def test_restart_starts_over_from_the_greeting(
    person: Chat, sessions: sessionmaker[Session], state: str
) -> None:
    reach(person, state)

    replies = person.say("recomeçar")

    assert replies[0].text == "Vamos começar de novo."
    assert replies[-1].text.startswith(GREETING_START)
    stored = person.state(sessions)
    assert (stored.state, stored.data["values"], stored.data["history"]) == ("consent", {}, [])


@pytest.mark.parametrize("state", STATES)
def test_cancel_stops_and_any_message_begins_again(
    person: Chat, sessions: sessionmaker[Session], state: str
) -> None:
    reach(person, state)

    replies = person.say("cancelar")

    assert replies[0].text.startswith("Tudo bem, parei por aqui.")
    assert person.state(sessions).state == END
    assert person.say("oi")[0].text.startswith(GREETING_START)


@pytest.mark.parametrize(("state", "wrong"), [("cep", "abc"), ("bill", "muito"), ("offers", "x")])
def test_the_third_wrong_answer_in_a_row_offers_help(person: Chat, state: str, wrong: str) -> None:
    reach(person, state)

    first, second, third = person.say(wrong), person.say(wrong), person.say(wrong)

    assert len(first) == len(second) == 1
    assert [reply.text for reply in third][1] == (
        'Está com dificuldade? Toque em "Ajuda" para ver o que eu entendo, envie "voltar" para '
        'mudar a resposta anterior ou "recomeçar" para começar de novo.'
    )
    assert labels(third[1]) == ["Ajuda"]
    assert person.tap("/help")[0].text.endswith('"cancelar": para por aqui')


def test_where_options_are_typed_the_engine_says_type_not_tap(
    consumer_engine: ConversationEngine,
) -> None:
    # The terminal lists options numbered (InboundEvent.buttons false): nothing to tap.
    typist = Chat(consumer_engine, chat_id="local-typist", channel="terminal", locale="pt_BR")

    def say(text: str) -> list[str]:
        return texts(list(typist.send(typist.event(text, buttons=False)).replies))

    for text in PATHS["offers"]:
        say(text)
    first, _second, third = say("x"), say("x"), say("x")

    assert first == ["Por favor, escolha uma das opções digitando o número dela (por exemplo 1)."]
    assert third[1] == (
        'Está com dificuldade? Envie "ajuda" para ver o que eu entendo, "voltar" para mudar a '
        'resposta anterior ou "recomeçar" para começar de novo.'
    )
    assert say("cancelar") == [
        "Tudo bem, parei por aqui. Quando quiser, mande qualquer mensagem para começar de novo."
    ]


@pytest.mark.parametrize("state", STATES)
def test_hostile_text_gets_a_polite_re_ask_at_every_prompt(
    person: Chat, sessions: sessionmaker[Session], state: str
) -> None:
    reach(person, state)

    for text in HOSTILE:
        replies = person.say(text)

        assert replies, text
        assert all(reply.text for reply in replies), text
        assert person.state(sessions).state == state, text
    assert len(leads(sessions)) == (1 if state == "done" else 0)


@pytest.mark.parametrize("state", ["bill", "contact"])
def test_a_new_engine_on_the_same_database_resumes_mid_flow(
    database_url: str,
    make_chat_engine: EngineFactory,
    consumer_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    state: str,
) -> None:
    reach(Chat(consumer_engine, locale="pt_BR"), state)

    other = make_engine(database_url)
    try:
        restarted = make_chat_engine(CONSUMER, sessions=make_session_factory(other))
        replies = Chat(restarted, locale="pt_BR").say(
            "350" if state == "bill" else "(85) 99999-1234"
        )
    finally:
        other.dispose()

    if state == "bill":
        assert replies[0].text.startswith(OFFERS_HEADER_CE)
    else:
        assert replies[0].text.startswith("Pronto!")
        assert len(leads(sessions)) == 1


def test_the_flow_speaks_english(consumer_engine: ConversationEngine) -> None:
    chat = Chat(consumer_engine, chat_id="en-1", locale="en-US")

    greeting = chat.say("hi")
    cep = chat.say("yes")
    chat.say("60110-000")
    offers = chat.say("350")

    assert greeting[0].text.startswith("Hello! I am Connect Energy.")
    assert labels(greeting[0]) == ["I agree", "No, thanks", "Read the policy"]
    assert cep[0].text.startswith("What is your CEP?")
    assert "Current bill: R$ 350.00." in offers[0].text
    assert "saves R$ 139.92 a month (R$ 1,679.04 a year)" in offers[0].text
    # Contract words as English contracts say them, not as translated from "fidelidade" and
    # "reajuste".
    assert "12-month minimum term" in offers[0].text
    assert "loyalty" not in offers[0].text
    sheet = chat.say("2")[0].text
    assert "Minimum term: 12 months" in sheet
    assert "Price adjustment: " in sheet
    assert "of the supplier bills left in the minimum term" in sheet
    assert "Loyalty" not in sheet
    assert "Readjustment" not in sheet


def test_the_flow_speaks_spanish(consumer_engine: ConversationEngine) -> None:
    chat = Chat(consumer_engine, chat_id="es-1", locale="es-AR")

    greeting = chat.say("hola")
    cep = chat.say("sí")
    chat.say("60110-000")
    offers = chat.say("350")

    assert greeting[0].text.startswith("¡Hola! Soy Connect Energy.")
    assert labels(greeting[0]) == ["Acepto", "No, gracias", "Leer la política"]
    assert texts(cep) == [
        "¿Cuál es tu CEP? Por ejemplo 60110-000. Si prefieres, dime solo tu estado."
    ]
    assert "ahorra R$ 139,92 al mes (R$ 1.679,04 al año)" in offers[0].text


def test_every_state_of_the_table_is_reached_by_the_paths() -> None:
    # "answer" is reached only by the button of a supplier's question (test_supplier_leads),
    # "withdraw" only with a signed contract (test_contract_chat).
    assert set(PATHS) == set(CONSUMER.steps) - {"answer", "withdraw"}
