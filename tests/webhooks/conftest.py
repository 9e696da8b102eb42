"""Fixtures of the web app tests: the app on this test's database, with the sample flow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
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
