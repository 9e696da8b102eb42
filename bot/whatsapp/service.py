"""The WhatsApp channel of one web app process: settings read, clients opened, loop run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.dispatcher import Dispatcher
from bot.runtime import Runtime
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.limiter import RateLimiter
from bot.whatsapp.sender import Templates, WhatsAppSender
from conversations.engine import ConversationEngine
from marketplace.settings import Settings

logger = logging.getLogger(__name__)

TASK_NAME = "whatsapp-dispatcher"


@dataclass(frozen=True)
class WhatsAppConfig:
    """The WhatsApp settings, all present."""

    access_token: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    api_url: str
    api_version: str
    messages_per_second: float
    templates: Templates | None

    @classmethod
    def from_settings(cls, settings: Settings) -> WhatsAppConfig | None:
        """The channel's configuration, or None when a required setting is missing."""
        token, number = settings.whatsapp_access_token, settings.whatsapp_phone_number_id
        secret, verify = settings.whatsapp_app_secret, settings.whatsapp_verify_token
        if not (token and number and secret and verify):
            return None
        templates = None
        if settings.whatsapp_template_name:
            languages = tuple(settings.whatsapp_template_languages.split(","))
            templates = Templates(settings.whatsapp_template_name, languages)
        return cls(
            access_token=token,
            phone_number_id=number,
            app_secret=secret,
            verify_token=verify,
            api_url=settings.whatsapp_api_url,
            api_version=settings.whatsapp_api_version,
            messages_per_second=settings.whatsapp_messages_per_second,
            templates=templates,
        )


@dataclass
class WhatsAppService:
    """What the webhook routes need: the channel, the secrets, and a way to wake the loop."""

    channel: WhatsAppChannel
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    outbox_written: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        """Tell the dispatcher loop there is something to send now."""
        self.outbox_written.set()


@asynccontextmanager
async def whatsapp_service(
    config: WhatsAppConfig, runtime: Runtime, engine: ConversationEngine
) -> AsyncIterator[WhatsAppService]:
    """Run the channel for the life of the app: HTTP client, sender and dispatcher loop."""
    http = WhatsAppClient.open_http(config.api_url)
    client = WhatsAppClient(
        http,
        access_token=config.access_token,
        phone_number_id=config.phone_number_id,
        version=config.api_version,
    )
    sender = WhatsAppSender(
        client,
        runtime.sessions,
        runtime.clock,
        limiter=RateLimiter(config.messages_per_second),
        templates=config.templates,
    )
    if config.templates is None:
        logger.warning("no WHATSAPP_TEMPLATE_NAME: outside the 24-hour window, messages wait")
    channel = WhatsAppChannel(
        engine,
        runtime.sessions,
        runtime.clock,
        phone_number_id=config.phone_number_id,
        default_locale=runtime.settings.default_locale,
    )
    service = WhatsAppService(channel, config.app_secret, config.verify_token)
    dispatcher = Dispatcher(runtime.sessions, [sender], runtime.clock)
    stop = asyncio.Event()
    loop = asyncio.create_task(dispatcher.run(stop, wake=service.outbox_written), name=TASK_NAME)
    logger.info("WhatsApp channel started")
    try:
        yield service
    finally:
        stop.set()
        await loop
        await http.aclose()
        logger.info("WhatsApp channel stopped")
