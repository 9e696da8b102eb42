"""`connect-energy chat` end to end: stdin in, outbox through the dispatcher, stdout out."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import terminal
from bot.cli import main
from bot.dispatcher import OutgoingMessage
from bot.runtime import open_runtime
from conversations.events import Option, Reply
from conversations.flow import Flow
from marketplace.models import InboundMessage, OutboxMessage
from marketplace.settings import Settings
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


class TypedInput(io.StringIO):
    """Stands for a person at a terminal: stdin that is a tty."""

    def isatty(self) -> bool:
        return True


class ClosingOutput(io.StringIO):
    """An output whose reader leaves after `keep` flushes: later writes hit a broken pipe."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep

    def flush(self) -> None:
        if self.keep <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.keep -= 1


GREETING = "Hello! May I keep your answers to help you?\n1. Yes\n2. No\n\n"


def _at_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", TypedInput(text))
    status = main(["chat", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.usefixtures("with_sample_flow")
def test_at_a_terminal_the_bot_greets_first_after_naming_the_conversation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _at_terminal(monkeypatch, capsys, "sim\n", "--user", "ana-1")

    assert status == 0
    assert out == (
        "(conversa ana-1; continue depois com --user ana-1)\n"
        + GREETING
        + "> What is your name?\n\n> \n"
    )
    assert err == ""


@pytest.mark.usefixtures("with_sample_flow")
def test_a_new_local_user_is_named_so_it_can_be_continued(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _at_terminal(monkeypatch, capsys, "")

    notice = out.splitlines()[0]
    user = notice.removeprefix("(conversa ").partition(";")[0]
    assert user.startswith("local-")
    assert notice == f"(conversa {user}; continue depois com --user {user})"


@pytest.mark.usefixtures("with_sample_flow")
def test_continuing_at_a_terminal_repeats_the_last_question_without_restarting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _chat(monkeypatch, capsys, "oi\nsim\n", "--user", "maria")

    _, out, _ = _at_terminal(monkeypatch, capsys, "Maria\n", "--user", "maria")

    assert out.splitlines()[1:] == [
        "What is your name?",
        "",
        "> Nice to meet you, Maria! Pick a colour.",
        "1. Azul",
        "2. Verde",
        "3. Vermelho",
        "",
        "> ",
    ]


@pytest.mark.usefixtures("with_sample_flow")
@pytest.mark.parametrize(("stdin", "args"), [(io.StringIO, ()), (TypedInput, ("--json",))])
def test_piped_or_json_chats_name_the_conversation_on_stderr(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: type[io.StringIO],
    args: tuple[str, ...],
) -> None:
    monkeypatch.setattr("sys.stdin", stdin("oi\n"))

    main(["chat", "--user", "joao", *args])

    captured = capsys.readouterr()
    assert captured.err == "(conversa joao; continue depois com --user joao)\n"
    assert "joao" not in captured.out


@pytest.mark.usefixtures("with_sample_flow")
@pytest.mark.parametrize("user", ["", "   ", "a\tb", "x" * 101])
def test_a_bad_user_id_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], user: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("oi\n"))

    status = main(["chat", "--user", user])

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.startswith("connect-energy: --user ")


@pytest.mark.usefixtures("with_sample_flow")
def test_a_closed_output_stops_the_chat_and_leaves_nothing_for_next_time(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    settings = Settings(_env_file=None, database_url=database_url)
    runtime = open_runtime(settings)
    flows = {"consumer": dataclasses.replace(SAMPLE_FLOW, name="consumer")}
    chat = terminal.TerminalChat(runtime, flows, user="pia", as_json=True)
    try:
        status = chat.run(io.StringIO("oi\nsim\nPia\n"), ClosingOutput(keep=0))
        with runtime.sessions() as session:
            statuses = session.scalars(select(OutboxMessage.status)).all()
            heard = session.scalar(select(func.count()).select_from(InboundMessage))
    finally:
        runtime.close()

    _, next_time = _chat(monkeypatch, capsys, "", "--json", "--user", "pia")

    assert status == 1
    assert statuses == ["failed"]
    assert heard == 1
    assert next_time == ""


def test_a_reader_that_leaves_ends_the_chat_quietly_with_status_1(
    database_url: str, tmp_path: Path
) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # nobody will read: the first reply hits a broken pipe
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOAD_DEMO_CATALOG": "false",
        "DEFAULT_LOCALE": "pt_BR",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "chat", "--user", "gone"],
            input=b"oi\nsim\nAna\n",
            stdout=writer,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)

    assert done.returncode == 1
    assert done.stderr.decode() == "(conversa gone; continue depois com --user gone)\n"


def test_options_that_show_their_number_are_not_numbered_twice() -> None:
    output = io.StringIO()
    sender = terminal.TerminalSender(output, as_json=False)
    options = (Option("o:1", "1. Telhado"), Option("o:2", "2. Sol"), Option("bill", "Mudar"))
    message = OutgoingMessage(1, "terminal", "me", "reply", Reply("Ofertas", options=options), 1)

    asyncio.run(sender.send(message))

    assert output.getvalue() == "Ofertas\n1. Telhado\n2. Sol\n3. Mudar\n\n"
