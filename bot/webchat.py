"""The web chat channel: a browser page that posts messages and pulls the bot's replies.

The browser holds an unguessable token, signed by the server (`bot.chat_tokens`), that names
its conversation; each message carries a client id, so a resend after a network error is
recognised as the same message. Replies are outbox rows like on any channel; the browser
fetching them is their delivery.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.chat_tokens import ChatTokens
from conversations.engine import ConversationEngine
from conversations.errors import StorageUnavailable
from conversations.events import Image, InboundEvent, InboundKind
from marketplace import outbox
from marketplace.clock import Clock
from marketplace.db import transaction
from marketplace.models import Conversation
from marketplace.transcripts import TranscriptLine

CHANNEL = "web"
PAGE_SIZE = 50
HISTORY_LINES = 400  # both sides; a whole consumer conversation is well under a hundred
# The page starts a conversation with a message of this client id; its history leaves it out.
OPENING_CLIENT_ID = "open"


class UnknownChat(Exception):
    """The token names no conversation (never used, or forgotten)."""


@dataclass(frozen=True)
class WebMessage:
    """A bot message as the page shows it."""

    id: int
    text: str
    options: tuple[dict[str, str], ...]
    image: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON the page reads; `image`, when there is one, has a `src` and an `alt`."""
        shown: dict[str, Any] = {"id": self.id, "text": self.text, "options": list(self.options)}
        if self.image is not None:
            shown["image"] = self.image
        return shown


@dataclass(frozen=True)
class WebHistory:
    """A conversation as a reloaded page shows it, and the newest bot message id in it."""

    lines: tuple[dict[str, Any], ...]
    last: int

    def to_json(self) -> dict[str, Any]:
        """The JSON the page reads: `from` is "me" or "bot"; mine carry their client id."""
        return {"lines": list(self.lines), "last": self.last}


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
        with _reading(self.sessions) as session:
            pulled = outbox.pull_messages(
                session, CHANNEL, token, after=after, limit=PAGE_SIZE, now=self.clock.now()
            )
        return [
            WebMessage(
                id=message.id,
                text=_text(message.payload),
                options=_options(message.payload),
                image=_image(message.payload),
            )
            for message in pulled
        ]

    def history(self, token: str) -> WebHistory:
        """The conversation so far, both sides in order, for a page that was reloaded.

        Raises:
            UnknownChat: no conversation was started with this token.
        """
        with _reading(self.sessions) as session:
            conversation_id = session.scalar(
                select(Conversation.id)
                .where(Conversation.channel == CHANNEL, Conversation.chat_id == token)
                # Shared lock: a turn (which locks the row to write) cannot commit between
                # the transcript read and the outbox read, so `last` matches the lines.
                .with_for_update(read=True)
            )
            if conversation_id is None:
                raise UnknownChat(token)
            # Delivered first, then read: a notification from another conversation that
            # commits meanwhile (on PostgreSQL a lower id may commit late) is either marked
            # here and read below, or left pending, for the next pull to bring.
            last = outbox.pull_all(session, CHANNEL, token, now=self.clock.now())
            lines = self.engine.transcripts.history(session, conversation_id, limit=HISTORY_LINES)
            notes = outbox.notifications_to(
                session, CHANNEL, token, limit=HISTORY_LINES, delivered_up_to=last
            )
        # News from elsewhere (a signed contract, a supplier's answer) is not in this chat's
        # transcript; it takes its place by time, after the lines of the same instant. Each
        # side keeps its own order, the order it was written in: a turn that waited for the
        # chat keeps the time it began at, earlier than lines written before its own.
        heard = [TranscriptLine(conversation_id, "out", body, at) for at, body in notes]
        by_time = heapq.merge(lines, heard, key=lambda line: line.created_at)
        merged = list(by_time)[-HISTORY_LINES:]
        return WebHistory(lines=tuple(_page_lines(token, merged)), last=last)

    def exists(self, token: str) -> bool:
        """Whether a conversation was started with this token."""
        with _reading(self.sessions) as session:
            found = session.scalar(
                select(Conversation.id).where(
                    Conversation.channel == CHANNEL, Conversation.chat_id == token
                )
            )
        return found is not None


@contextmanager
def _reading(sessions: sessionmaker[Session]) -> Iterator[Session]:
    try:
        with transaction(sessions) as session:
            yield session
    except (OperationalError, InterfaceError) as error:
        raise StorageUnavailable(f"the database failed: {type(error.orig).__name__}") from error


def _page_lines(token: str, lines: Sequence[TranscriptLine]) -> Iterator[dict[str, Any]]:
    """Transcript lines as the page shows them; a tapped option shows the label it had."""
    labels: dict[str, str] = {}
    opening = _message_id(token, OPENING_CLIENT_ID)
    for line in lines:
        if line.direction == "out":
            options = _options(line.body)
            labels.update((option["id"], option["label"]) for option in options)
            shown: dict[str, Any] = {
                "from": "bot",
                "text": _text(line.body),
                "options": list(options),
            }
            image = _image(line.body)
            if image is not None:
                shown["image"] = image
            yield shown
            continue
        message_id = str(line.body.get("message_id", ""))
        option_id = line.body.get("option_id")
        said = labels.get(str(option_id), "") if option_id is not None else _text(line.body)
        if message_id == opening or not said:
            continue
        client_id = message_id.partition(":")[2]
        yield {"from": "me", "text": said, "client_id": client_id}


def _text(payload: Mapping[str, Any]) -> str:
    return str(payload.get("text", ""))


def _options(payload: Mapping[str, Any]) -> tuple[dict[str, str], ...]:
    return tuple(
        {"id": str(option["id"]), "label": str(option["label"])}
        for option in payload.get("options", [])
    )


def _image(payload: Mapping[str, Any]) -> dict[str, str] | None:
    # The page shows it as a data URI: no second request, nothing to serve or expire.
    image = Image.from_payload(payload.get("image"))
    if image is None:
        return None
    encoded = base64.b64encode(image.png).decode("ascii")
    return {"src": f"data:image/png;base64,{encoded}", "alt": image.alt}


def _message_id(token: str, client_id: str) -> str:
    # Client ids are chosen by browsers; scoping them by chat keeps one browser from
    # colliding with (or pre-empting) another's message ids.
    scope = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"{scope}:{client_id}"
