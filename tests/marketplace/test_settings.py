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
        ("postgresql://postgres@127.0.0.1/\udcff", "bytes that are not UTF-8"),
        ("sqlite:///connect_energy.db\n", "control characters"),
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


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://energia.example.com/", "https://energia.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://[2001:db8::1]:8443/ce", "https://[2001:db8::1]:8443/ce"),
    ],
)
def test_public_url_is_an_absolute_http_url_kept_without_its_last_slash(
    url: str, kept: str
) -> None:
    assert settings_with(public_url=url).public_url == kept


@pytest.mark.parametrize(
    "url",
    [
        "energia.example.com",
        "/chat",
        "ftp://energia.example.com",
        "javascript:alert(1)",
        "http://",
        "http:///path",
        "http://[::1",
        "http://energia.example.com:99999",
        "http://energia example.com",
        "https://energia.example.com/?next=1",
        "https://energia.example.com/\x1b[2J",
    ],
)
@pytest.mark.parametrize("name", ["public_url", "telegram_api_url"])
def test_a_url_setting_that_is_not_an_absolute_http_url_is_refused(name: str, url: str) -> None:
    with pytest.raises(ValidationError, match="use an absolute http:// or https:// URL"):
        settings_with(**{name: url})
