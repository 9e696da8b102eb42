"""Fixtures shared by the whole suite: real databases, a fixed clock, settings."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import FixedClock
from marketplace.db import Base, make_engine, make_session_factory
from marketplace.reference_cache import clear_reference_caches
from marketplace.schema import upgrade_database
from marketplace.settings import Settings
from tests.fakes.telegram_api import FakeTelegram

REFERENCE_TABLES = {
    "states",
    "cep_ranges",
    "distributors",
    "distributor_states",
    "tariffs",
    "flag_months",
    "flag_rates",
    "alembic_version",
}
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]

# The instant tests live at: mid-October 2026, when every bundled tariff window is known.
TEST_NOW = datetime(2026, 10, 15, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DatabaseTemplate:
    """A migrated database holding the reference data, copied or cleaned for each test."""

    backend: str
    url: str
    sqlite_file: Path | None = None


@pytest.fixture(scope="session", params=BACKENDS)
def database_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> DatabaseTemplate:
    """Migrate one database per backend for the whole run."""
    backend: str = request.param
    if backend == "sqlite":
        template = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite:///{template}"
    else:
        assert POSTGRES_URL is not None
        url = Settings(database_url=POSTGRES_URL, _env_file=None).database_url
        template = None
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    return DatabaseTemplate(backend=backend, url=url, sqlite_file=template)


@pytest.fixture
def database_url(database_template: DatabaseTemplate, tmp_path: Path) -> str:
    """The URL of a database with reference data only, fresh for this test."""
    if database_template.sqlite_file is not None:
        copy = tmp_path / "test.db"
        shutil.copyfile(database_template.sqlite_file, copy)
        return f"sqlite:///{copy}"
    engine = make_engine(database_template.url)
    product_tables = [
        table.name for table in Base.metadata.sorted_tables if table.name not in REFERENCE_TABLES
    ]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(product_tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return database_template.url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory on this test's database."""
    return make_session_factory(engine)


@pytest.fixture
def clock() -> FixedClock:
    """A clock fixed at TEST_NOW, movable by the test."""
    return FixedClock(TEST_NOW)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for this test's database, ignoring the developer's environment and .env."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        public_url="http://127.0.0.1:8000",
    )


@pytest.fixture(autouse=True)
def fresh_reference_caches() -> None:
    """Each test reads reference data from its own database, as a new process would."""
    clear_reference_caches()


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[FakeTelegram]:
    """The fake Bot API, listening on 127.0.0.1 for the whole run."""
    server = FakeTelegram()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_telegram(telegram_server: FakeTelegram) -> Iterator[FakeTelegram]:
    """The fake Bot API, emptied for this test; the test fails if a call broke the spec."""
    telegram_server.reset()
    yield telegram_server
    assert telegram_server.violations == [], "calls to the Bot API broke its spec"


@pytest.fixture
def telegram_settings(settings: Settings, fake_telegram: FakeTelegram) -> Settings:
    """This test's settings with Telegram on, by webhook, pointed at the fake Bot API."""
    return settings.model_copy(
        update={
            "telegram_bot_token": fake_telegram.token,
            "telegram_webhook_secret": "test-webhook-secret_42",
            "telegram_api_url": fake_telegram.base_url,
        }
    )
