"""Push through the real firebase-admin client to a fake FCM v1 endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatcher import Dispatcher
from bot.push_sender import FcmUnavailable, PushSender
from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.consumers import ensure_consumers
from marketplace.devices import Platform, device_by_token, register_device, remove_device
from marketplace.models import OutboxMessage
from marketplace.notifications import ChatTarget, Notification, NotificationKind, notify
from marketplace.people import Person
from tests.fakes.fcm import FakeFcm

TOKEN = "dGVzdC1kZXZpY2U6QVBBOTFiSGVsbG8tZmFrZS10b2tlbg"


@pytest.fixture
def fcm() -> Iterator[FakeFcm]:
    """The fake FCM and token endpoint; the test fails if a request broke the v1 shape."""
    fake = FakeFcm().start()
    yield fake
    fake.stop()
    assert fake.violations == []


@pytest.fixture
def sender(sessions: sessionmaker[Session], fcm: FakeFcm, tmp_path: Path) -> Iterator[PushSender]:
    """A push sender with a service account made for this test, pointed at the fake."""
    push = PushSender(sessions, str(fcm.write_credentials(tmp_path)), fcm.url)
    yield push
    push.close()


def push_to_maria(sessions: sessionmaker[Session], clock: FixedClock, token: str = TOKEN) -> int:
    with sessions.begin() as session:
        key = ("telegram", "4242")
        maria = Person.consumer(ensure_consumers(session, {key: "pt_BR"}, clock.now())[key])
        register_device(session, maria, token, Platform.ANDROID, clock.now())
        note = Notification(
            kind=NotificationKind.LEAD_NEWS,
            text="A Sol Ltda aceitou seu pedido.\nEla vai entrar em contato.",
            chat=ChatTarget(*key),
            data={"lead_id": "7"},
        )
        [row] = notify(session, maria, note, clock.now()).push
    return row


def row(sessions: sessionmaker[Session], row_id: int) -> OutboxMessage:
    with sessions() as session:
        return session.get_one(OutboxMessage, row_id)


def test_a_push_reaches_fcm_with_the_v1_shape(
    sessions: sessionmaker[Session], clock: FixedClock, sender: PushSender, fcm: FakeFcm
) -> None:
    row_id = push_to_maria(sessions, clock)

    report = asyncio.run(Dispatcher(sessions, [sender], clock).run_once())

    assert report.sent == 1
    [push] = fcm.sent
    assert push.token == TOKEN
    assert (push.title, push.body) == ("Connect Energy", "A Sol Ltda aceitou seu pedido.")
    assert push.data == {"kind": "lead_news", "lead_id": "7"}
    sent = row(sessions, row_id)
    assert sent.status == outbox.SENT
    assert sent.provider_message_id == f"projects/{fcm.project_id}/messages/1"


@pytest.mark.parametrize("death", ["unregistered", "invalid"])
def test_a_dead_token_deletes_its_device_and_fails_the_row(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    sender: PushSender,
    fcm: FakeFcm,
    death: str,
) -> None:
    row_id = push_to_maria(sessions, clock)
    (fcm.dead_tokens if death == "unregistered" else fcm.invalid_tokens).add(TOKEN)

    report = asyncio.run(Dispatcher(sessions, [sender], clock).run_once())

    assert report.failed == 1
    assert row(sessions, row_id).status == outbox.FAILED
    with sessions() as session:
        assert device_by_token(session, TOKEN) is None
    assert fcm.sent == []


def test_fcm_down_then_up_the_push_is_retried_with_backoff_and_arrives_once(
    sessions: sessionmaker[Session], clock: FixedClock, sender: PushSender, fcm: FakeFcm
) -> None:
    row_id = push_to_maria(sessions, clock)
    fcm.fail_next(503, times=2)
    dispatcher = Dispatcher(sessions, [sender], clock)

    assert asyncio.run(dispatcher.run_once()).retried == 1
    first_retry = row(sessions, row_id).next_attempt_at
    assert asyncio.run(dispatcher.run_once()).handled == 0  # not due yet
    clock.advance(seconds=5)
    assert asyncio.run(dispatcher.run_once()).retried == 1
    second_retry = row(sessions, row_id).next_attempt_at
    assert second_retry - clock.now() == timedelta(seconds=10)  # the backoff doubled
    clock.advance(seconds=10)
    assert asyncio.run(dispatcher.run_once()).sent == 1

    assert first_retry < second_retry
    assert len(fcm.sent) == 1
    with sessions() as session:
        assert device_by_token(session, TOKEN) is not None


def test_fcm_down_for_good_leaves_a_visible_failed_row(
    sessions: sessionmaker[Session], clock: FixedClock, sender: PushSender, fcm: FakeFcm
) -> None:
    row_id = push_to_maria(sessions, clock)
    fcm.fail_next(500, times=3)
    dispatcher = Dispatcher(sessions, [sender], clock, max_attempts=3)

    for _ in range(3):
        asyncio.run(dispatcher.run_once())
        clock.advance(hours=1)

    failed = row(sessions, row_id)
    assert failed.status == outbox.FAILED
    assert failed.attempts == 3
    assert "InternalError" in (failed.last_error or "")


def test_a_device_removed_before_sending_gets_nothing(
    sessions: sessionmaker[Session], clock: FixedClock, sender: PushSender, fcm: FakeFcm
) -> None:
    row_id = push_to_maria(sessions, clock)
    with sessions.begin() as session:
        device = device_by_token(session, TOKEN)
        assert device is not None
        assert remove_device(session, device.person, TOKEN)

    report = asyncio.run(Dispatcher(sessions, [sender], clock).run_once())

    assert report.failed == 1
    assert row(sessions, row_id).status == outbox.FAILED
    assert fcm.sent == []


def test_credentials_that_are_not_a_service_account_are_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    bogus = tmp_path / "not-a-key.json"
    bogus.write_text('{"type": "authorized_user"}', encoding="utf-8")

    with pytest.raises(FcmUnavailable):
        PushSender(sessions, str(bogus), "http://127.0.0.1:9")
    with pytest.raises(FcmUnavailable):
        PushSender(sessions, str(tmp_path / "missing.json"), "http://127.0.0.1:9")


def test_a_refused_message_fails_but_its_device_stays(
    sessions: sessionmaker[Session], clock: FixedClock, sender: PushSender, fcm: FakeFcm
) -> None:
    row_id = push_to_maria(sessions, clock)
    fcm.fail_next(400)

    report = asyncio.run(Dispatcher(sessions, [sender], clock).run_once())

    assert report.failed == 1
    assert row(sessions, row_id).status == outbox.FAILED
    with sessions() as session:
        assert device_by_token(session, TOKEN) is not None
