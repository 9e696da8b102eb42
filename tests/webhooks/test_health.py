"""GET /healthz."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.runtime import Runtime
from marketplace.clock import FixedClock
from marketplace.db import make_engine, make_session_factory
from marketplace.settings import Settings
from webhooks.app import create_app


def test_healthz_says_ok_when_the_database_answers(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    runtime = Runtime(settings, engine, make_session_factory(engine), clock)

    with TestClient(create_app(runtime=runtime)) as client:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_healthz_says_unavailable_when_the_database_is_gone(
    settings: Settings, clock: FixedClock
) -> None:
    broken = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    runtime = Runtime(settings, broken, make_session_factory(broken), clock)

    with TestClient(create_app(runtime=runtime)) as client:
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"
