"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.app_devices import DeviceRegistry, IdentityVerifier
from bot.chat_tokens import ChatTokens
from bot.flows import CONSUMER_FLOW, build_flows
from bot.lead_timer import LeadTimer
from bot.notification_senders import notification_senders
from bot.payment_checker import PaymentChecker
from bot.runtime import Runtime, open_runtime
from bot.telegram.service import TelegramService
from bot.webchat import WebChat
from bot.whatsapp.service import WhatsAppConfig, whatsapp_service
from conversations.contract_payments import ContractPaymentListener
from conversations.engine import ConversationEngine
from conversations.flow import Flow
from marketplace.payments import (
    PaymentConfig,
    PaymentListener,
    Payments,
    gateway_for,
)
from marketplace.picpay import PicPayClient
from marketplace.settings import Settings
from webhooks import chat, contracts, devices, picpay, sandbox, telegram, whatsapp
from webhooks.body_limit import BodyLimit
from webhooks.problems import ContainCrashes, invalid_request

STATIC = Path(__file__).with_name("static")
FAVICON = STATIC / "favicon.svg"  # our pages link it; /favicon.ico serves it to the rest


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    flows: Mapping[str, Flow] | None = None,
    default_flow: str = CONSUMER_FLOW,
    payment_listener: PaymentListener | None = None,
) -> FastAPI:
    """Build the web app; tests pass a runtime (and flows), `serve` lets it open its own.

    `payment_listener` hears what happens to payments (paid, expired...) inside the
    transaction that records it; by default the contracts' (contract active, messages,
    receipts).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        current = runtime or open_runtime(settings)
        # Raises MissingSecretKey at start-up, not at the first chat, when none is set.
        links = current.contract_links()
        gateway = gateway_for(current.settings, current.sessions, current.clock)
        app.state.payments = Payments(
            current.sessions,
            gateway,
            current.clock,
            payment_listener or ContractPaymentListener(current.clock),
            PaymentConfig.from_settings(current.settings),
        )
        engine = ConversationEngine(
            current.sessions,
            flows if flows is not None else build_flows(),
            clock=current.clock,
            default_flow=default_flow,
            default_locale=current.settings.default_locale,
            contract_links=links,
            payments=app.state.payments,
        )
        app.state.runtime = current
        app.state.contract_links = links
        app.state.telegram = None
        app.state.whatsapp = None
        app.state.lead_timer = None
        app.state.devices, app.state.identity = _device_route(current)
        app.state.payment_checker = None
        try:
            # Raises MissingSecretKey at start-up, not at the first chat, when none is set.
            tokens = ChatTokens(current.settings.resolved_secret_key())
            app.state.webchat = WebChat(engine, current.sessions, current.clock, tokens=tokens)
            if current.settings.telegram_bot_token:
                app.state.telegram = TelegramService(
                    current.settings, engine, current.sessions, current.clock
                )
                await app.state.telegram.start()
            app.state.lead_timer = LeadTimer(current.sessions, current.clock)
            app.state.lead_timer.start()
            app.state.payment_checker = PaymentChecker(app.state.payments)
            app.state.payment_checker.start()
            async with AsyncExitStack() as channels:
                # Each channel runs only when its settings are all there.
                whatsapp_config = WhatsAppConfig.from_settings(current.settings)
                if whatsapp_config is not None:
                    app.state.whatsapp = await channels.enter_async_context(
                        whatsapp_service(whatsapp_config, current, engine)
                    )
                app.state.notification_senders = await channels.enter_async_context(
                    notification_senders(current)
                )
                yield
        finally:
            if app.state.payment_checker is not None:
                await app.state.payment_checker.stop()
            if isinstance(gateway, PicPayClient):
                gateway.close()
            if app.state.lead_timer is not None:
                await app.state.lead_timer.stop()
            if app.state.telegram is not None:
                await app.state.telegram.stop()
            if owned:
                current.close()

    contracts.hide_signing_links_in_access_log()
    app = FastAPI(title="Connect Energy", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit)
    app.add_middleware(ContainCrashes)  # added last: outermost, so it also guards the others
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(chat.router)
    app.include_router(contracts.router)
    app.include_router(telegram.router)
    app.include_router(whatsapp.router)
    app.include_router(devices.router)
    app.include_router(picpay.router)
    app.include_router(sandbox.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The icon browsers ask for by themselves: without it every page logs a 404."""
        return FileResponse(
            FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """Whether the app and its database answer."""
        current: Runtime = app.state.runtime
        try:
            with current.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    return app


def _device_route(runtime: Runtime) -> tuple[DeviceRegistry | None, IdentityVerifier | None]:
    """The device route's services; both None (the route answers 404) without a provider."""
    settings = runtime.settings
    jwks, issuer, audience = (
        settings.identity_jwks_url,
        settings.identity_issuer,
        settings.identity_audience,
    )
    if not (jwks and issuer and audience):
        return None, None
    verifier = IdentityVerifier(jwks, issuer=issuer, audience=audience)
    return DeviceRegistry(runtime.sessions, runtime.clock), verifier
