"""The webhook side of WhatsApp: messages become turns, statuses update the outbox.

Every message is first noted against its sender's identity (where to answer them, when
they wrote, that they are reachable), then handed to the engine, which records its wamid:
Meta delivers at least once, and a repeat is answered once. A tap on "more options" is the
channel's own business: it writes the next page of the list to the outbox, deduplicated
the same way, and the conversation never sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.whatsapp import CHANNEL
from bot.whatsapp.inbound import IncomingMessage, parse_webhook
from bot.whatsapp.render import PAGE_KEY, page_bounds
from bot.whatsapp.sender import SERVICE_WINDOW
from bot.whatsapp.statuses import apply_statuses
from conversations.engine import ConversationEngine
from conversations.errors import ConversationError, StepFailed, StorageUnavailable
from marketplace import conversation_store, identities, outbox
from marketplace.clock import Clock
from marketplace.db import transaction
from marketplace.models import OutboxMessage

logger = logging.getLogger(__name__)

_Result = TypeVar("_Result")


@dataclass(frozen=True)
class WebhookReceipt:
    """What one webhook body held for us."""

    messages: int
    statuses: int
    ignored: int


class WhatsAppChannel:
    """Handles webhook bodies whose signature the edge has verified."""

    def __init__(
        self,
        engine: ConversationEngine,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        phone_number_id: str,
        default_locale: str,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.phone_number_id = phone_number_id
        self.default_locale = default_locale

    def receive(self, body: bytes) -> WebhookReceipt:
        """Handle one webhook body, committing as it goes; blocking (run it in a thread).

        When a message cannot be handled, the later messages of the same chat wait too
        (their order matters), the others go on, and the error is raised at the end, so
        Meta delivers the body again and what was done is recognised as done.

        Raises:
            MalformedWebhook: the body is not a webhook of Meta's; nothing was recorded.
            StepFailed, StorageUnavailable: some message is still to be handled.
        """
        content = parse_webhook(body, phone_number_id=self.phone_number_id)
        if content.statuses:
            self._in_transaction(
                lambda session, now: apply_statuses(session, content.statuses, now)
            )

        first_error: ConversationError | None = None
        stalled: set[str] = set()
        for message in content.messages:
            if message.event.chat_id in stalled:
                continue
            try:
                self._in_transaction(partial(self._note_inbound, message))
                if message.page is not None:
                    self._in_transaction(partial(self._show_page, message))
                else:
                    self.engine.handle(message.event)
            except (StepFailed, StorageUnavailable) as error:
                stalled.add(message.event.chat_id)
                first_error = first_error or error
        if first_error is not None:
            raise first_error
        return WebhookReceipt(len(content.messages), len(content.statuses), content.ignored)

    def _in_transaction(self, work: Callable[[Session, datetime], _Result]) -> _Result:
        try:
            with transaction(self.sessions) as session:
                return work(session, self.clock.now())
        except DBAPIError as error:
            raise StorageUnavailable(
                f"the database failed: {type(error.orig).__name__}"
            ) from error

    def _note_inbound(self, message: IncomingMessage, session: Session, now: datetime) -> None:
        key = (CHANNEL, message.event.chat_id)
        written_at = min(message.written_at, now)
        identities.note_inbound(
            session,
            key,
            address=message.address,
            written_at=written_at,
            locale=self.default_locale,
            now=now,
        )
        if now - written_at < SERVICE_WINDOW:
            released = outbox.release_held(session, CHANNEL, message.event.chat_id, now)
            if released:
                logger.info("the person wrote again: %s held messages released", released)

    def _show_page(self, message: IncomingMessage, session: Session, now: datetime) -> None:
        assert message.page is not None
        row = session.execute(
            select(OutboxMessage.payload, OutboxMessage.conversation_id).where(
                OutboxMessage.id == message.page.outbox_id,
                OutboxMessage.channel == CHANNEL,
                OutboxMessage.recipient == message.event.chat_id,
            )
        ).first()
        if row is None or row.conversation_id is None:
            logger.warning("a 'more options' tap names no list of this chat; ignored")
            return
        options = row.payload.get("options", [])
        if message.page.page >= len(page_bounds(len(options))):
            logger.warning("a 'more options' tap asks for a page that does not exist; ignored")
            return

        key = (CHANNEL, message.event.message_id)
        fresh = conversation_store.record_inbound(session, {key: row.conversation_id}, now)
        if key not in fresh:
            return  # a redelivery: the page was written the first time
        payload = dict(row.payload)
        payload["extra"] = {**payload.get("extra", {}), PAGE_KEY: message.page.page}
        draft = outbox.OutboxDraft(
            channel=CHANNEL,
            recipient=message.event.chat_id,
            payload=payload,
            conversation_id=row.conversation_id,
            inbound_message_id=fresh[key],
        )
        outbox.add_messages(session, [draft], now)
