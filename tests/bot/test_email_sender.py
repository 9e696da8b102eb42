"""E-mail through the dispatcher to a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import asyncio

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from bot.dispatcher import Dispatcher
from bot.email_sender import CHANNEL, EmailSender, InvalidSmtpUrl, SmtpServer
from conversations.events import Reply
from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.models import OutboxMessage
from tests.fakes.smtp import Mailbox, free_port, start_smtp_server


@pytest.fixture
def port() -> int:
    """A port on 127.0.0.1 nobody listens on (yet)."""
    return free_port()


@pytest.fixture
def mailbox() -> Mailbox:
    """Where the local SMTP server puts what it receives."""
    return Mailbox()


def start_server(mailbox: Mailbox, port: int) -> Controller:
    return start_smtp_server(mailbox, port)


def write_email(sessions: sessionmaker[DbSession], clock: FixedClock, text: str) -> int:
    draft = outbox.OutboxDraft(
        channel=CHANNEL,
        recipient="maria@example.com",
        payload=Reply(text).to_payload(),
        kind="notification",
    )
    with sessions.begin() as session:
        [message_id] = outbox.add_messages(session, [draft], clock.now())
    return message_id


def status_of(sessions: sessionmaker[DbSession], message_id: int) -> str:
    with sessions() as session:
        return session.get_one(OutboxMessage, message_id).status


def test_smtp_down_then_up_the_mail_is_retried_and_arrives_once(
    sessions: sessionmaker[DbSession], clock: FixedClock, mailbox: Mailbox, port: int
) -> None:
    message_id = write_email(sessions, clock, "New lead #7\nDetails in the chat.")
    sender = EmailSender(SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), "bot@connect.test")
    dispatcher = Dispatcher(sessions, [sender], clock)

    down = asyncio.run(dispatcher.run_once())
    controller = start_server(mailbox, port)
    try:
        clock.advance(minutes=5)
        up = asyncio.run(dispatcher.run_once())
        again = asyncio.run(dispatcher.run_once())
    finally:
        controller.stop()

    assert (down.retried, up.sent, again.handled) == (1, 1, 0)
    assert status_of(sessions, message_id) == outbox.SENT
    [mail] = mailbox.messages
    assert (mail["To"], mail["From"], mail["Subject"]) == (
        "maria@example.com",
        "bot@connect.test",
        "New lead #7",
    )
    assert "Details in the chat." in str(mail.get_payload())


@pytest.mark.parametrize("url", ["http://127.0.0.1", "smtp://", "mail.example.com"])
def test_a_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidSmtpUrl):
        SmtpServer.from_url(url)
