"""The web chat channel: a browser page that posts messages and pulls the bot's replies.

The browser holds an unguessable token, signed by the server (`bot.chat_tokens`), that names
its conversation; each message carries a client id, so a resend after a network error is
recognised as the same message. Replies are outbox rows like on any channel; the browser
fetching them is their delivery.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.chat_tokens import ChatTokens
from conversations.engine import ConversationEngine
from conversations.events import InboundEvent, InboundKind
from marketplace import outbox
from marketplace.clock import Clock
from marketplace.db import transaction
from marketplace.models import Conversation

CHANNEL = "web"
PAGE_SIZE = 50


class UnknownChat(Exception):
    """The token names no conversation (never used, or forgotten)."""


@dataclass(frozen=True)
class WebMessage:
    """A bot message as the page shows it."""

    id: int
    text: str
    options: tuple[dict[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON the page reads."""
        return {"id": self.id, "text": self.text, "options": list(self.options)}


class WebChat:
    """Posts a browser's messages to the engine and pulls its replies."""

    def __init__(
        self,
        engine: ConversationEngine,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        tokens: ChatTokens,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.tokens = tokens

    def post(
        self,
        token: str,
        *,
        client_id: str,
        text: str | None,
        option_id: str | None,
        locale: str | None,
        after: int,
    ) -> tuple[bool, list[WebMessage]]:
        """Handle one message; returns whether it was a resend, and the messages after `after`."""
        event = InboundEvent(
            channel=CHANNEL,
            chat_id=token,
            message_id=_message_id(token, client_id),
            kind=InboundKind.OPTION if option_id is not None else InboundKind.TEXT,
            text=text or "",
            option_id=option_id,
            locale=locale,
        )
        outcome = self.engine.handle(event)
        return outcome.duplicate, self.pull(token, after=after)

    def pull(self, token: str, *, after: int) -> list[WebMessage]:
        """The bot's messages to this chat newer than `after`."""
        with transaction(self.sessions) as session:
            pulled = outbox.pull_messages(
                session, CHANNEL, token, after=after, limit=PAGE_SIZE, now=self.clock.now()
            )
        return [
            WebMessage(
                id=message.id,
                text=str(message.payload.get("text", "")),
                options=tuple(
                    {"id": str(option["id"]), "label": str(option["label"])}
                    for option in message.payload.get("options", [])
                ),
            )
            for message in pulled
        ]

    def exists(self, token: str) -> bool:
        """Whether a conversation was started with this token."""
        with self.sessions() as session:
            found = session.scalar(
                select(Conversation.id).where(
                    Conversation.channel == CHANNEL, Conversation.chat_id == token
                )
            )
        return found is not None


def _message_id(token: str, client_id: str) -> str:
    # Client ids are chosen by browsers; scoping them by chat keeps one browser from
    # colliding with (or pre-empting) another's message ids.
    scope = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"{scope}:{client_id}"
