"""The fakes the notifications benchmark sends to, with the moment each message arrived.

The fake FCM (`tests/fakes/fcm.py`) and the SMTP server (`tests/fakes/smtp.py`, aiosmtpd)
of the tests, plain modules with no pytest in them, run in threads of the measuring
process. Here they also note when each message arrived (`time.perf_counter`, the clock the
benchmark notes commits with), and each can be down: FCM answering 503 UNAVAILABLE to every
send, the SMTP server not listening at all, so that a connection is refused.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.fakes.fcm import FakeFcm
from tests.fakes.smtp import Mailbox, free_port, start_smtp_server


@dataclass(frozen=True)
class Arrival:
    """One message a fake accepted: whom it was for, what it said, when it came.

    `recipient` is the device token (push) or the address (e-mail); `line` the push's body or
    the e-mail's subject; `name` the id FCM answered with (None for e-mail).
    """

    recipient: str
    line: str
    at: float  # time.perf_counter() when the fake accepted it
    name: str | None = None


@dataclass
class TimedFcm(FakeFcm):
    """The fake FCM, noting each push it accepts; `down` answers every send 503."""

    arrivals: list[Arrival] = field(default_factory=list)
    down: bool = False
    refused: int = 0  # sends answered 503 while down
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, path: str, authorization: str | None, body: Any) -> tuple[int, dict[str, Any]]:
        """The v1 send endpoint, or 503 while down."""
        if self.down:
            with self._count_lock:
                self.refused += 1
            return 503, {
                "error": {
                    "code": 503,
                    "message": "The service is unavailable.",
                    "status": "UNAVAILABLE",
                }
            }
        status, answer = super().send(path, authorization, body)
        if status == 200:
            message = body["message"]
            self.arrivals.append(
                Arrival(
                    recipient=message["token"],
                    line=message.get("notification", {}).get("body", ""),
                    at=time.perf_counter(),
                    name=answer["name"],
                )
            )
        return status, answer


class TimedMailbox(Mailbox):
    """A mailbox that notes when each message arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[Arrival] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        """Keep the message and the moment it came."""
        answer = await super().handle_DATA(server, session, envelope)
        mail: Message = self.messages[-1]
        self.arrivals.append(
            Arrival(recipient=str(mail["To"]), line=str(mail["Subject"]), at=time.perf_counter())
        )
        return answer


class SmtpFake:
    """The SMTP server on a port of its own, which can be taken down and brought back."""

    def __init__(self) -> None:
        self.mailbox = TimedMailbox()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """What SMTP_URL should be."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def arrivals(self) -> list[Arrival]:
        """Every message accepted, in arrival order."""
        return self.mailbox.arrivals

    def up(self) -> None:
        """Listen (again) on the port."""
        if self._controller is None:
            self._controller = start_smtp_server(self.mailbox, self.port)

    def down(self) -> None:
        """Stop listening: connections are refused until `up`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
