"""Fixtures for engine tests: an engine running the sample flow, and a chat to drive it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.consumer_flow import CONSUMER
from conversations.engine import ConversationEngine, Outcome
from conversations.events import InboundEvent, InboundKind, Reply
from conversations.flow import Flow
from conversations.supplier_flow import SUPPLIER
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.contract_tokens import ContractLinks, ContractTokens
from marketplace.db import Base
from marketplace.models import Conversation
from tests.conversations.sample_flow import SAMPLE_FLOW

PUBLIC_URL = "http://127.0.0.1:8000"
CONTRACT_SECRET = "test-secret-key-not-for-production"

_message_numbers = itertools.count(1)


class Chat:
    """One person talking to an engine, for tests: say, tap, and look at the state."""

    def __init__(
        self,
        engine: ConversationEngine,
        chat_id: str = "5511999990000",
        *,
        channel: str = "test",
        locale: str | None = None,
    ) -> None:
        self.engine = engine
        self.chat_id = chat_id
        self.channel = channel
        self.locale = locale

    def event(self, text: str = "", **fields: Any) -> InboundEvent:
        """An event from this person with a new message id unless one is given."""
        fields.setdefault("message_id", f"m{next(_message_numbers)}")
        return InboundEvent(
            channel=self.channel, chat_id=self.chat_id, text=text, locale=self.locale, **fields
        )

    def send(self, event: InboundEvent) -> Outcome:
        """Deliver an event and return the outcome."""
        return self.engine.handle(event)

    def say(self, text: str) -> list[Reply]:
        """Type a message; the replies."""
        return list(self.send(self.event(text)).replies)

    def tap(self, option_id: str) -> list[Reply]:
        """Tap a button; the replies."""
        return list(self.send(self.event(kind=InboundKind.OPTION, option_id=option_id)).replies)

    def go_through(self, *texts: str) -> list[Reply]:
        """Say each text in turn; the replies to the last."""
        replies: list[Reply] = []
        for text in texts:
            replies = self.say(text)
        return replies

    def state(self, sessions: sessionmaker[Session]) -> Conversation:
        """This chat's conversation row, as stored."""
        with sessions() as session:
            return session.scalars(
                select(Conversation).where(
                    Conversation.channel == self.channel, Conversation.chat_id == self.chat_id
                )
            ).one()


EngineFactory = Callable[..., ConversationEngine]


@pytest.fixture
def make_chat_engine(sessions: sessionmaker[Session], clock: FixedClock) -> EngineFactory:
    """Build engines on this test's database; the sample flow unless told otherwise."""

    def build(flow: Flow = SAMPLE_FLOW, **options: Any) -> ConversationEngine:
        return ConversationEngine(
            options.pop("sessions", sessions),
            {flow.name: flow},
            clock=clock,
            default_flow=flow.name,
            **options,
        )

    return build


@pytest.fixture
def chat_engine(make_chat_engine: EngineFactory) -> ConversationEngine:
    """An engine running the sample flow."""
    return make_chat_engine()


@pytest.fixture
def chat(chat_engine: ConversationEngine) -> Chat:
    """A person writing in English (so the sample flow and engine speak one language)."""
    return Chat(chat_engine, locale="en")


def count_rows(sessions: sessionmaker[Session]) -> dict[str, int]:
    """How many rows each product table holds."""
    tables = ("conversations", "inbound_messages", "outbox", "transcript_entries", "consumers")
    with sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
            for name in tables
        }


@pytest.fixture
def consumer_engine(
    make_chat_engine: EngineFactory, sessions: sessionmaker[Session], clock: FixedClock
) -> ConversationEngine:
    """An engine running the consumer flow over the demo catalog."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    return make_chat_engine(CONSUMER)


@pytest.fixture
def person(consumer_engine: ConversationEngine) -> Chat:
    """Someone writing to the consumer flow in Brazilian Portuguese."""
    return Chat(consumer_engine, chat_id="5585999991234", locale="pt_BR")


@pytest.fixture
def market_engine(
    sessions: sessionmaker[Session], clock: FixedClock, consumer_engine: ConversationEngine
) -> ConversationEngine:
    """An engine running the consumer and supplier flows over the demo catalog."""
    return ConversationEngine(
        sessions,
        {CONSUMER.name: CONSUMER, SUPPLIER.name: SUPPLIER},
        clock=clock,
        default_flow=CONSUMER.name,
        contract_links=ContractLinks(PUBLIC_URL, ContractTokens(CONTRACT_SECRET)),
    )
