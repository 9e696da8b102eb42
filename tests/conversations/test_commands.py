"""Global commands in every state, wrong answers and hostile input, through the engine."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine import ConversationEngine
from conversations.events import InboundKind
from conversations.flow import END
from tests.conversations.conftest import Chat

# What to say to reach each state of the sample flow, and the question asked there.
PATHS = {
    "consent": ("hi",),
    "name": ("hi", "yes"),
    "colour": ("hi", "yes", "Ana"),
    "done": ("hi", "yes", "Ana", "1"),
}
QUESTIONS = {
    "consent": "Hello! May I keep your answers to help you?",
    "name": "What is your name?",
    "colour": "Nice to meet you, Ana! Pick a colour.",
    "done": "All set, Ana: c-blue.",
}
PREVIOUS = {"name": "consent", "colour": "name", "done": "colour"}
HELP_START = "You can answer the question, or send one of these at any time:"
STATES = list(PATHS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command", ["help", "ajuda", "/help", "AJUDA!", "/ajuda@ConnectBot"])
def test_help_explains_and_repeats_the_question(chat: Chat, state: str, command: str) -> None:
    chat.go_through(*PATHS[state])

    replies = chat.say(command)

    assert replies[0].text.startswith(HELP_START)
    assert replies[-1].text == QUESTIONS[state]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command", ["restart", "recomeçar", "Recomecar", "/start", "/restart"])
def test_restart_goes_back_to_the_greeting_and_forgets(
    chat: Chat, sessions: sessionmaker[Session], state: str, command: str
) -> None:
    chat.go_through(*PATHS[state])

    replies = chat.say(command)

    assert replies[0].text == "Let's start over."
    assert replies[-1].text == QUESTIONS["consent"]
    stored = chat.state(sessions)
    assert stored.state == "consent"
    assert stored.data["values"] == {}
    assert stored.data["history"] == []


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command", ["back", "voltar", "/voltar", "Back"])
def test_back_returns_to_the_previous_question(
    chat: Chat, sessions: sessionmaker[Session], state: str, command: str
) -> None:
    chat.go_through(*PATHS[state])

    replies = chat.say(command)

    if state == "consent":
        assert replies[0].text == "This is the first question; there is nothing before it."
        assert replies[-1].text == QUESTIONS["consent"]
    else:
        assert replies[0].text == "Okay, back to the previous question."
        assert chat.state(sessions).state == PREVIOUS[state]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command", ["cancel", "cancelar", "/cancel", "CANCELAR"])
def test_cancel_ends_politely_and_offers_to_restart(
    chat: Chat, sessions: sessionmaker[Session], state: str, command: str
) -> None:
    chat.go_through(*PATHS[state])

    replies = chat.say(command)

    assert len(replies) == 1
    assert replies[0].text.startswith("Okay, I have stopped here.")
    assert [option.id for option in replies[0].options] == ["/restart"]
    assert chat.state(sessions).state == END
    assert chat.tap("/restart")[-1].text == QUESTIONS["consent"]


def test_commands_are_understood_in_portuguese_by_default(
    chat_engine: ConversationEngine,
) -> None:
    chat = Chat(chat_engine, locale="pt_BR")
    chat.go_through("oi", "sim")

    assert chat.say("ajuda")[0].text.startswith("Você pode responder à pergunta")
    assert chat.say("voltar")[0].text == "Certo, voltando à pergunta anterior."
    assert chat.say("cancelar")[0].options[0].label == "Recomeçar"


def test_back_walks_the_whole_path_and_answers_can_change(chat: Chat) -> None:
    chat.go_through(*PATHS["done"])

    assert chat.say("back")[-1].text == QUESTIONS["colour"]
    assert chat.say("back")[-1].text == QUESTIONS["name"]
    assert chat.say("Bia")[-1].text == "Nice to meet you, Bia! Pick a colour."
    assert chat.say("verde")[-1].text == "All set, Bia: c-green."


def test_third_wrong_answer_in_a_row_offers_help(chat: Chat) -> None:
    chat.go_through(*PATHS["colour"])

    first, second, third = chat.say("purple"), chat.say("4"), chat.say("ver")

    reask = "Please choose one of the options: tap it, or type its number (for example 1)."
    assert [reply.text for reply in first] == [reask]
    assert [reply.text for reply in second] == [reask]
    assert third[0].text == reask
    assert third[-1].text.startswith("Having trouble?")
    assert [option.id for option in third[-1].options] == ["/help"]
    assert chat.tap("/help")[0].text.startswith(HELP_START)


def test_a_good_answer_resets_the_count_of_wrong_ones(chat: Chat) -> None:
    chat.go_through(*PATHS["name"])
    chat.say("1")
    chat.say("2")

    chat.say("Ana")

    assert len(chat.say("purple")) == 1
    assert len(chat.say("pink")) == 1
    assert len(chat.say("grey")) == 2


HOSTILE = [
    pytest.param("", id="empty"),
    pytest.param("   \n\t ", id="blank"),
    pytest.param("x" * 100_000, id="100 KB"),
    pytest.param("\x00\x01\x1b[31m\x7f", id="control characters only"),
    pytest.param("\U0001f642\U0001f525\u200d", id="emoji"),
    pytest.param("\u0645\u0631\u062d\u0628\u0627 \u202eevil", id="right to left"),
    pytest.param("'; DROP TABLE conversations; --", id="SQL"),
    pytest.param("\ud800 broken surrogate", id="lone surrogate"),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_a_polite_reask(
    chat: Chat, sessions: sessionmaker[Session], engine: Engine, text: str
) -> None:
    chat.go_through(*PATHS["colour"])

    replies = chat.say(text)

    assert len(replies) == 1
    assert replies[0].text.endswith("?") or replies[0].text.startswith("Please choose")
    assert len(replies[0].text) < 200
    assert [option.id for option in replies[0].options] == ["c-blue", "c-green", "c-red"]
    assert chat.state(sessions).state == "colour"
    assert inspect(engine).has_table("conversations")


def test_a_button_from_another_question_repeats_the_current_one(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    chat.go_through(*PATHS["colour"])

    replies = chat.tap("yes")

    assert replies[0].text == "That button belongs to an earlier question. The question now is:"
    assert replies[-1].text == QUESTIONS["colour"]
    assert chat.state(sessions).state == "colour"


@pytest.mark.parametrize("option_id", ["c-" + "z" * 5000, "\x00\ud800", "", "/nonsense"])
def test_a_forged_option_id_is_refused_politely(chat: Chat, option_id: str) -> None:
    chat.go_through(*PATHS["colour"])

    outcome = chat.send(chat.event(kind=InboundKind.OPTION, option_id=option_id))

    assert outcome.replies[-1].text == QUESTIONS["colour"]


def test_text_that_only_looks_like_a_command_is_an_answer(chat: Chat) -> None:
    chat.go_through(*PATHS["name"])

    replies = chat.say("Helpina")

    assert replies[-1].text == "Nice to meet you, Helpina! Pick a colour."
