"""Settings read from the environment: what is accepted, and what is refused and why."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from marketplace.settings import Settings


def settings_with(**values: str) -> Settings:
    # Validation alone: neither the environment nor a `.env` file is read.
    return Settings.model_validate(values)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///connect_energy.db", "sqlite:///connect_energy.db"),
        (
            "postgresql://postgres@127.0.0.1:5432/x",
            "postgresql+psycopg://postgres@127.0.0.1:5432/x",
        ),
        ("postgres://postgres@127.0.0.1/x", "postgresql+psycopg://postgres@127.0.0.1/x"),
        (
            "postgresql+psycopg://postgres@[::1]:5432/x",
            "postgresql+psycopg://postgres@[::1]:5432/x",
        ),
    ],
)
def test_sqlite_and_postgresql_urls_are_accepted(url: str, expected: str) -> None:
    assert settings_with(database_url=url).database_url == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("garbage", "not a database URL"),
        ("", "not a database URL"),
        ("postgresql+psycopg://postgres@[::1:5432/x", "not a database URL"),
        ("mysql://x@127.0.0.1/x", "'mysql' database is not supported"),
        ("oracle://", "'oracle' database is not supported"),
        ("postgresql+psycopg2://postgres@127.0.0.1/x", "is not supported"),
    ],
)
def test_a_database_url_we_cannot_use_is_refused_saying_what_is_supported(
    url: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        settings_with(database_url=url)

    message = caught.value.errors()[0]["msg"]
    assert reason in message
    assert "use sqlite:///FILE or postgresql://USER@HOST:PORT/DATABASE" in message


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="port must be between 1 and 65535, not 99999"):
        settings_with(database_url="postgresql://postgres@127.0.0.1:99999/x")


def test_the_sqlite_file_ignores_the_query_string() -> None:
    settings = settings_with(database_url="sqlite:///data/ce.db?timeout=5")

    assert str(settings.sqlite_path()) == "data/ce.db"


@pytest.mark.parametrize("url", ["postgresql://", "postgresql://postgres@127.0.0.1:5432/"])
def test_a_postgresql_url_must_name_its_database(url: str) -> None:
    with pytest.raises(ValidationError, match="a PostgreSQL URL must name its database"):
        settings_with(database_url=url)
