"""The Telegram channel of one app process: its bot, its dispatcher and its source of updates.

With `TELEGRAM_WEBHOOK_SECRET` set, Telegram posts updates to `PUBLIC_URL/webhooks/telegram`
and this process only registers that address; otherwise it fetches them by long polling.
Either way the outbox dispatcher sends the replies. Everything runs as named tasks of the
web app's event loop, started and stopped by its lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.dispatcher import Dispatcher
from bot.telegram.channel import TelegramChannel
from bot.telegram.polling import ALLOWED_UPDATES, LONG_POLL_SECONDS, TelegramPoller
from bot.telegram.ratelimit import RateLimiter, Sleep
from bot.telegram.sender import TelegramSender
from conversations.engine import ConversationEngine
from marketplace.clock import Clock
from marketplace.settings import Settings

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
STOP_GRACE_SECONDS = 5.0
MAX_BACKOFF = 60.0


class TelegramService:
    """Starts and stops everything Telegram needs in this process.

    Args:
        limiter: the pace of outgoing messages (Telegram's limits by default).
        sleep: how every wait is done; tests pass a fast one.
        poll_timeout: seconds a `getUpdates` call may be held open by Telegram.
        dispatch_idle: seconds the dispatcher rests when the outbox is empty.
    """

    def __init__(
        self,
        settings: Settings,
        engine: ConversationEngine,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        poll_timeout: int = LONG_POLL_SECONDS,
        dispatch_idle: float = 0.5,
    ) -> None:
        if not settings.telegram_bot_token:
            raise ValueError("TelegramService needs TELEGRAM_BOT_TOKEN")
        self.token = settings.telegram_bot_token
        self.bot = Bot(self.token, base_url=settings.telegram_api_url)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self.channel = TelegramChannel(engine, self.bot, sessions, on_replies=self._wake.set)
        sender = TelegramSender(self.bot, sessions, limiter=limiter, sleep=sleep)
        self.dispatcher = Dispatcher(sessions, [sender], clock)
        self.webhook_secret = settings.telegram_webhook_secret
        self.webhook_url = settings.public_url + WEBHOOK_PATH
        self.sleep = sleep
        self.poll_timeout = poll_timeout
        self.dispatch_idle = dispatch_idle
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._log_filter = _HideToken(self.token)

    @property
    def uses_webhook(self) -> bool:
        """Whether updates arrive by webhook (else by polling)."""
        return bool(self.webhook_secret)

    async def start(self) -> None:
        """Start sending replies and receiving updates, in background tasks."""
        logging.getLogger("httpx").addFilter(self._log_filter)
        self._stop.clear()
        dispatching = self.dispatcher.run(
            self._stop, idle_seconds=self.dispatch_idle, wake=self._wake
        )
        self._tasks = {
            "telegram-dispatcher": asyncio.create_task(dispatching, name="telegram-dispatcher"),
            "telegram-updates": asyncio.create_task(
                self._receive_updates(), name="telegram-updates"
            ),
        }
        logger.info("Telegram started, %s", "by webhook" if self.uses_webhook else "by polling")

    async def stop(self) -> None:
        """Stop polling, let the dispatcher finish its pass, and close the bot's connections."""
        self._stop.set()
        updates = self._tasks.pop("telegram-updates", None)
        dispatcher = self._tasks.pop("telegram-dispatcher", None)
        if updates is not None:
            updates.cancel()
            await asyncio.gather(updates, return_exceptions=True)
        if dispatcher is not None:
            done, _ = await asyncio.wait({dispatcher}, timeout=STOP_GRACE_SECONDS)
            if not done:
                # Rows being sent stay claimed until their lease ends, then go out again.
                logger.warning("the Telegram dispatcher did not stop in time; cancelling it")
                dispatcher.cancel()
                await asyncio.gather(dispatcher, return_exceptions=True)
        await self.bot.shutdown()
        logging.getLogger("httpx").removeFilter(self._log_filter)
        logger.info("Telegram stopped")

    async def _receive_updates(self) -> None:
        try:
            await self._retrying("getMe", self.bot.initialize)
            if self.uses_webhook:
                await self._retrying("setWebhook", self._set_webhook)
                return
            poller = TelegramPoller(
                self.bot, self.channel, timeout=self.poll_timeout, sleep=self.sleep
            )
            await self._retrying("polling", poller.run)
        except InvalidToken:
            logger.error("Telegram rejected TELEGRAM_BOT_TOKEN; no updates will be received")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("receiving Telegram updates stopped")

    async def _set_webhook(self) -> None:
        await self.bot.set_webhook(
            url=self.webhook_url,
            secret_token=self.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        logger.info("Telegram webhook set to %s", self.webhook_url)

    async def _retrying(self, what: str, call: Callable[[], Awaitable[None]]) -> None:
        failures = 0
        while True:
            try:
                await call()
                return
            except InvalidToken:
                raise
            except TelegramError as error:
                failures += 1
                delay = min(MAX_BACKOFF, 2.0 ** (failures - 1))
                logger.warning("%s failed (%s); again in %s s", what, type(error).__name__, delay)
                await self.sleep(delay)


class _HideToken(logging.Filter):
    """Keeps the bot token out of httpx's request lines, which carry it in the URL path."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        with contextlib.suppress(Exception):
            message = record.getMessage()
            if self.token in message:
                record.msg, record.args = message.replace(self.token, "<token>"), None
        return True
