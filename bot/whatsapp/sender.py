"""The outbox side of WhatsApp: each row as Cloud API messages, within the platform's rules.

Before sending, the sender looks up how to reach the person: the `wa_id` they last wrote
from, whether they can be reached at all, and when they last wrote. WhatsApp lets a
business write freely only within 24 hours of the person's last message; outside that
window only an approved template may go out. The row itself then waits (`held`) until the
person answers, so nothing the bot said is lost.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.dispatcher import (
    Delivery,
    OutgoingMessage,
    PermanentSendError,
    RetryableSendError,
    send_parts,
)
from bot.whatsapp import CHANNEL
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.errors import GraphApiError, Remedy, WhatsAppUnavailable
from bot.whatsapp.limiter import RateLimiter
from bot.whatsapp.numbers import masked
from bot.whatsapp.render import ImageToUpload, render, template_message
from conversations.i18n import DEFAULT_LOCALE, translator_for
from marketplace import identities, outbox
from marketplace.clock import Clock
from marketplace.identities import Reach

logger = logging.getLogger(__name__)

SERVICE_WINDOW = identities.WHATSAPP_SERVICE_WINDOW
THROUGHPUT_PAUSE = 2.0  # seconds without any call after Meta says the number is over rate
PAIR_PAUSE = 6.0  # Meta allows about one message every 6 s to the same person
CREDENTIALS_PAUSE = 300.0  # an operator has to fix the token; try again in a while


@dataclass(frozen=True)
class Templates:
    """The approved template sent outside the window, and the languages it was approved in.

    The first language is used when the person's own is not among them.
    """

    name: str
    languages: tuple[str, ...]

    def language_for(self, locale: str) -> str:
        """The template language closest to a conversation's locale."""
        wanted = locale.replace("-", "_")
        for language in self.languages:
            if language.casefold() == wanted.casefold():
                return language
        base = wanted.split("_", 1)[0].casefold()
        for language in self.languages:
            if language.split("_", 1)[0].casefold() == base:
                return language
        return self.languages[0]


@dataclass(frozen=True)
class _Situation:
    reach: Reach | None
    needs_template: bool
    already_held: bool


class WhatsAppSender:
    """Sends outbox rows of the WhatsApp channel through one business number."""

    channel = CHANNEL

    def __init__(
        self,
        client: WhatsAppClient,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        limiter: RateLimiter,
        templates: Templates | None,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.limiter = limiter
        self.templates = templates

    async def send(self, message: OutgoingMessage) -> Delivery:
        """Send one row: its messages, a template instead, or nothing while it is held.

        Raises:
            RetryableSendError: rate limits, Meta's passing faults, no answer.
            PermanentSendError: the person cannot be reached, or Meta refuses the message.
        """
        situation = await asyncio.to_thread(self._situation, message)
        reach = situation.reach
        if reach is not None and reach.unreachable:
            raise PermanentSendError("WhatsApp says this person cannot be reached")
        if situation.needs_template or not self._in_window(reach):
            return await self._instead_template(message, situation)

        bodies = render(
            message.reply,
            to=reach.address if reach else message.recipient,
            outbox_id=message.outbox_id,
            translator=translator_for(reach.locale if reach else DEFAULT_LOCALE),
        )

        async def post(body: dict[str, Any] | ImageToUpload, number: int) -> str:
            if isinstance(body, ImageToUpload):
                body = body.message(await self._upload(body.png))
            return await self._post(body)

        try:
            # A retry resumes after the parts already delivered; the row's wamid is its last.
            wamid = await send_parts(message, bodies, post)
        except GraphApiError as error:
            if error.remedy is Remedy.TEMPLATE:
                return await self._instead_template(message, situation)
            raise await self._failure(error, message) from error
        return Delivery(provider_message_id=wamid)

    def _in_window(self, reach: Reach | None) -> bool:
        if reach is None or reach.last_inbound_at is None:
            return False
        return self.clock.now() - reach.last_inbound_at < SERVICE_WINDOW

    async def _instead_template(self, message: OutgoingMessage, situation: _Situation) -> Delivery:
        """Hold the row until the person writes, nudging them once with the template."""
        reach = situation.reach
        if situation.already_held:
            return Delivery(held=True)  # this closed window already got its template
        if self.templates is None:
            logger.info("outbox %s waits for its recipient: no template set", message.outbox_id)
            return Delivery(held=True)

        address = reach.address if reach else message.recipient
        language = self.templates.language_for(reach.locale if reach else DEFAULT_LOCALE)
        try:
            wamid = await self._post(template_message(address, self.templates.name, language))
        except GraphApiError as error:
            if error.remedy in (Remedy.GIVE_UP, Remedy.TEMPLATE):
                # The template itself is refused (not approved, paused...): an operator's
                # matter; the row still waits for the person to write.
                logger.error("template %r refused: code %s", self.templates.name, error.code)
                return Delivery(held=True)
            raise await self._failure(error, message) from error
        logger.info("outbox %s held; template sent to %s", message.outbox_id, masked(address))
        return Delivery(provider_message_id=wamid, held=True)

    async def _upload(self, png: bytes) -> str:
        await self.limiter.acquire()
        try:
            return await self.client.upload_png(png)
        except WhatsAppUnavailable as error:
            raise RetryableSendError(str(error)) from error

    async def _post(self, body: dict[str, Any]) -> str:
        await self.limiter.acquire()
        try:
            return await self.client.send(body)
        except WhatsAppUnavailable as error:
            raise RetryableSendError(str(error)) from error

    async def _failure(
        self, error: GraphApiError, message: OutgoingMessage
    ) -> PermanentSendError | RetryableSendError:
        remedy = error.remedy
        if remedy is Remedy.SLOW_DOWN:
            self.limiter.pause(THROUGHPUT_PAUSE)
            return RetryableSendError(str(error), retry_after=THROUGHPUT_PAUSE)
        if remedy is Remedy.BACK_OFF:
            return RetryableSendError(str(error), retry_after=PAIR_PAUSE)
        if remedy is Remedy.UNREACHABLE:
            await asyncio.to_thread(self._mark_unreachable, message.recipient)
            return PermanentSendError(str(error))
        if remedy is Remedy.RETRY:
            pause = CREDENTIALS_PAUSE if error.http_status in (401, 403) else None
            return RetryableSendError(str(error), retry_after=pause)
        return PermanentSendError(str(error))

    def _situation(self, message: OutgoingMessage) -> _Situation:
        with self.sessions() as session:
            return _Situation(
                reach=identities.reach(session, (CHANNEL, message.recipient)),
                needs_template=outbox.needs_template(session, message.outbox_id),
                already_held=outbox.has_held(session, CHANNEL, message.recipient),
            )

    def _mark_unreachable(self, recipient: str) -> None:
        with self.sessions.begin() as session:
            identities.mark_unreachable(session, (CHANNEL, recipient))
        logger.warning("WhatsApp recipient %s is unreachable", masked(recipient))
