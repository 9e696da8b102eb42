"""The senders of push and e-mail deliveries, run by `serve` beside the chat channels.

E-mail runs when `SMTP_URL` is set, push when `FCM_CREDENTIALS` is; each has a dispatcher
loop of its own over the outbox, with its retries, backoff and failed state, so that
e-mails never wait for pushes a slow FCM is taking (nor the other way round). Rows of a
channel that is off stay pending, to go out once it is configured.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.dispatcher import ChannelSender, Dispatcher
from bot.email_sender import EmailSender, InvalidSmtpUrl, SmtpServer
from bot.errors import ConfigurationError
from bot.push_sender import FcmUnavailable, PushSender
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

TASK_NAME = "notification-dispatcher"  # and the channel: notification-dispatcher-push


@asynccontextmanager
async def notification_senders(runtime: Runtime) -> AsyncIterator[list[ChannelSender]]:
    """Send push and e-mail rows for the life of the app; yields the senders running.

    Raises:
        ConfigurationError: `SMTP_URL` or `FCM_CREDENTIALS` is set but cannot be used.
    """
    settings = runtime.settings
    senders: list[ChannelSender] = []
    push: PushSender | None = None
    email: EmailSender | None = None
    try:
        if settings.smtp_url:
            server = SmtpServer.from_url(settings.smtp_url)
            email = EmailSender(server, settings.email_sender())
            senders.append(email)
        if settings.fcm_credentials:
            push = PushSender(runtime.sessions, settings.fcm_credentials, settings.fcm_api_url)
            senders.append(push)
    except (InvalidSmtpUrl, FcmUnavailable) as error:
        raise ConfigurationError(str(error)) from error
    if not senders:
        yield senders
        return

    stop = asyncio.Event()
    loops = [
        asyncio.create_task(
            Dispatcher(runtime.sessions, [sender], runtime.clock).run(stop),
            name=f"{TASK_NAME}-{sender.channel}",
        )
        for sender in senders
    ]
    logger.info("notification senders started: %s", ", ".join(s.channel for s in senders))
    try:
        yield senders
    finally:
        stop.set()
        await asyncio.gather(*loops)
        # Each waits for its threads; firebase-admin closes its async client with
        # asyncio.run, which cannot run on this loop.
        for sender in (push, email):
            if sender is not None:
                await asyncio.to_thread(sender.close)
        logger.info("notification senders stopped")
