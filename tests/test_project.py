"""The project's own files: compose file, migrations and the CLI's plain errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from jsonschema import Draft7Validator
from sqlalchemy import Engine

from bot.cli import main
from marketplace.db import Base

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_follows_the_compose_spec() -> None:
    schema = json.loads((ROOT / "tests/specs/compose-spec.json").read_text(encoding="utf-8"))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))

    errors = sorted(Draft7Validator(schema).iter_errors(compose), key=str)

    assert errors == []
    assert {"postgres", "app"} <= set(compose["services"])


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert differences == []


def test_db_upgrade_reports_what_it_loaded(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    status = main(["db", "upgrade"])

    assert status == 0
    assert "81 tariffs" in capsys.readouterr().out


def test_unknown_command_exits_with_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["launch-rockets"])

    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_invalid_configuration_is_a_plain_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEFAULT_LOCALE", "klingon")

    status = main(["db", "upgrade"])

    assert status == 2
    err = capsys.readouterr().err
    assert "invalid configuration" in err
    assert "Traceback" not in err


def test_a_database_without_schema_gets_a_plain_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")

    status = main(["offers", "--cep", "60110-000", "--bill", "300"])

    assert status == 1
    err = capsys.readouterr().err
    assert "cannot open the database" in err
    assert "Traceback" not in err
