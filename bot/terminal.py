"""The terminal channel: `connect-energy chat`, talking to the bot from a shell.

Each line typed (or piped in) is one message; the bot's answers come back the way they do
on any channel: written to the outbox by the engine, then sent by the dispatcher, here
through a sender that prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import io
import json
import logging
import sys
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, TextIO

from bot.dispatcher import Dispatcher, OutgoingMessage
from bot.errors import UsageError
from bot.flows import CONSUMER_FLOW, build_flows
from bot.runtime import Runtime, open_runtime
from conversations.engine import ConversationEngine
from conversations.errors import ConversationError
from conversations.events import InboundEvent
from conversations.flow import Flow
from conversations.parsing import MAX_TEXT_LENGTH
from marketplace.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "terminal"
PROMPT = "> "
# Room for one character more than the bot reads, even when every one takes four bytes.
MAX_LINE_BYTES = 4 * (MAX_TEXT_LENGTH + 1)
MAX_USER_LENGTH = 100


def register(commands: Any) -> None:
    """Add the `chat` subcommand."""
    parser = commands.add_parser("chat", help="talk to the bot in the terminal")
    parser.add_argument("--json", action="store_true", help="print each bot message as JSON")
    parser.add_argument("--user", help="continue the conversation of this local user id")
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace, settings: Settings) -> int:
    """Chat on stdin and stdout until the end of input."""
    flows = build_flows()
    if CONSUMER_FLOW not in flows:
        raise UsageError("chat: the consumer flow is not available yet")
    user = check_user(arguments.user) if arguments.user is not None else _new_user()
    # Python leaves these None when the shell closed them (`connect-energy chat <&-`).
    if sys.stdin is None or sys.stdout is None:
        raise UsageError("chat: standard input and output must be open")
    runtime = open_runtime(settings)
    try:
        session = TerminalChat(runtime, flows, user=user, as_json=arguments.json)
        return session.run(sys.stdin, sys.stdout)
    finally:
        runtime.close()


def check_user(user: str) -> str:
    """The `--user` id, refused when it is empty, too long, or not plain printable text.

    Raises:
        UsageError: saying what an id may hold.
    """
    # isprintable() is False for control and formatting characters, and for the lone
    # surrogates Python makes of command-line bytes that are not UTF-8 (`--user $'\xff'`).
    if not 0 < len(user) <= MAX_USER_LENGTH or not user.isprintable():
        raise UsageError(
            f"--user must be 1 to {MAX_USER_LENGTH} printable characters of UTF-8 text"
        )
    return user


def _new_user() -> str:
    return f"local-{uuid.uuid4().hex[:12]}"


class TerminalSender:
    """Prints bot messages: text then numbered options, or one JSON object per message."""

    channel = CHANNEL

    def __init__(self, output: TextIO, *, as_json: bool) -> None:
        self.output = output
        self.as_json = as_json
        # Under LC_ALL=C with UTF-8 mode off, stdout is ASCII and "Olá" cannot be written.
        self.encoding = codecs.lookup(getattr(output, "encoding", None) or "utf-8").name
        self.unicode = self.encoding.startswith("utf")

    async def send(self, message: OutgoingMessage) -> None:
        """Print one message and flush, so a pipe reader sees it at once."""
        reply = message.reply
        if self.as_json:
            options = [{"id": option.id, "label": option.label} for option in reply.options]
            payload = {"text": reply.text, "options": options}
            self.output.write(json.dumps(payload, ensure_ascii=not self.unicode) + "\n")
        else:
            self.output.write(self._writable(reply.text) + "\n")
            for number, option in enumerate(reply.options, start=1):
                self.output.write(f"{number}. {self._writable(option.label)}\n")
            self.output.write("\n")
        self.output.flush()

    def _writable(self, text: str) -> str:
        if self.unicode:
            return text
        # Letters lose their accents ("voce"); what has no plain form becomes "?".
        plain = unicodedata.normalize("NFKD", text)
        plain = "".join(char for char in plain if not unicodedata.combining(char))
        return plain.encode(self.encoding, "replace").decode(self.encoding)


class TerminalChat:
    """One person chatting from this terminal, as local user `user`."""

    def __init__(
        self, runtime: Runtime, flows: Mapping[str, Flow], *, user: str, as_json: bool
    ) -> None:
        self.runtime = runtime
        self.user = user
        self.as_json = as_json
        self.engine = ConversationEngine(
            runtime.sessions,
            flows,
            clock=runtime.clock,
            default_flow=CONSUMER_FLOW,
            default_locale=runtime.settings.default_locale,
        )

    def run(self, source: TextIO, output: TextIO) -> int:
        """Send each line of `source` as a message and print the answers; 0 at the end."""
        sender = TerminalSender(output, as_json=self.as_json)
        dispatcher = Dispatcher(
            self.runtime.sessions, [sender], self.runtime.clock, recipient=self.user
        )
        with asyncio.Runner() as loop:
            loop.run(dispatcher.run_once())  # anything left unsent from an earlier run
            for line in _lines(source):
                if not line.strip():
                    continue
                self._say(line)
                loop.run(dispatcher.run_once())
        return 0

    def _say(self, text: str) -> None:
        event = InboundEvent(
            channel=CHANNEL,
            chat_id=self.user,
            message_id=uuid.uuid4().hex,
            text=text,
            locale=self.runtime.settings.default_locale,
        )
        try:
            self.engine.handle(event)
        except ConversationError as error:
            # The terminal is its own platform: report, keep nothing, and read on.
            print(f"connect-energy: the bot could not answer that: {error}", file=sys.stderr)


def _lines(source: TextIO) -> Iterator[str]:
    if not source.isatty():
        # Read the bytes beneath the text layer, so input that is not UTF-8 is ours to handle.
        raw: BinaryIO | None = getattr(source, "buffer", None)
        if raw is None:  # already text, such as a StringIO standing in for stdin
            yield from (line.rstrip("\r\n") for line in source)
        else:
            yield from read_lines(raw)
        return
    if isinstance(source, io.TextIOWrapper):
        source.reconfigure(errors="replace")  # input() decodes with these settings
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            print()
            return


def read_lines(stream: BinaryIO, *, limit: int = MAX_LINE_BYTES) -> Iterator[str]:
    """Each line of `stream` as text, without its line ending.

    Bytes that are not UTF-8 become U+FFFD, which the bot answers like any other text it
    cannot use. Of a longer line, the first `limit` bytes are kept and the rest is skipped
    without holding it in memory; what is kept is still too long, so the bot asks for a
    shorter message.
    """
    while line := stream.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            line = line[:limit]
            _skip_rest_of_line(stream)
        yield line.decode("utf-8", "replace").rstrip("\r\n")


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while chunk := stream.readline(64 * 1024):
        if chunk.endswith(b"\n"):
            return
