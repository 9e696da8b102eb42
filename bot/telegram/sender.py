"""Outbox replies delivered with `sendMessage`, and the Bot API's answers turned into ours.

| Bot API answer | what the dispatcher does |
| --- | --- |
| 429 with `retry_after` | tries again, not before `retry_after` seconds |
| 403 (blocked, deactivated) | gives up on the message and marks the identity unreachable |
| 400 "message is not modified" | counts the message as sent |
| any other 400 | gives up on the message: the same request would fail again |
| network error, timeout, 5xx | tries again with backoff, until the outbox gives up |

A reply over 4096 characters goes out in parts; a retry resumes after the parts already
delivered (`bot.dispatcher.send_parts`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.dispatcher import OutgoingMessage, PermanentSendError, RetryableSendError, send_parts
from bot.telegram import CHANNEL
from bot.telegram.ratelimit import RateLimiter, Sleep
from bot.telegram.render import TelegramMessage, render_reply
from marketplace.consumers import mark_unreachable

logger = logging.getLogger(__name__)

# PTB 22 warns from inside RetryAfter's own constructor on every 429 that `retry_after` will
# become a timedelta; `retry_seconds` reads either form, so the warning says nothing to us.
warnings.filterwarnings(
    "ignore", message=".*`retry_after` will be of type", category=PTBDeprecationWarning
)

NOT_MODIFIED = "message is not modified"
# A short flood wait on a later part of a long reply is sat out here: a retry of the row
# would resume at that part too, but only after the outbox's backoff.
MAX_WAIT_IN_PLACE = 10.0
MAX_WAITS_IN_PLACE = 3


class TelegramSender:
    """Sends outbox rows of the `telegram` channel through the Bot API."""

    channel = CHANNEL

    def __init__(
        self,
        bot: Bot,
        sessions: sessionmaker[Session],
        *,
        limiter: RateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.limiter = limiter or RateLimiter()
        self.sleep = sleep

    async def send(self, message: OutgoingMessage) -> None:
        """Send one reply as one or more messages, the keyboard on the last.

        Raises:
            RetryableSendError: rate limited, or Telegram could not be reached.
            PermanentSendError: Telegram refused the message or the chat for good.
        """
        chat_id = _chat_id(message.recipient)

        async def send(part: TelegramMessage, number: int) -> None:
            if number == 0:
                await self._send_part(chat_id, part, message)
            else:
                await self._send_later_part(chat_id, part, message)

        await send_parts(message, render_reply(message.reply), send)

    async def _send_later_part(
        self, chat_id: int, part: TelegramMessage, message: OutgoingMessage
    ) -> None:
        for _ in range(MAX_WAITS_IN_PLACE):
            try:
                await self._send_part(chat_id, part, message)
                return
            except RetryableSendError as error:
                if error.retry_after is None or error.retry_after > MAX_WAIT_IN_PLACE:
                    raise
                await self.sleep(error.retry_after)
        await self._send_part(chat_id, part, message)

    async def _send_part(
        self, chat_id: int, part: TelegramMessage, message: OutgoingMessage
    ) -> None:
        await self.limiter.wait(message.recipient)
        try:
            if part.photo is not None:
                # Uploaded as multipart: the QR code exists nowhere Telegram could fetch it.
                await self.bot.send_photo(
                    chat_id=chat_id,
                    photo=InputFile(part.photo, filename="qrcode.png"),
                    caption=part.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=part.keyboard,
                )
            else:
                await self.bot.send_message(
                    chat_id=chat_id,
                    text=part.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=part.keyboard,
                )
        except RetryAfter as error:
            seconds = retry_seconds(error)
            logger.info("outbox %s: Telegram asks to wait %s s", message.outbox_id, seconds)
            raise RetryableSendError("rate limited by Telegram", retry_after=seconds) from error
        except Forbidden as error:
            await asyncio.to_thread(self._mark_unreachable, message.recipient)
            raise PermanentSendError(f"Telegram refuses this chat: {error.message}") from error
        except BadRequest as error:
            if NOT_MODIFIED in error.message.lower():
                logger.info("outbox %s: nothing to change, counted as sent", message.outbox_id)
                return
            raise PermanentSendError(f"Telegram refused the message: {error.message}") from error
        except ChatMigrated as error:
            raise PermanentSendError("the chat became a supergroup") from error
        except InvalidToken as error:
            # Said once per message on purpose: nothing reaches anyone until the token is fixed.
            logger.error("the Telegram bot token was rejected; check TELEGRAM_BOT_TOKEN")
            raise RetryableSendError("the bot token was rejected") from error
        except TelegramError as error:
            raise RetryableSendError(f"Telegram unreachable: {error.message}") from error

    def _mark_unreachable(self, recipient: str) -> None:
        with self.sessions.begin() as session:
            found = mark_unreachable(session, (CHANNEL, recipient))
        logger.info("a Telegram chat blocked the bot; identity marked: %s", found)


def _chat_id(recipient: str) -> int:
    try:
        return int(recipient)
    except ValueError:
        raise PermanentSendError("a Telegram recipient is a numeric chat id") from None


def retry_seconds(error: RetryAfter) -> float:
    """The seconds Telegram asked to wait, as a number."""
    value = error.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)
