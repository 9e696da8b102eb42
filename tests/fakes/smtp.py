"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        """Keep the message."""
        assert isinstance(envelope.content, bytes)
        # The default policy unfolds long headers, as a mail client shows them.
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        """The messages addressed to `address`, in arrival order."""
        return [message for message in self.messages if message["To"] == address]


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_smtp_server(mailbox: Mailbox, port: int) -> Controller:
    """Listen on `port` of 127.0.0.1, handing what arrives to `mailbox`."""
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller
