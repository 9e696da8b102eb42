"""`connect-energy supplier invite CNPJ`, run in-process on the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from marketplace.invites import read_invite_code
from marketplace.models import SupplierInvite

SOL_NASCENTE_CNPJ = "DEMO0000000162"


@pytest.fixture(autouse=True)
def command_environment(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the command at this test's database (with the demo catalog), away from `.env`."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    assert main(["catalog", "demo"]) == 0


def test_invite_prints_the_code_alone_on_the_last_line(
    capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    capsys.readouterr()

    status = main(["supplier", "invite", SOL_NASCENTE_CNPJ])

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert read_invite_code(lines[-1]) == lines[-1]
    assert "Sol Nascente Energia (demo)" in lines[0]
    assert not any("t.me" in line for line in lines)
    with sessions() as session:
        assert session.scalars(select(SupplierInvite.used_at)).all() == [None]


def test_with_telegram_configured_a_deep_link_comes_before_the_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:test-token")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@ConnectEnergyTestBot")
    capsys.readouterr()

    status = main(["supplier", "invite", SOL_NASCENTE_CNPJ])

    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[-2] == f"On Telegram, open: https://t.me/ConnectEnergyTestBot?start={lines[-1]}"


@pytest.mark.parametrize(
    ("cnpj", "says"),
    [("12.345.678/0001-00", "not a valid CNPJ"), ("11.222.333/0001-81", "no supplier has")],
)
def test_a_bad_or_unknown_cnpj_exits_2_and_says_why(
    cnpj: str, says: str, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    capsys.readouterr()

    status = main(["supplier", "invite", cnpj])

    output = capsys.readouterr()
    assert status == 2
    assert says in output.err
    assert output.out == ""
    with sessions() as session:
        assert session.scalars(select(SupplierInvite)).all() == []


def test_a_very_long_argument_is_not_repeated_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()

    status = main(["supplier", "invite", "9" * 100_000])

    err = capsys.readouterr().err
    assert status == 2
    assert "not a valid CNPJ" in err
    assert "(100000 characters)" in err
    assert len(err) < 300
