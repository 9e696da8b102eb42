"""One person chatting with the running app over Telegram, for end-to-end tests.

Updates reach the app by a `deliver` function (a webhook POST, or the fake's getUpdates
queue); the bot's answers are read from the fake Bot API once the outbox rows the update
caused are all sent, so a test sees each turn's whole answer, whatever the mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.models import InboundMessage, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import TelegramPerson

Deliver = Callable[[dict[str, Any]], None]
TURN_TIMEOUT = 15.0


class TelegramChat:
    """A person, the way their messages reach the app, and what the bot sent them."""

    def __init__(
        self,
        person: TelegramPerson,
        fake: FakeTelegram,
        sessions: sessionmaker[Session],
        deliver: Deliver,
    ) -> None:
        self.person = person
        self.fake = fake
        self.sessions = sessions
        self.deliver = deliver

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every message the bot sent this person, as `sendMessage` parameters."""
        return self.fake.messages_to(self.person.chat_id)

    def send(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Deliver an update and wait for the bot's whole answer to it."""
        before = len(self.received)
        self.deliver(update)
        self.wait_answered(update["update_id"])
        return self.received[before:]

    def say(self, text: str) -> list[dict[str, Any]]:
        """Type a message; the bot's answer."""
        return self.send(self.person.text(text))

    def tap(self, label: str) -> list[dict[str, Any]]:
        """Tap the button labelled `label` on the latest keyboard; the bot's answer."""
        sent, data = self.button(label)
        return self.send(self.person.tap(sent, data))

    def button(self, label: str) -> tuple[dict[str, Any], str]:
        """The latest message with a button labelled `label`, and that button's data."""
        for sent in reversed(self.received):
            for row in sent.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        return sent, str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in {self.received}")

    def wait_answered(self, update_id: int) -> None:
        """Wait until the engine recorded the update and every reply to it went out."""
        message_id = f"{update_id}:{self.person.chat_id}"
        deadline = time.monotonic() + TURN_TIMEOUT
        while not self._answered(message_id):
            if time.monotonic() > deadline:
                raise AssertionError(f"update {update_id} was not answered in time")
            time.sleep(0.02)

    def _answered(self, message_id: str) -> bool:
        with self.sessions() as session:
            inbound_id = session.scalar(
                select(InboundMessage.id).where(
                    InboundMessage.channel == "telegram", InboundMessage.message_id == message_id
                )
            )
            if inbound_id is None:
                return False
            waiting = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.inbound_message_id == inbound_id,
                    OutboxMessage.status.in_(("pending", "sending")),
                )
            )
        return waiting == 0


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """The text of each message, as sent (HTML)."""
    return [str(message["text"]) for message in messages]


def labels(message: dict[str, Any]) -> list[str]:
    """The labels of a message's buttons, row by row."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [str(button["text"]) for row in rows for button in row]
