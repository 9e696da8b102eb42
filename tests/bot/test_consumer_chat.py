"""`connect-energy chat --json` with the real consumer flow, from greeting to lead."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import terminal
from bot.cli import main
from bot.runtime import Runtime, open_runtime
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.models import Lead
from marketplace.settings import Settings

JOURNEY = "oi\nsim\n60110000\nuns 350\n1\nquero\nsim\nMaria Silva\n(85) 99999-1234\n"


@pytest.fixture
def chat_cli(
    database_url: str,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """Run `connect-energy chat ARGS` on this test's database, at the suite's clock."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    monkeypatch.chdir(tmp_path)  # away from any developer .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("DEFAULT_LOCALE", raising=False)

    def runtime_at_test_clock(settings: Settings) -> Runtime:
        return open_runtime(settings, clock=clock)

    monkeypatch.setattr(terminal, "open_runtime", runtime_at_test_clock)

    def run(text: str, *arguments: str) -> tuple[int, list[dict[str, Any]]]:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))
        status = main(["chat", "--json", *arguments])
        lines = capsys.readouterr().out.splitlines()
        return status, [json.loads(line) for line in lines]

    return run


def test_chat_json_goes_from_greeting_to_a_lead(
    chat_cli: Any, sessions: sessionmaker[Session]
) -> None:
    status, messages = chat_cli(JOURNEY)

    assert status == 0
    assert messages[0]["text"].startswith("Olá! Sou o Connect Energy.")
    assert [option["label"] for option in messages[0]["options"]] == [
        "Concordo",
        "Não, obrigado",
        "Ler a política",
    ]
    assert all(set(message) == {"text", "options"} for message in messages)
    assert messages[-1]["text"].startswith(
        "Pronto! A Telhado Limpo Energia Solar (demo) vai entrar em contato em até 8 horas."
    )
    with sessions() as session:
        (lead,) = session.scalars(select(Lead)).all()
    assert (lead.contact_name, lead.contact_phone) == ("Maria Silva", "+5585999991234")


def test_the_terminal_asks_to_type_numbers_never_to_tap(chat_cli: Any) -> None:
    # Offers, a choice that is no option, the distributors of a state, help: where other
    # channels say "tap", the terminal, whose options are a numbered list, says "type".
    status, messages = chat_cli("oi\nquem sabe\nsim\n01310-100\najuda\nENEL SP\n350\n")

    assert status == 0
    said = "\n".join(message["text"] for message in messages)
    assert "Por favor, responda sim ou não, ou digite o número de uma das opções." in said
    assert "Qual distribuidora aparece na sua conta de luz? Digite o número ou o nome dela." in (
        said
    )
    assert "Digite o número de uma oferta para ver todas as condições." in said
    assert "toque" not in said.casefold()


def test_a_named_user_continues_where_they_stopped(
    chat_cli: Any, sessions: sessionmaker[Session]
) -> None:
    chat_cli("oi\nsim\n60110000\n", "--user", "maria")

    status, messages = chat_cli("uns 350\n", "--user", "maria")

    assert status == 0
    assert messages[0]["text"].startswith("Ofertas para a sua conta da ENEL CE (estimativa):")
    assert messages[0]["options"][0]["label"] == "1. Telhado \N{EN DASH} R$ 140/mês"
