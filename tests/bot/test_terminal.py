"""`connect-energy chat` end to end: stdin in, outbox through the dispatcher, stdout out."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from bot import terminal
from bot.cli import main
from conversations.flow import Flow
from tests.conversations.sample_flow import SAMPLE_FLOW


@pytest.fixture
def with_sample_flow(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """Chat with the test flow standing in for the consumer flow, on this test's database."""
    consumer = dataclasses.replace(SAMPLE_FLOW, name="consumer")

    def flows() -> dict[str, Flow]:
        return {"consumer": consumer}

    monkeypatch.setattr(terminal, "build_flows", flows)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOAD_DEMO_CATALOG", "false")
    monkeypatch.delenv("DEFAULT_LOCALE", raising=False)


def _chat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, *args: str
) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    status = main(["chat", *args])
    return status, capsys.readouterr().out


@pytest.mark.usefixtures("with_sample_flow")
def test_chat_json_prints_one_object_per_bot_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _chat(monkeypatch, capsys, "oi\nsim\nAna\ntalvez\n2\n", "--json")

    messages = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert [message["text"] for message in messages] == [
        "Hello! May I keep your answers to help you?",
        "What is your name?",
        "Nice to meet you, Ana! Pick a colour.",
        "Por favor, escolha uma das opções: toque nela ou digite o número dela (por exemplo 1).",
        "All set, Ana: c-green.",
    ]
    assert messages[0]["options"] == [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}]
    assert messages[1]["options"] == []


@pytest.mark.usefixtures("with_sample_flow")
def test_chat_plain_prints_text_then_numbered_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _chat(monkeypatch, capsys, "oi\n\n   \n")

    assert status == 0
    assert out == "Hello! May I keep your answers to help you?\n1. Yes\n2. No\n\n"


@pytest.mark.usefixtures("with_sample_flow")
def test_each_run_is_a_new_person_unless_a_user_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _chat(monkeypatch, capsys, "oi\nsim\n", "--json", "--user", "maria")

    _, resumed = _chat(monkeypatch, capsys, "Maria\n", "--json", "--user", "maria")
    _, stranger = _chat(monkeypatch, capsys, "Maria\n", "--json")

    assert json.loads(resumed)["text"] == "Nice to meet you, Maria! Pick a colour."
    assert json.loads(stranger)["text"] == "Hello! May I keep your answers to help you?"


def test_chat_without_a_consumer_flow_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    monkeypatch.setattr(terminal, "build_flows", dict)
    monkeypatch.setenv("DATABASE_URL", database_url)

    monkeypatch.setattr("sys.stdin", io.StringIO("oi\n"))

    status = main(["chat"])

    assert status == 2
    assert "the consumer flow is not available yet" in capsys.readouterr().err


@pytest.mark.usefixtures("with_sample_flow")
@pytest.mark.parametrize(
    "user",
    ["", "x" * 101, "\udcff", "ana\x1b[31m", "ana\nbeto", "ana\u202ebeto"],
    ids=["empty", "too-long", "not-utf8", "escape", "newline", "bidi-override"],
)
def test_a_user_id_that_is_not_plain_text_is_refused(
    user: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("oi\n"))

    status = main(["chat", "--user", user])

    assert status == 2
    assert capsys.readouterr().err == (
        "connect-energy: --user must be 1 to 100 printable characters of UTF-8 text\n"
    )
