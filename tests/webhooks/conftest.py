"""Fixtures of the web app tests: the app on this test's database, with the sample flow."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from marketplace.clock import FixedClock
from marketplace.settings import Settings
from tests.conversations.sample_flow import SAMPLE_FLOW
from webhooks.app import create_app


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
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(live_app, log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the live server did not start"

    yield f"http://127.0.0.1:{port}"

    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
