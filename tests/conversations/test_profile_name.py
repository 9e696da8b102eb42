"""Questions see the profile name a channel sent with the message that led to them."""

from __future__ import annotations

from conversations.events import Reply
from conversations.flow import AskContext, Flow, Reask, Step, StepContext
from tests.conversations.conftest import Chat, EngineFactory


def ask_greeting(context: AskContext) -> Reply:
    """Greet by the profile name when there is one."""
    return Reply(f"Hello, {context.user_name or 'stranger'}!")


def handle_greeting(context: StepContext) -> Reask:
    """Stay here."""
    return Reask("Still here.")


GREETER = Flow(
    name="greeter",
    start="greeting",
    steps={"greeting": Step(ask=ask_greeting, handle=handle_greeting)},
)


def test_the_first_question_sees_the_profile_name(make_chat_engine: EngineFactory) -> None:
    chat = Chat(make_chat_engine(GREETER), locale="en")

    replies = chat.send(chat.event("hi", user_name="Maria Silva")).replies

    assert [reply.text for reply in replies] == ["Hello, Maria Silva!"]


def test_without_a_profile_name_the_question_gets_none(make_chat_engine: EngineFactory) -> None:
    chat = Chat(make_chat_engine(GREETER), locale="en")

    assert chat.say("hi")[0].text == "Hello, stranger!"
