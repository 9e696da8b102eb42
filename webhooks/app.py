"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.flows import CONSUMER_FLOW, build_flows
from bot.lead_timer import LeadTimer
from bot.runtime import Runtime, open_runtime
from bot.telegram.service import TelegramService
from bot.webchat import WebChat
from conversations.engine import ConversationEngine
from conversations.flow import Flow
from marketplace.settings import Settings
from webhooks import chat, telegram

# Every body we accept is small; refusing big ones early keeps a flood from filling memory.
MAX_BODY_BYTES = 256 * 1024
STATIC = Path(__file__).with_name("static")


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    flows: Mapping[str, Flow] | None = None,
    default_flow: str = CONSUMER_FLOW,
) -> FastAPI:
    """Build the web app; tests pass a runtime (and flows), `serve` lets it open its own."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        current = runtime or open_runtime(settings)
        engine = ConversationEngine(
            current.sessions,
            flows if flows is not None else build_flows(),
            clock=current.clock,
            default_flow=default_flow,
            default_locale=current.settings.default_locale,
        )
        app.state.runtime = current
        app.state.webchat = WebChat(engine, current.sessions, current.clock)
        app.state.telegram = None
        if current.settings.telegram_bot_token:
            app.state.telegram = TelegramService(
                current.settings, engine, current.sessions, current.clock
            )
            await app.state.telegram.start()
        app.state.lead_timer = LeadTimer(current.sessions, current.clock)
        app.state.lead_timer.start()
        try:
            yield
        finally:
            await app.state.lead_timer.stop()
            if app.state.telegram is not None:
                await app.state.telegram.stop()
            if owned:
                current.close()

    app = FastAPI(title="Connect Energy", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.middleware("http")(_limit_body_size)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(chat.router)
    app.include_router(telegram.router)

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


async def _limit_body_size(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return JSONResponse({"detail": "request body too large"}, status_code=413)
    return await call_next(request)
