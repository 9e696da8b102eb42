"""Long polling: fetching updates with `getUpdates` when no webhook is set.

Each update goes through the same channel as a webhook's, so polling and webhook mode
answer alike. The offset moves past an update once it is handled (or known to be hopeless);
an update whose handling failed for a passing reason is fetched and tried again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from bot.telegram.channel import TelegramChannel
from bot.telegram.errors import MalformedUpdate
from bot.telegram.ratelimit import Sleep
from bot.telegram.sender import retry_seconds
from conversations.errors import InvalidEvent, StepFailed, StorageUnavailable

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
"""The update kinds the bot asks Telegram for, by webhook or by polling."""

LONG_POLL_SECONDS = 50
MAX_BACKOFF = 60.0
MAX_STEP_FAILURES = 5  # a step that fails this often on one update will not heal by itself


class TelegramPoller:
    """Fetches updates and hands each to the channel until cancelled."""

    def __init__(
        self,
        bot: Bot,
        channel: TelegramChannel,
        *,
        timeout: int = LONG_POLL_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.channel = channel
        self.timeout = timeout
        self.sleep = sleep
        self.offset: int | None = None

    async def run(self) -> None:
        """Drop any webhook (Telegram refuses getUpdates while one is set), then poll."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        logger.info("polling Telegram for updates")
        while True:
            await self.poll_once()

    async def poll_once(self) -> int:
        """Fetch one batch of updates and handle them; how many came."""
        updates = await self._fetch()
        for update in updates:
            await self._handle(update)
        return len(updates)

    async def _fetch(self) -> Sequence[Update]:
        failures = 0
        while True:
            try:
                return await self.bot.get_updates(
                    offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES
                )
            except RetryAfter as error:
                await self.sleep(retry_seconds(error))
            except InvalidToken:
                logger.error("the Telegram bot token was rejected; polling stops")
                raise
            except Conflict:
                failures += 1
                logger.error("another process is polling this bot, or a webhook is set")
                await self.sleep(_backoff(failures))
            except TelegramError as error:
                failures += 1
                logger.warning("getUpdates failed (%s); trying again", type(error).__name__)
                await self.sleep(_backoff(failures))

    async def _handle(self, update: Update) -> None:
        failures = 0
        while True:
            try:
                await self.channel.receive(update)
                break
            except (MalformedUpdate, InvalidEvent) as error:
                logger.warning("update %s skipped: %s", update.update_id, error)
                break
            except StepFailed:
                failures += 1
                if failures >= MAX_STEP_FAILURES:
                    logger.error("update %s skipped after %s failures", update.update_id, failures)
                    break
                await self.sleep(_backoff(failures))
            except StorageUnavailable:
                # The database is away: nothing is lost by waiting, everything by skipping.
                failures += 1
                await self.sleep(_backoff(failures))
        self.offset = max(self.offset or 0, update.update_id + 1)


def _backoff(failures: int) -> float:
    return min(MAX_BACKOFF, 2.0 ** (failures - 1))
