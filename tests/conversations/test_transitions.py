"""What a step can do with a transition: remember, forget, notify, cut the way back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.errors import InvalidAnswer
from conversations.events import Reply
from conversations.flow import AskContext, Flow, Notification, Step, StepContext, Transition
from marketplace.models import OutboxMessage
from tests.conversations.conftest import Chat, EngineFactory


def _ask_code(context: AskContext) -> Reply:
    return Reply("Your code?")


def _handle_code(context: StepContext) -> Transition:
    if not context.text.isdigit():
        raise InvalidAnswer("Type digits only, for example 1234.")
    return Transition("confirm", data={"code": context.text, "draft": True})


def _help_code(context: AskContext) -> str:
    return "The code is on your invitation."


def _ask_confirm(context: AskContext) -> Reply:
    return Reply(f"Send {context.data['code']}?")


def _handle_confirm(context: StepContext) -> Transition:
    notice = Notification("supplier-chat", "agent-7", Reply(f"New code {context.data['code']}"))
    return Transition(
        "sent",
        replies=(Reply("Sent."),),
        forget=("draft",),
        notify=(notice,),
        forget_history=True,
    )


def _ask_sent(context: AskContext) -> Reply:
    return Reply("Anything else?")


def _handle_sent(context: StepContext) -> Transition:
    return Transition("sent")


CODES = Flow(
    name="codes",
    start="code",
    steps={
        "code": Step(ask=_ask_code, handle=_handle_code, goes_to=("confirm",), help=_help_code),
        "confirm": Step(ask=_ask_confirm, handle=_handle_confirm, goes_to=("sent",)),
        "sent": Step(ask=_ask_sent, handle=_handle_sent, goes_to=("sent",)),
    },
)


def test_invalid_answer_from_a_parser_is_a_polite_reask(make_chat_engine: EngineFactory) -> None:
    chat = Chat(make_chat_engine(CODES), locale="en")
    chat.say("hi")

    replies = [chat.say("abc"), chat.say("xyz"), chat.say("no")]

    assert [reply[0].text for reply in replies] == ["Type digits only, for example 1234."] * 3
    assert replies[2][-1].text.startswith("Having trouble?")


def test_step_help_comes_before_the_list_of_commands(make_chat_engine: EngineFactory) -> None:
    chat = Chat(make_chat_engine(CODES), locale="en")
    chat.say("hi")

    replies = chat.say("help")

    assert replies[0].text.startswith("The code is on your invitation.\n\nYou can answer")
    assert replies[-1].text == "Your code?"


def test_transition_replies_come_before_the_next_question_and_data_is_forgotten(
    make_chat_engine: EngineFactory, sessions: sessionmaker[Session]
) -> None:
    chat = Chat(make_chat_engine(CODES), locale="en")
    chat.go_through("hi", "1234")

    replies = chat.say("yes")

    assert [reply.text for reply in replies] == ["Sent.", "Anything else?"]
    assert chat.state(sessions).data["values"] == {"code": "1234"}


def test_notifications_go_to_the_outbox_but_not_to_the_person(
    make_chat_engine: EngineFactory, sessions: sessionmaker[Session]
) -> None:
    chat = Chat(make_chat_engine(CODES), locale="en")
    chat.go_through("hi", "1234")

    outcome = chat.send(chat.event("yes"))

    with sessions() as session:
        notes = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "notification")
        ).all()
    assert [(n.channel, n.recipient, n.payload["text"]) for n in notes] == [
        ("supplier-chat", "agent-7", "New code 1234")
    ]
    assert notes[0].id not in outcome.outbox_ids
    assert len(outcome.outbox_ids) == len(outcome.replies) == 2


def test_back_cannot_cross_a_forgotten_history(make_chat_engine: EngineFactory) -> None:
    chat = Chat(make_chat_engine(CODES), locale="en")
    chat.go_through("hi", "1234", "yes")

    replies = chat.say("back")

    # Not the flow's first question, though nothing before it can be reached.
    assert replies[0].text == "It is not possible to go back any further from here."
    assert replies[-1].text == "Anything else?"
