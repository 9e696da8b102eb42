"""E-mail as a delivery channel: outbox rows of channel `email` sent through `SMTP_URL`.

`smtp://host:port` sends in clear (a relay on the same host), `smtp+starttls://` upgrades
the connection first, and `smtps://` opens it over TLS; `user:password@` logs in. smtplib
blocks, so each message is sent on one of the sender's own threads (bot/sender_threads.py),
never on those the app's webhooks share. The recipient is an address, which never
reaches a log line: rows are named by their outbox id.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from bot.dispatcher import OutgoingMessage, PermanentSendError, RetryableSendError
from bot.sender_threads import SenderThreads

logger = logging.getLogger(__name__)

CHANNEL = "email"
SUBJECT_LENGTH = 78  # RFC 5322's recommended line length
TIMEOUT_SECONDS = 20.0
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
THREADS = 4  # e-mails being handed over at once, each on a connection of its own


class InvalidSmtpUrl(ValueError):
    """`SMTP_URL` is not `smtp://`, `smtp+starttls://` or `smtps://` with a host."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Read `SMTP_URL`.

        Raises:
            InvalidSmtpUrl: for another scheme or no host.
        """
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise InvalidSmtpUrl("SMTP_URL must be smtp://, smtp+starttls:// or smtps://HOST")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class EmailSender:
    """Sends outbox rows of channel `email`; a refused connection or a 4xx is retried."""

    channel = CHANNEL
    concurrency = THREADS  # the dispatcher starts no more sends at once

    def __init__(self, server: SmtpServer, sender: str) -> None:
        self.server = server
        self.sender = sender
        self.threads = SenderThreads(THREADS, "email")

    def close(self) -> None:
        """Wait for the e-mails under way, then release the threads."""
        self.threads.close()

    async def send(self, message: OutgoingMessage) -> None:
        """Hand one message to the SMTP server.

        Raises:
            RetryableSendError: the server is down or answered 4xx.
            PermanentSendError: the server refused the message or recipient for good (5xx).
        """
        mail = self._compose(message)
        try:
            await self.threads.run(self._deliver, mail)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentSendError(f"outbox {message.outbox_id}: recipient refused") from error
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                raise RetryableSendError(
                    f"outbox {message.outbox_id}: SMTP {error.smtp_code}"
                ) from error
            raise PermanentSendError(
                f"outbox {message.outbox_id}: SMTP {error.smtp_code}"
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise RetryableSendError(
                f"outbox {message.outbox_id}: {type(error).__name__}"
            ) from error
        logger.info("e-mail for outbox %s handed to the SMTP server", message.outbox_id)

    def _compose(self, message: OutgoingMessage) -> EmailMessage:
        text = message.reply.text
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = text.split("\n", 1)[0][:SUBJECT_LENGTH]
        mail.set_content(text)
        return mail

    def _deliver(self, mail: EmailMessage) -> None:
        server = self.server
        if server.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host,
                server.port,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        with client:
            if server.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if server.username and server.password:
                client.login(server.username, server.password)
            client.send_message(mail)
