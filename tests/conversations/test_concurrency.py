"""Several deliverers on one database: per-conversation order, nothing lost, no deadlock.

PostgreSQL serialises a conversation with row locks; SQLite with its single write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine import ConversationEngine
from conversations.events import InboundEvent, Reply
from conversations.flow import AskContext, Flow, Step, StepContext, Transition
from marketplace.clock import FixedClock
from marketplace.db import make_engine, make_session_factory
from tests.conversations.conftest import Chat, count_rows


def _ask(context: AskContext) -> Reply:
    return Reply("ok")


def _remember(context: StepContext) -> Transition:
    return Transition("collect", data={"seen": [*context.data.get("seen", []), context.text]})


LOG_FLOW = Flow(
    name="log",
    start="collect",
    steps={"collect": Step(ask=_ask, handle=_remember, goes_to=("collect",))},
)


@pytest.fixture
def process_engines(database_url: str, clock: FixedClock) -> Iterator[list[ConversationEngine]]:
    """Two engines with their own connection pools, as two app processes would have."""
    databases = [make_engine(database_url) for _ in range(2)]
    yield [
        ConversationEngine(
            make_session_factory(database), {"log": LOG_FLOW}, clock=clock, default_flow="log"
        )
        for database in databases
    ]
    for database in databases:
        database.dispose()


def _in_parallel(*jobs: Callable[[], None]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_two_deliverers_on_one_conversation_keep_order_and_lose_nothing(
    process_engines: list[ConversationEngine], sessions: sessionmaker[Session]
) -> None:
    first, second = (Chat(engine, "shared") for engine in process_engines)
    first.say("hello")
    texts = {"a": [f"a{n}" for n in range(40)], "b": [f"b{n}" for n in range(40)]}

    def deliver(chat: Chat, lines: list[str]) -> None:
        for text in lines:
            chat.say(text)

    _in_parallel(lambda: deliver(first, texts["a"]), lambda: deliver(second, texts["b"]))

    seen = first.state(sessions).data["values"]["seen"]
    assert sorted(seen) == sorted(texts["a"] + texts["b"])
    assert [text for text in seen if text.startswith("a")] == texts["a"]
    assert [text for text in seen if text.startswith("b")] == texts["b"]
    assert count_rows(sessions)["inbound_messages"] == 81


def test_crossing_batches_do_not_deadlock(
    process_engines: list[ConversationEngine], sessions: sessionmaker[Session]
) -> None:
    people = [f"p{n:02d}" for n in range(20)]

    def deliver(engine: ConversationEngine, order: list[str], tag: str) -> None:
        for round_number in range(8):
            events = [
                InboundEvent("test", person, f"{tag}-{round_number}-{person}", text=tag)
                for person in order
            ]
            engine.handle_batch(events)

    _in_parallel(
        lambda: deliver(process_engines[0], people, "x"),
        lambda: deliver(process_engines[1], people[::-1], "y"),
    )

    for person in people:
        stored = Chat(process_engines[0], person).state(sessions)
        # The first message of a conversation only greets; the other 15 are remembered.
        assert len(stored.data["values"]["seen"]) == 15
    assert count_rows(sessions)["inbound_messages"] == 2 * 8 * len(people)


def test_the_same_message_delivered_twice_at_once_is_answered_once(
    process_engines: list[ConversationEngine], sessions: sessionmaker[Session]
) -> None:
    first, second = (Chat(engine, "twice") for engine in process_engines)
    first.say("hello")
    event = first.event("only once")
    outcomes = []

    _in_parallel(
        lambda: outcomes.append(first.send(event)), lambda: outcomes.append(second.send(event))
    )

    assert sorted(outcome.duplicate for outcome in outcomes) == [False, True]
    assert outcomes[0].replies == outcomes[1].replies
    assert outcomes[0].outbox_ids == outcomes[1].outbox_ids
    assert first.state(sessions).data["values"]["seen"] == ["only once"]
