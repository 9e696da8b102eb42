"""Telegram updates handed to the engine, the same way for the webhook and for polling.

The engine is synchronous (SQLAlchemy sessions), so it runs in a worker thread while the
event loop goes on serving other updates and sending messages.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, Update

from bot.telegram import CHANNEL, callback_data
from bot.telegram.updates import ReadUpdate, parse_update, read_update
from conversations.engine import ConversationEngine
from conversations.errors import ConversationError, StorageUnavailable
from conversations.events import InboundEvent, InboundKind
from conversations.runner import ConversationState
from marketplace.models import Conversation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """What became of one update: `handled` when the engine saw it."""

    update_id: int
    handled: bool
    duplicate: bool = False


class TelegramChannel:
    """Reads updates, runs the engine on them and answers every button press.

    Args:
        on_replies: called when the engine wrote replies, to wake the dispatcher.
    """

    def __init__(
        self,
        engine: ConversationEngine,
        bot: Bot,
        sessions: sessionmaker[Session],
        *,
        on_replies: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.bot = bot
        self.sessions = sessions
        self.on_replies = on_replies

    async def receive_json(self, data: object) -> Received:
        """Handle one update as Telegram posted it.

        Raises:
            MalformedUpdate: the body is not an update; nothing was recorded.
            InvalidEvent, StepFailed, StorageUnavailable: from the engine; nothing recorded.
        """
        return await self.receive(parse_update(data))

    async def receive(self, update: Update) -> Received:
        """Handle one parsed update; returns once the engine has committed its answer.

        Raises:
            As `receive_json`.
        """
        read = read_update(update)
        if read.event is None:
            logger.info("update %s ignored: %s", read.update_id, read.ignored)
            await self._answer_button(read)
            return Received(read.update_id, handled=False)

        try:
            event = await self._with_option_resolved(read.event)
            outcome = await asyncio.to_thread(self.engine.handle, event)
        except ConversationError as error:
            logger.warning("update %s not handled: %s", read.update_id, type(error).__name__)
            await self._answer_button(read)
            raise
        if outcome.outbox_ids and not outcome.duplicate and self.on_replies is not None:
            self.on_replies()
        await self._answer_button(read)
        logger.info(
            "update %s: conversation %s, %s replies%s",
            read.update_id,
            outcome.conversation_id,
            len(outcome.replies),
            " (repeat)" if outcome.duplicate else "",
        )
        return Received(read.update_id, handled=True, duplicate=outcome.duplicate)

    async def _answer_button(self, read: ReadUpdate) -> None:
        # Telegram shows a spinner on a tapped button until the query is answered; the reply
        # itself comes as a message, so the answer carries no text.
        if read.callback_query_id is None:
            return
        try:
            await self.bot.answer_callback_query(read.callback_query_id)
        except Exception as error:
            # Too late, answered already (a redelivery), or Telegram away: the message was
            # handled and the spinner times out by itself, so this never fails the update.
            logger.info("update %s: button not answered: %s", read.update_id, type(error).__name__)

    async def _with_option_resolved(self, event: InboundEvent) -> InboundEvent:
        data = event.option_id
        if event.kind is not InboundKind.OPTION or data is None:
            return event
        if not callback_data.is_digest(data):
            return event
        shown = await asyncio.to_thread(self._shown_option_ids, event.chat_id)
        option_id = callback_data.resolve(data, shown)
        # An unmatched digest goes on as is: the engine answers it like any old button.
        return dataclasses.replace(event, option_id=option_id or data)

    def _shown_option_ids(self, chat_id: str) -> list[str]:
        try:
            with self.sessions() as session:
                data = session.scalar(
                    select(Conversation.data).where(
                        Conversation.channel == CHANNEL, Conversation.chat_id == chat_id
                    )
                )
        except SQLAlchemyError as error:
            raise StorageUnavailable("could not read the options shown") from error
        state = ConversationState.load("", "", data or {}, 0)
        return [option.id for group in state.shown for option in group]
