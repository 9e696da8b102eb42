"""Fixtures of the web app tests: the app with the sample flow, served live, and WhatsApp."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.flows import CONSUMER_FLOW, build_flows
from bot.runtime import Runtime
from conversations.engine import ConversationEngine
from conversations.flow import Flow
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.settings import Settings
from tests.conversations.conftest import Chat
from tests.conversations.sample_flow import SAMPLE_FLOW
from tests.fakes.graph_api import FakeGraphApi, running_graph_api
from tests.fakes.whatsapp_webhooks import BUSINESS_NUMBER_ID
from tests.support.contracts import DIRECT_PATH, link_in
from tests.support.menu_flow import MENU_FLOW
from tests.webhooks.whatsapp_harness import (
    APP_SECRET,
    VERIFY_TOKEN,
    WhatsAppHarness,
    WhatsAppPerson,
)
from webhooks.app import create_app

TEMPLATE = "retomar_conversa"


@pytest.fixture
def graph_api() -> Iterator[FakeGraphApi]:
    """The fake Graph API; the test fails if the bot sent it anything Meta would refuse."""
    with running_graph_api(phone_number_id=BUSINESS_NUMBER_ID) as fake:
        yield fake


@pytest.fixture
def whatsapp_settings(settings: Settings, graph_api: FakeGraphApi) -> Settings:
    """The test settings with the WhatsApp channel on, talking to the fake."""
    return settings.model_copy(
        update={
            "whatsapp_access_token": graph_api.access_token,
            "whatsapp_phone_number_id": graph_api.phone_number_id,
            "whatsapp_app_secret": APP_SECRET,
            "whatsapp_verify_token": VERIFY_TOKEN,
            "whatsapp_api_url": graph_api.url,
            "whatsapp_template_name": TEMPLATE,
            "whatsapp_template_languages": "pt_BR,en,es",
        }
    )


@pytest.fixture
def conversation_flow(request: pytest.FixtureRequest) -> Flow:
    """The flow new WhatsApp conversations start in: the menu flow, or a test's param.

    test_whatsapp_consumer_flow.py passes the consumer flow itself.
    """
    flow: Flow = getattr(request, "param", MENU_FLOW)
    return flow


@pytest.fixture
def whatsapp(
    whatsapp_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    graph_api: FakeGraphApi,
    conversation_flow: Flow,
) -> Iterator[WhatsAppHarness]:
    """The web app with its WhatsApp channel running, and the fake behind it."""
    runtime = Runtime(whatsapp_settings, engine, sessions, clock)
    app = create_app(
        runtime=runtime,
        flows={conversation_flow.name: conversation_flow},
        default_flow=conversation_flow.name,
    )
    with TestClient(app) as client:
        harness = WhatsAppHarness(client, graph_api, sessions, clock)
        graph_api.webhook_sink = harness.post
        yield harness


@pytest.fixture
def ana(whatsapp: WhatsAppHarness) -> WhatsAppPerson:
    """A person writing from a 9-digit São Paulo mobile."""
    return WhatsAppPerson(whatsapp, "5511987654321")


@pytest.fixture
def client(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> Iterator[TestClient]:
    """A client of the app, talking the sample flow."""
    runtime = Runtime(settings, engine, sessions, clock)
    app = create_app(runtime=runtime, flows={"sample": SAMPLE_FLOW}, default_flow="sample")
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def live_app(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> FastAPI:
    """The app that `live_server` serves; a test may add routes to it."""
    runtime = Runtime(settings, engine, sessions, clock)
    return create_app(runtime=runtime, flows={"sample": SAMPLE_FLOW}, default_flow="sample")


@pytest.fixture
def live_server(live_app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1; yields its base URL."""
    with serving(live_app) as url:
        yield url


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve the app with uvicorn on a free port of 127.0.0.1 while in the block."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the live server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@pytest.fixture
def market_runtime(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> Runtime:
    """A runtime over the demo catalog, for the contract pages."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    return Runtime(settings, engine, sessions, clock)


@pytest.fixture
def contract_chat(market_runtime: Runtime) -> Chat:
    """A consumer in Portuguese, on the web chat, talking to the real flows."""
    engine = ConversationEngine(
        market_runtime.sessions,
        build_flows(),
        clock=market_runtime.clock,
        default_flow=CONSUMER_FLOW,
        contract_links=market_runtime.contract_links(),
    )
    return Chat(engine, "web-consumer-1", channel="web", locale="pt_BR")


@pytest.fixture
def contract_token(contract_chat: Chat) -> str:
    """The token of the signing link the consumer got for a directly signed offer."""
    _link, token = link_in(contract_chat.go_through(*DIRECT_PATH))
    return token


@pytest.fixture
def contract_client(market_runtime: Runtime) -> Iterator[TestClient]:
    """A client of the app with the real flows."""
    app = create_app(runtime=market_runtime)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def contract_server(market_runtime: Runtime) -> Iterator[str]:
    """The app with the real flows, served by uvicorn on a free port; its base URL."""
    with serving(create_app(runtime=market_runtime)) as url:
        yield url
