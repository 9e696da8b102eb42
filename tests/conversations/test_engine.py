"""The engine end to end on a real database: one transaction per message, redeliveries,
resuming after a restart, failures that record nothing, batches."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine import ConversationEngine
from conversations.errors import InvalidEvent, StepFailed
from conversations.events import InboundEvent, InboundKind, Reply
from conversations.flow import END, Flow, Step, StepContext, Transition
from marketplace.clock import FixedClock
from marketplace.db import make_engine, make_session_factory
from marketplace.models import ChannelIdentity, Consumer, OutboxMessage
from marketplace.transcripts import SqlTranscriptStore
from tests.conversations.conftest import Chat, EngineFactory, count_rows
from tests.conversations.sample_flow import SAMPLE_FLOW

GREETING = "Hello! May I keep your answers to help you?"


def test_first_message_greets_and_creates_consumer_and_identity(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    replies = chat.say("oi")

    assert [reply.text for reply in replies] == [GREETING]
    assert [option.label for option in replies[0].options] == ["Yes", "No"]
    conversation = chat.state(sessions)
    assert (conversation.flow, conversation.state, conversation.locale) == (
        "sample",
        "consent",
        "en",
    )
    with sessions() as session:
        identity = session.scalars(select(ChannelIdentity)).one()
        consumer = session.get(Consumer, identity.consumer_id)
    assert identity.external_id == chat.chat_id
    assert identity.last_inbound_at is not None
    assert consumer is not None
    assert conversation.consumer_id == consumer.id


def test_repeated_message_id_gets_the_first_answer_and_writes_nothing(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    chat.say("hi")
    event = chat.event("yes")
    first = chat.send(event)
    before = count_rows(sessions)

    repeat = chat.send(event)

    assert repeat.duplicate
    assert not first.duplicate
    assert repeat.replies == first.replies
    assert repeat.outbox_ids == first.outbox_ids
    assert repeat.conversation_id == first.conversation_id
    assert count_rows(sessions) == before
    assert chat.state(sessions).state == "name"


def test_replies_go_to_the_outbox_and_the_transcript(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    chat.say("hi")
    outcome = chat.send(chat.event("yes"))

    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        history = SqlTranscriptStore().history(session, outcome.conversation_id)
    latest = [row for row in rows if row.id in outcome.outbox_ids]
    assert [row.payload for row in latest] == [reply.to_payload() for reply in outcome.replies]
    assert {(row.channel, row.recipient, row.status) for row in latest} == {
        ("test", chat.chat_id, "pending")
    }
    assert latest[0].inbound_message_id is not None
    assert [(line.direction, line.body.get("text")) for line in history] == [
        ("in", "hi"),
        ("out", GREETING),
        ("in", "yes"),
        ("out", "What is your name?"),
    ]


def test_a_new_engine_on_the_same_database_resumes_mid_conversation(
    database_url: str, make_chat_engine: EngineFactory
) -> None:
    Chat(make_chat_engine(), locale="en").go_through("hi", "yes")

    other_engine = make_engine(database_url)
    try:
        restarted = make_chat_engine(sessions=make_session_factory(other_engine))
        replies = Chat(restarted, locale="en").say("Ana")
    finally:
        other_engine.dispose()

    assert replies[-1].text == "Nice to meet you, Ana! Pick a colour."


def test_options_are_picked_by_tap_number_label_or_prefix(chat: Chat) -> None:
    chat.go_through("hi", "yes", "Ana")

    assert chat.tap("c-red")[-1].text == "All set, Ana: c-red."
    chat.go_through("restart", "yes", "Ana")
    assert chat.say("2")[-1].text == "All set, Ana: c-green."
    chat.go_through("restart", "yes", "Ana")
    assert chat.say("  VERMELHO! ")[-1].text == "All set, Ana: c-red."
    chat.go_through("restart", "yes", "Ana")
    assert chat.say("azu")[-1].text == "All set, Ana: c-blue."


def test_undeclared_transition_fails_the_step_and_records_nothing(
    make_chat_engine: EngineFactory, sessions: sessionmaker[Session]
) -> None:
    def jump(context: StepContext) -> Transition:
        return Transition("colour")

    steps = {**SAMPLE_FLOW.steps, "name": Step(ask=SAMPLE_FLOW.steps["name"].ask, handle=jump)}
    chat = Chat(make_chat_engine(dataclasses.replace(SAMPLE_FLOW, steps=steps)), locale="en")
    chat.go_through("hi", "yes")
    before = count_rows(sessions)

    with pytest.raises(StepFailed) as failure:
        chat.say("Ana")

    assert (failure.value.flow, failure.value.state) == ("sample", "name")
    assert count_rows(sessions) == before


def test_a_failed_step_loses_nothing_and_the_redelivery_is_handled(
    make_chat_engine: EngineFactory, sessions: sessionmaker[Session]
) -> None:
    def crash(context: StepContext) -> Transition:
        raise RuntimeError("supplier catalog unreachable")

    failing_steps = {**SAMPLE_FLOW.steps}
    failing_steps["name"] = dataclasses.replace(SAMPLE_FLOW.steps["name"], handle=crash)
    failing = Chat(
        make_chat_engine(dataclasses.replace(SAMPLE_FLOW, steps=failing_steps)), locale="en"
    )
    failing.go_through("hi", "yes")
    event = failing.event("Ana")
    before = count_rows(sessions)

    with pytest.raises(StepFailed):
        failing.send(event)
    assert count_rows(sessions) == before

    healthy = Chat(make_chat_engine(), locale="en")
    outcome = healthy.send(event)
    assert not outcome.duplicate
    assert outcome.replies[-1].text == "Nice to meet you, Ana! Pick a colour."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message_id", ""),
        ("message_id", "x" * 121),
        ("message_id", "m\x00"),
        ("chat_id", "y" * 101),
        ("chat_id", "\ud800"),
        ("channel", ""),
    ],
)
def test_malformed_event_ids_are_refused(chat: Chat, field: str, value: str) -> None:
    fields: dict[str, Any] = {field: value}
    event = dataclasses.replace(chat.event("hi"), **fields)

    with pytest.raises(InvalidEvent):
        chat.send(event)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (None, 'Por favor, responda "sim" ou "não".'),
        ("pt-br", 'Por favor, responda "sim" ou "não".'),
        ("en_US", 'Please answer "yes" or "no".'),
        ("es-AR", 'Por favor, responde "sí" o "no".'),
        ("klingon", 'Por favor, responda "sim" ou "não".'),
    ],
)
def test_conversation_speaks_the_language_of_the_first_message(
    chat_engine: ConversationEngine, locale: str | None, expected: str
) -> None:
    chat = Chat(chat_engine, locale=locale)
    chat.say("hi")

    assert chat.say("maybe")[0].text == expected


def test_batch_gives_the_same_answers_as_one_by_one(
    chat_engine: ConversationEngine, sessions: sessionmaker[Session]
) -> None:
    scripts = {
        "a": ["hi", "yes", "A", "Ana", "help", "azul"],
        "b": ["oi", "no", "again", "sim", "Bia", "back", "Bea", "3"],
        "c": ["hello", "cancel", "x", "1", "Cy", "verde"],
    }
    one_by_one = {
        person: [list(Chat(chat_engine, f"seq-{person}", locale="en").say(text)) for text in texts]
        for person, texts in scripts.items()
    }

    events: list[tuple[str, InboundEvent]] = []
    for position in range(max(len(texts) for texts in scripts.values())):
        for person, texts in scripts.items():
            if position < len(texts):
                chat = Chat(chat_engine, f"bat-{person}", locale="en")
                events.append((person, chat.event(texts[position])))
    events.append(("b", events[-1][1]))  # a redelivery inside the batch
    outcomes = chat_engine.handle_batch([event for _, event in events])

    batched: dict[str, list[list[Reply]]] = {person: [] for person in scripts}
    for (person, _), outcome in zip(events[:-1], outcomes[:-1], strict=True):
        batched[person].append(list(outcome.replies))
    assert batched == one_by_one
    assert outcomes[-1].duplicate
    assert outcomes[-1].replies == outcomes[-2].replies
    for person in scripts:
        sequential = Chat(chat_engine, f"seq-{person}").state(sessions)
        in_batch = Chat(chat_engine, f"bat-{person}").state(sessions)
        assert (in_batch.state, in_batch.data) == (sequential.state, sequential.data)


def test_batch_repeating_earlier_deliveries_writes_nothing(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    first = [chat.event("hi"), chat.event("yes")]
    originals = [chat.send(event) for event in first]
    before = count_rows(sessions)

    repeats = chat.engine.handle_batch(first)

    assert [outcome.duplicate for outcome in repeats] == [True, True]
    assert [outcome.replies for outcome in repeats] == [o.replies for o in originals]
    assert count_rows(sessions) == before


def test_unsupported_message_counts_as_a_wrong_answer(chat: Chat) -> None:
    chat.say("hi")

    replies = chat.send(chat.event(kind=InboundKind.UNSUPPORTED)).replies

    assert replies[0].text == "I can only read text here. Could you type your answer?"
    assert [option.id for option in replies[0].options] == ["yes", "no"]


def test_ending_a_flow_starts_it_again_on_the_next_message(
    chat: Chat, sessions: sessionmaker[Session]
) -> None:
    farewell = chat.go_through("hi", "no")

    assert farewell[-1].text == "Okay, I will not keep anything. Bye!"
    assert chat.state(sessions).state == END
    assert chat.say("hello again")[-1].text == GREETING


def test_a_state_that_no_longer_exists_starts_over_politely(
    make_chat_engine: EngineFactory, sessions: sessionmaker[Session]
) -> None:
    Chat(make_chat_engine(), locale="en").go_through("hi", "yes", "Ana")
    consent_only = dataclasses.replace(SAMPLE_FLOW.steps["consent"], goes_to=(END,))
    without_colour = Flow(name="sample", start="consent", steps={"consent": consent_only})

    replies = Chat(make_chat_engine(without_colour), locale="en").say("azul")

    assert replies[0].text == "Sorry, I lost track of where we were. Let's start over."
    assert replies[-1].text == GREETING


def test_last_inbound_is_kept_to_the_minute(
    chat: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    def last_inbound() -> datetime | None:
        with sessions() as session:
            return session.scalars(select(ChannelIdentity.last_inbound_at)).one()

    chat.say("hi")
    first = clock.now()
    clock.advance(seconds=30)
    chat.say("yes")
    assert last_inbound() == first

    clock.advance(seconds=31)
    chat.say("Ana")
    assert last_inbound() == clock.now()
