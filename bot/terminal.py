"""The terminal channel: `connect-energy chat`, talking to the bot from a shell.

Each line typed (or piped in) is one message; the bot's answers come back the way they do
on any channel: written to the outbox by the engine, then sent by the dispatcher, here
through a sender that prints them.

At a terminal the bot speaks first: a new conversation opens with its greeting, a continued
one (`--user`) with the last thing it said. Piped input starts nothing by itself: its first
line is the first message.

When the output closes (`connect-energy chat | head`), the chat stops with status 1. The
replies it could not print are marked failed rather than left pending: nobody is there to
read them, and left pending they would pop up, out of context, at the start of the next run.
Nothing is lost for the person: the transcript keeps them, and coming back at a terminal
with `--user` shows the current question again.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import io
import json
import logging
import os
import sys
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, TextIO

from sqlalchemy import select

from bot.dispatcher import ChannelClosed, Dispatcher, OutgoingMessage
from bot.errors import UsageError
from bot.flows import CONSUMER_FLOW, build_flows
from bot.runtime import Runtime, open_runtime
from conversations.engine import ConversationEngine
from conversations.errors import ConversationError
from conversations.events import InboundEvent, Reply
from conversations.flow import Flow
from conversations.i18n import N_, translator_for
from conversations.parsing import MAX_TEXT_LENGTH
from marketplace.contract_tokens import ContractLinks
from marketplace.models import Conversation
from marketplace.settings import MissingSecretKey, Settings

logger = logging.getLogger(__name__)

CHANNEL = "terminal"
PROMPT = "> "
OPENING = "/start"
EXIT_OK = 0
EXIT_OUTPUT_CLOSED = 1
MAX_USER = 100
LAST_TURN_LINES = 20  # enough to hold the bot's last answer, however many messages it had
# Room for one character more than the bot reads, even when every one takes four bytes.
MAX_LINE_BYTES = 4 * (MAX_TEXT_LENGTH + 1)


def register(commands: Any) -> None:
    """Add the `chat` subcommand."""
    parser = commands.add_parser("chat", help="talk to the bot in the terminal")
    parser.add_argument("--json", action="store_true", help="print each bot message as JSON")
    parser.add_argument("--user", help="continue the conversation of this local user id")
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace, settings: Settings) -> int:
    """Chat on stdin and stdout until the end of input (or of the output)."""
    flows = build_flows()
    if CONSUMER_FLOW not in flows:
        raise UsageError("chat: the consumer flow is not available yet")
    user = _user(arguments.user)
    # Python leaves these None when the shell closed them (`connect-energy chat <&-`).
    if sys.stdin is None or sys.stdout is None:
        raise UsageError("chat: standard input and output must be open")
    runtime = open_runtime(settings)
    try:
        session = TerminalChat(runtime, flows, user=user, as_json=arguments.json)
        status = session.run(sys.stdin, sys.stdout)
    finally:
        runtime.close()
    if status == EXIT_OUTPUT_CLOSED:
        _silence_stdout()
    return status


def _user(given: str | None) -> str:
    if given is None:
        return f"local-{uuid.uuid4().hex[:12]}"
    if not given.strip():
        raise UsageError("--user needs an id; leave it out to start a new conversation")
    if len(given) > MAX_USER or not given.isprintable():
        raise UsageError(f"--user must be 1 to {MAX_USER} printable characters")
    return given


def _silence_stdout() -> None:
    # Python flushes stdout again at exit and would report the broken pipe; point the
    # descriptor at /dev/null so the exit stays quiet.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


IMAGE_NOT_SHOWN = N_("[image: {alt}. A terminal cannot show it; use the link above.]")


class TerminalSender:
    """Prints bot messages: text then numbered options, or one JSON object per message."""

    channel = CHANNEL

    def __init__(self, output: TextIO, *, as_json: bool, locale: str | None = None) -> None:
        self.output = output
        self.as_json = as_json
        self.translator = translator_for(locale)
        self.closed = False
        # Under LC_ALL=C with UTF-8 mode off, stdout is ASCII and "Olá" cannot be written.
        self.encoding = codecs.lookup(getattr(output, "encoding", None) or "utf-8").name
        self.unicode = self.encoding.startswith("utf")

    async def send(self, message: OutgoingMessage) -> None:
        """Print one message from the outbox."""
        self.show(message.reply)

    def show(self, reply: Reply) -> None:
        """Print one reply and flush, so a pipe reader sees it at once.

        Raises:
            ChannelClosed: the output is closed (its reader left); nothing more can be shown.
        """
        if self.closed:
            raise ChannelClosed("the terminal's output is closed")
        try:
            self.output.write(self._format(reply))
            self.output.flush()
        except (BrokenPipeError, ValueError) as error:  # ValueError: a file closed here
            self.closed = True
            raise ChannelClosed("the terminal's output is closed") from error

    def _format(self, reply: Reply) -> str:
        if self.as_json:
            options = [{"id": option.id, "label": option.label} for option in reply.options]
            payload: dict[str, Any] = {"text": reply.text, "options": options}
            if reply.image is not None:
                payload["image"] = {"alt": reply.image.alt, "shown": False}
            return json.dumps(payload, ensure_ascii=not self.unicode) + "\n"
        lines = [self._writable(reply.text) + "\n"]
        if reply.image is not None:
            # A terminal prints text only; the link in the text is the way to pay here.
            note = self.translator.gettext(IMAGE_NOT_SHOWN).format(alt=reply.image.alt)
            lines.append(self._writable(note) + "\n")
        for number, option in enumerate(reply.options, start=1):
            label = self._writable(option.label)
            # Offer buttons carry their list number already ("1. Telhado ...").
            numbered = label.startswith(f"{number}. ")
            lines.append(f"{label}\n" if numbered else f"{number}. {label}\n")
        return "".join(lines) + "\n"

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
            contract_links=_contract_links(runtime),
        )

    def run(self, source: TextIO, output: TextIO) -> int:
        """Send each line of `source` as a message and print the answers.

        Returns:
            0 at the end of `source`; 1 as soon as `output` is closed.
        """
        interactive = source.isatty()
        sender = TerminalSender(
            output, as_json=self.as_json, locale=self.runtime.settings.default_locale
        )
        dispatcher = Dispatcher(
            self.runtime.sessions, [sender], self.runtime.clock, recipient=self.user
        )
        self._introduce(output if interactive and not self.as_json else sys.stderr)
        with asyncio.Runner() as loop:
            leftover = loop.run(dispatcher.run_once())  # anything unsent from an earlier run
            if interactive and not sender.closed:
                self._open(sender, resumed_by=leftover.sent > 0)
                loop.run(dispatcher.run_once())
            lines = _lines(source)
            while not sender.closed:  # checked before the prompt, which would hit the pipe
                line = next(lines, None)
                if line is None:
                    break
                if line.strip():
                    self._say(line)
                    loop.run(dispatcher.run_once())
        return EXIT_OUTPUT_CLOSED if sender.closed else EXIT_OK

    def _introduce(self, notices: TextIO) -> None:
        _ = translator_for(self.runtime.settings.default_locale).gettext
        notice = _("(conversation {user}; continue later with --user {user})")
        print(notice.format(user=self.user), file=notices, flush=True)

    def _open(self, sender: TerminalSender, *, resumed_by: bool) -> None:
        """Let the bot speak first: a greeting, or the last thing it said to this user."""
        last_turn = self._last_turn()
        if last_turn is None:
            self._say(OPENING)  # a new conversation shows its first question, whatever is said
            return
        if resumed_by:
            return  # what was left unsent from the last run just came out
        with contextlib.suppress(ChannelClosed):
            for reply in last_turn:
                sender.show(reply)

    def _last_turn(self) -> list[Reply] | None:
        """The bot's messages after the user's last one; None if this user never chatted."""
        with self.runtime.sessions() as session:
            conversation_id = session.scalar(
                select(Conversation.id).where(
                    Conversation.channel == CHANNEL, Conversation.chat_id == self.user
                )
            )
            if conversation_id is None:
                return None
            lines = self.engine.transcripts.history(
                session, conversation_id, limit=LAST_TURN_LINES
            )
        replies: list[Reply] = []
        for line in reversed(lines):
            if line.direction == "in":
                break
            replies.insert(0, Reply.from_payload(line.body))
        return replies

    def _say(self, text: str) -> None:
        event = InboundEvent(
            channel=CHANNEL,
            chat_id=self.user,
            message_id=uuid.uuid4().hex,
            text=text,
            locale=self.runtime.settings.default_locale,
            buttons=False,  # options are printed numbered, and typed
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


def _contract_links(runtime: Runtime) -> ContractLinks | None:
    # `serve` needs SECRET_KEY; a terminal chat on a server database without one still
    # works, but cannot mint signing links, so contracts wait for the web app to send them.
    try:
        return runtime.contract_links()
    except MissingSecretKey:
        logger.info("SECRET_KEY is not set: this chat sends no contract signing links")
        return None
