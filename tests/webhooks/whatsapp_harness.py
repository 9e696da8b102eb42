"""People writing to the bot on WhatsApp: signed webhooks in, the fake's messages out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.db import Base
from marketplace.models import Conversation, OutboxMessage
from tests.fakes import whatsapp_webhooks as hooks
from tests.fakes.graph_api import FakeGraphApi

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PATH = "/webhooks/whatsapp"


@dataclass
class WhatsAppHarness:
    """The app, the fake Graph API behind it, and the database both write to."""

    client: TestClient
    graph: FakeGraphApi
    sessions: sessionmaker[Session]
    clock: FixedClock

    def post(self, payload: dict[str, Any] | bytes) -> httpx.Response:
        """Post a body signed with the app secret, as Meta does."""
        body, headers = hooks.signed(payload, APP_SECRET)
        response: httpx.Response = self.client.post(PATH, content=body, headers=headers)
        return response

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the dispatcher has dealt with every outbox row that is due."""
        deadline = time.monotonic() + timeout
        while self._busy_rows():
            if time.monotonic() > deadline:
                raise AssertionError("the dispatcher left due outbox rows unsent")
            time.sleep(0.02)

    def rows(self) -> list[OutboxMessage]:
        """Every outbox row, oldest first."""
        with self.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def _busy_rows(self) -> int:
        due = (OutboxMessage.status == outbox.PENDING) & (
            OutboxMessage.next_attempt_at <= self.clock.now()
        )
        with self.sessions() as session:
            statement = select(func.count()).where(
                or_(due, OutboxMessage.status == outbox.SENDING)
            )
            return session.scalar(statement) or 0


@dataclass
class WhatsAppPerson:
    """Someone writing from `wa_id`; each action returns the bot's new messages to them."""

    harness: WhatsAppHarness
    wa_id: str
    name: str = "Ana Souza"
    seen: int = 0
    sent: list[str] = field(default_factory=list)

    def send(self, content: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one message of any type; the messages the bot answered with."""
        payload = hooks.incoming(self.wa_id, content, name=self.name, at=self.harness.clock.now())
        self.sent.append(payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
        response = self.harness.post(payload)
        assert response.status_code == 200, response.text
        return self.answers()

    def say(self, text: str) -> list[dict[str, Any]]:
        """Type a message."""
        return self.send(hooks.text(text))

    def tap(self, title: str) -> list[dict[str, Any]]:
        """Tap the reply button titled `title` on the last interactive message."""
        message = self.last_interactive()
        assert message["interactive"]["type"] == "button", message
        for button in message["interactive"]["action"]["buttons"]:
            if button["reply"]["title"] == title:
                reply = button["reply"]
                return self.send(
                    hooks.button_reply(
                        reply["id"], reply["title"], replying_to=self.wamid_of(message)
                    )
                )
        raise AssertionError(f"no button {title!r} in {message}")

    def pick(self, title: str) -> list[dict[str, Any]]:
        """Pick the row titled `title` in the last list message."""
        message = self.last_interactive()
        assert message["interactive"]["type"] == "list", message
        for section in message["interactive"]["action"]["sections"]:
            for row in section["rows"]:
                if row["title"] == title:
                    content = hooks.list_reply(
                        row["id"],
                        row["title"],
                        description=row.get("description", ""),
                        replying_to=self.wamid_of(message),
                    )
                    return self.send(content)
        raise AssertionError(f"no row {title!r} in {message}")

    def answers(self) -> list[dict[str, Any]]:
        """The bot's messages to this person since the last look."""
        self.harness.settle()
        everything = self.harness.graph.accepted(to=self.wa_id)
        new, self.seen = everything[self.seen :], len(everything)
        return new

    def last_interactive(self) -> dict[str, Any]:
        """The latest interactive message the bot sent to this person."""
        sent: list[dict[str, Any]] = self.harness.graph.accepted(to=self.wa_id)
        for message in sent[::-1]:
            if message["type"] == "interactive":
                return message
        raise AssertionError("the bot sent no interactive message")

    def wamid_of(self, message: dict[str, Any]) -> str:
        """The id Meta gave to a message the bot sent."""
        for request in self.harness.graph.requests:
            if request.body is message:
                assert request.wamid is not None
                return request.wamid
        raise AssertionError("that message was not accepted")


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """What each message says: a text body or an interactive body."""
    said = []
    for message in messages:
        if message["type"] == "text":
            said.append(message["text"]["body"])
        elif message["type"] == "interactive":
            said.append(message["interactive"]["body"]["text"])
        else:
            said.append(f"<{message['type']}>")
    return said


def buttons(message: dict[str, Any]) -> list[str]:
    """The titles of a message's reply buttons."""
    return [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]]


def rows(message: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of a list message, in order."""
    return [
        row for section in message["interactive"]["action"]["sections"] for row in section["rows"]
    ]


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows in the tables a webhook writes to."""
    tables = ("inbound_messages", "conversations", "consumers", "outbox", "transcript_entries")
    with sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
            for name in tables
        }


def conversation(sessions: sessionmaker[Session], chat_id: str) -> Conversation:
    """The conversation of one chat, as stored."""
    with sessions() as session:
        return session.scalars(select(Conversation).where(Conversation.chat_id == chat_id)).one()
