"""The senders `serve` runs for push and e-mail: what an event notifies arrives, once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigurationError
from bot.notification_senders import notification_senders
from bot.runtime import Runtime
from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.consumers import ensure_consumers
from marketplace.devices import Platform, register_device
from marketplace.models import OutboxMessage
from marketplace.notification_preferences import set_email_address
from marketplace.notifications import ChatTarget, Notification, NotificationKind, notify
from marketplace.people import Person
from marketplace.settings import Settings
from tests.fakes.fcm import FakeFcm
from tests.fakes.smtp import Mailbox, free_port, start_smtp_server

CHAT = ChatTarget("telegram", "4242")


def receipt_for_maria(sessions: sessionmaker[Session], clock: FixedClock) -> list[int]:
    with sessions.begin() as session:
        key = (CHAT.channel, CHAT.chat_id)
        maria = Person.consumer(ensure_consumers(session, {key: "pt_BR"}, clock.now())[key])
        register_device(session, maria, "maria-token", Platform.IOS, clock.now())
        set_email_address(session, maria, "maria@example.com", clock.now())
        note = Notification(
            kind=NotificationKind.RECEIPT, text="Pagamento confirmado\nR$ 140,00", chat=CHAT
        )
        deliveries = notify(session, maria, note, clock.now())
    return [*deliveries.push, *([deliveries.email] if deliveries.email else [])]


def statuses(sessions: sessionmaker[Session], ids: list[int]) -> list[tuple[str, int]]:
    with sessions() as session:
        return [
            (row.status, row.attempts)
            for row in (session.get_one(OutboxMessage, row_id) for row_id in ids)
        ]


async def wait_until(condition: object, seconds: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_smtp_down_then_up_the_receipt_is_retried_and_arrives_once_beside_its_push(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    fcm, port, mailbox = FakeFcm().start(), free_port(), Mailbox()
    configured = settings.model_copy(
        update={
            "smtp_url": f"smtp://127.0.0.1:{port}",
            "fcm_credentials": str(fcm.write_credentials(tmp_path)),
            "fcm_api_url": fcm.url,
        }
    )
    push_id, email_id = receipt_for_maria(sessions, clock)

    async def scenario() -> None:
        async with notification_senders(Runtime(configured, engine, sessions, clock)) as running:
            assert sorted(sender.channel for sender in running) == ["email", "push"]
            await wait_until(lambda: statuses(sessions, [email_id])[0] == (outbox.PENDING, 1))
            await wait_until(lambda: statuses(sessions, [push_id])[0][0] == outbox.SENT)
            smtp = start_smtp_server(mailbox, port)  # the server comes up after the failure
            try:
                clock.advance(seconds=5)  # the first backoff
                await wait_until(lambda: statuses(sessions, [email_id])[0][0] == outbox.SENT)
                await asyncio.sleep(1.0)  # a few more passes: nothing goes out twice
            finally:
                smtp.stop()

    try:
        asyncio.run(scenario())
    finally:
        fcm.stop()

    assert statuses(sessions, [email_id]) == [(outbox.SENT, 2)]
    [mail] = mailbox.messages
    assert mail["Subject"].strip() == "Pagamento confirmado"
    [push] = fcm.sent
    assert (push.token, push.body) == ("maria-token", "Pagamento confirmado")


def pushes_queued(sessions: sessionmaker[Session], clock: FixedClock, count: int) -> None:
    """`count` people with one device each, a notice queued for each device."""
    with sessions.begin() as session:
        for number in range(count):
            key = ("telegram", f"busy-{number}")
            person = Person.consumer(ensure_consumers(session, {key: "pt_BR"}, clock.now())[key])
            register_device(session, person, f"token-{number}", Platform.ANDROID, clock.now())
            note = Notification(kind=NotificationKind.NOTICE, text="Aviso", chat=ChatTarget(*key))
            notify(session, person, note, clock.now())


def test_a_slow_fcm_leaves_the_apps_threads_to_the_app(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    # The senders run on the app's event loop, whose threads also serve the webhooks
    # (WhatsApp, PicPay, the device route): pushes FCM is slow to answer must not hold
    # all of them, or every webhook waits for FCM.
    fcm = FakeFcm(delay_seconds=0.5).start()
    configured = settings.model_copy(
        update={"fcm_credentials": str(fcm.write_credentials(tmp_path)), "fcm_api_url": fcm.url}
    )
    pushes_queued(sessions, clock, 16)

    async def webhook_wait() -> float:
        async with notification_senders(Runtime(configured, engine, sessions, clock)):
            await wait_until(lambda: len(fcm.requests) > 1)  # pushes are waiting for FCM
            began = time.monotonic()
            await asyncio.to_thread(lambda: None)  # what a webhook does with its work
            waited = time.monotonic() - began
            await wait_until(lambda: len(fcm.sent) == 16)  # a stop would leave the rest
            return waited

    try:
        waited = asyncio.run(webhook_wait())
    finally:
        fcm.stop()

    assert waited < 0.25
    assert len(fcm.sent) == 16


def test_a_receipts_e_mail_does_not_wait_for_pushes_fcm_is_slow_to_take(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    fcm, port, mailbox = FakeFcm(delay_seconds=1.0).start(), free_port(), Mailbox()
    configured = settings.model_copy(
        update={
            "smtp_url": f"smtp://127.0.0.1:{port}",
            "fcm_credentials": str(fcm.write_credentials(tmp_path)),
            "fcm_api_url": fcm.url,
        }
    )
    pushes_queued(sessions, clock, 20)  # 1 s each, 8 at once: 3 s of pushing

    async def pushed_when_mailed() -> int:
        async with notification_senders(Runtime(configured, engine, sessions, clock)):
            await wait_until(lambda: len(fcm.requests) > 1)
            receipt_for_maria(sessions, clock)  # her e-mail, and a push behind the others
            await wait_until(lambda: bool(mailbox.messages))
            return len(fcm.sent)

    smtp = start_smtp_server(mailbox, port)
    try:
        pushed = asyncio.run(pushed_when_mailed())
    finally:
        smtp.stop()
        fcm.stop()

    assert pushed < 20
    assert len(mailbox.messages) == 1


def test_without_smtp_or_fcm_no_sender_runs_and_rows_wait(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    ids = receipt_for_maria(sessions, clock)

    async def scenario() -> list[str]:
        async with notification_senders(Runtime(settings, engine, sessions, clock)) as running:
            return [sender.channel for sender in running]

    assert asyncio.run(scenario()) == []
    assert statuses(sessions, ids) == [(outbox.PENDING, 0), (outbox.PENDING, 0)]


def test_unusable_fcm_credentials_are_a_configuration_error(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    configured = settings.model_copy(update={"fcm_credentials": "/nonexistent/key.json"})

    async def scenario() -> None:
        async with notification_senders(Runtime(configured, engine, sessions, clock)):
            pass

    with pytest.raises(ConfigurationError, match="FCM_CREDENTIALS"):
        asyncio.run(scenario())
