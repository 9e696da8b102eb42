"""The command line facing bad configuration: a plain message and an exit status, never a
traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ConfigurationError
from bot.runtime import connect
from marketplace.settings import Settings

COMMANDS = [
    ["db", "upgrade"],
    ["offers", "--cep", "60110-000", "--bill", "350"],
    ["catalog", "demo"],
    ["chat"],
    ["serve", "--port", "8123"],
]


@pytest.fixture(autouse=True)
def clean_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder, away from any developer `.env` or database."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "SECRET_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("uvicorn.Server.run", must_not_serve)


def must_not_serve(*_arguments: object, **_options: object) -> None:
    raise AssertionError("serve got as far as starting the server")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    "url",
    [
        "garbage",
        "",
        "mysql://x@127.0.0.1/x",
        "oracle://",
        "postgresql+psycopg://postgres@[::1:5432/x",
    ],
)
def test_an_unusable_database_url_is_a_configuration_error(
    url: str,
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)

    status = main(command)

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("connect-energy: invalid configuration: DATABASE_URL: ")
    assert "sqlite:///FILE or postgresql://" in err
    assert "Traceback" not in err


def test_an_engine_that_cannot_be_made_is_a_configuration_error() -> None:
    # Settings built in code skip validation; the engine guard still answers plainly.
    settings = Settings.model_construct(database_url="mysql://x@127.0.0.1/x")

    with pytest.raises(ConfigurationError, match="DATABASE_URL cannot be used"):
        connect(settings)


def test_a_postgresql_url_without_a_database_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://")

    status = main(["db", "upgrade"])

    assert status == 2
    assert capsys.readouterr().err == (
        "connect-energy: invalid configuration: DATABASE_URL: a PostgreSQL URL must name its "
        "database: postgresql://USER@HOST:PORT/DATABASE\n"
    )


def test_a_dot_env_file_that_is_not_utf8_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_bytes(b"PUBLIC_URL=http://127.0.0.1:8000/\xff\xfe\n")

    status = main(["offers", "--cep", "60110-000", "--bill", "350"])

    assert status == 2
    assert capsys.readouterr().err == (
        "connect-energy: invalid configuration: .env is not UTF-8 text\n"
    )


def test_every_invalid_setting_is_named_on_its_own_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "garbage")
    monkeypatch.setenv("DEFAULT_LOCALE", "xx")

    status = main(["db", "upgrade"])

    lines = capsys.readouterr().err.splitlines()
    assert status == 2
    assert [line.split(":")[:3] for line in lines] == [
        ["connect-energy", " invalid configuration", " DATABASE_URL"],
        ["connect-energy", " invalid configuration", " DEFAULT_LOCALE"],
    ]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_file_that_is_not_a_database_is_refused_plainly(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "connect_energy.db").write_text("garbage\n")

    status = main(command)

    assert status == 1
    assert capsys.readouterr().err == (
        "connect-energy: cannot open the database: file is not a database\n"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_from_an_unknown_release_is_refused_plainly(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(tmp_path / "connect_energy.db") as database:
        database.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        database.execute("INSERT INTO alembic_version VALUES ('from_the_future')")
    database.close()

    status = main(command)

    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("connect-energy: the database is not one this release can use: ")
    assert "'from_the_future'" in err
