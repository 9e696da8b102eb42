"""`connect-energy chat` end to end: stdin in, outbox through the dispatcher, stdout out."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import locale
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import terminal
from bot.cli import main
from bot.dispatcher import OutgoingMessage
from bot.runtime import open_runtime
from conversations.events import Image, Option, Reply
from conversations.flow import Flow
from conversations.parsing import MAX_TEXT_LENGTH
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
        "Por favor, escolha uma das opções digitando o número dela (por exemplo 1).",
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
@pytest.mark.parametrize(
    "user", ["", "   ", "a\tb", "x" * 101, "\udcff", "ana\x1b[31m", "ana\u202ebeto"]
)
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


def _chat_bytes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes
) -> tuple[int, list[dict[str, Any]]]:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    status = main(["chat", "--json"])
    return status, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.usefixtures("with_sample_flow")
def test_a_line_that_is_not_utf8_is_asked_again_and_the_chat_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, messages = _chat_bytes(monkeypatch, capsys, b"oi\n\xff\xfe\nsim\n")

    assert status == 0
    assert len(messages) == 3
    assert messages[1]["options"] == messages[0]["options"]  # the consent question again
    assert messages[2]["text"] == "What is your name?"


@pytest.mark.usefixtures("with_sample_flow")
def test_an_endless_line_is_cut_and_asked_to_be_shorter(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, messages = _chat_bytes(monkeypatch, capsys, b"oi\n" + b"x" * 5_000_000 + b"\nsim\n")

    assert status == 0
    assert len(messages) == 3
    assert "2.000" in messages[1]["text"]  # "fewer than 2.000 characters", in Portuguese
    assert messages[2]["text"] == "What is your name?"


class CountingStream(io.BytesIO):
    """A byte stream that remembers the most bytes one read returned."""

    largest_read = 0

    def readline(self, size: int | None = -1, /) -> bytes:
        line = super().readline(size)
        self.largest_read = max(self.largest_read, len(line))
        return line


def test_reading_lines_holds_a_bounded_part_of_a_long_line() -> None:
    stream = CountingStream(b"a" * 50_000_000 + b"\nsim\r\n\xffok")

    lines = list(terminal.read_lines(stream))

    assert lines == ["a" * terminal.MAX_LINE_BYTES, "sim", "\ufffdok"]
    assert stream.largest_read <= 64 * 1024


def test_the_part_kept_of_a_long_line_is_too_long_even_in_four_byte_characters() -> None:
    kept = next(terminal.read_lines(io.BytesIO("😀".encode() * 10_000)))

    assert len(kept) > MAX_TEXT_LENGTH


def _locale_exists(name: str) -> bool:
    try:
        locale.setlocale(locale.LC_CTYPE, name)
    except locale.Error:
        return False
    finally:
        locale.setlocale(locale.LC_CTYPE, "")
    return True


@pytest.mark.parametrize(
    "locale_environment",
    [
        {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"},
        pytest.param(
            {"LC_ALL": "en_US.UTF-8", "PYTHONUTF8": "0"},
            marks=pytest.mark.skipif(
                not _locale_exists("en_US.UTF-8"), reason="no en_US.UTF-8 locale here"
            ),
        ),
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},  # ASCII stdio
    ],
    ids=["C.UTF-8", "en_US.UTF-8", "C-ascii"],
)
def test_chat_survives_bytes_that_are_not_utf8_whatever_the_locale(
    locale_environment: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "LOAD_DEMO_CATALOG": "false",
        **locale_environment,
    }

    finished = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--json", "--user", "bytes"],
        input=b"oi\n\xff\xfe\nsim\n",
        capture_output=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    messages = [json.loads(line) for line in finished.stdout.decode().splitlines()]
    notices = finished.stderr.decode().splitlines()
    assert finished.returncode == 0
    assert len(notices) == 1  # only the one naming the conversation, no traceback
    assert "--user bytes" in notices[0]
    assert len(messages) == 3
    assert messages[1]["options"] == messages[0]["options"]
    assert messages[2]["options"] != messages[0]["options"]


@pytest.mark.parametrize(
    ("as_json", "printed"),
    [
        (True, '{"text": "Ol\\u00e1! \\u2600", "options": [{"id": "n", "label": "N\\u00e3o"}]}\n'),
        (False, "Ola! ?\n1. Nao\n\n"),
    ],
)
def test_an_ascii_terminal_gets_every_message_in_ascii(as_json: bool, printed: str) -> None:
    raw = io.BytesIO()
    output = io.TextIOWrapper(raw, encoding="ascii", write_through=True)
    sender = terminal.TerminalSender(output, as_json=as_json)
    reply = Reply("Olá! ☀", options=(Option("n", "Não"),))

    asyncio.run(sender.send(OutgoingMessage(1, "terminal", "ana", "reply", reply, attempt=1)))

    assert raw.getvalue().decode("ascii") == printed


@pytest.mark.usefixtures("with_sample_flow")
@pytest.mark.parametrize("stream", ["sys.stdin", "sys.stdout"])
def test_chat_with_a_closed_standard_stream_says_so(
    stream: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("oi\n"))
    monkeypatch.setattr(stream, None)

    status = main(["chat"])

    assert status == 2
    assert "chat: standard input and output must be open" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("as_json", "printed"),
    [
        (False, "Pague: https://x.example/p\n[imagem: QR code. Um terminal não consegue"),
        (True, '"image": {"alt": "QR code", "shown": false}'),
    ],
)
def test_an_image_is_named_not_shown_in_the_terminal(as_json: bool, printed: str) -> None:
    output = io.StringIO()
    sender = terminal.TerminalSender(output, as_json=as_json, locale="pt_BR")
    reply = Reply("Pague: https://x.example/p", image=Image(png=b"\x89PNG", alt="QR code"))

    asyncio.run(sender.send(OutgoingMessage(1, "terminal", "ana", "reply", reply, attempt=1)))

    assert printed in output.getvalue()
