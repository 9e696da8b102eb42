"""The Telegram sender behind the outbox dispatcher, against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.dispatcher import Dispatcher, DispatchReport, OutgoingMessage, RetryableSendError
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.sender import TelegramSender
from conversations.events import Image, Option, Reply
from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.consumers import ensure_consumers, mark_unreachable, touch_identities
from marketplace.models import ChannelIdentity, OutboxMessage
from marketplace.picpay_sandbox import qr_png
from tests.fakes.telegram_api import (
    BLOCKED,
    NOT_MODIFIED,
    SERVER_ERROR,
    FakeTelegram,
    too_many_requests,
)
from tests.fakes.telegram_spec import parse_html, utf16_length

CHAT = 5550001


class SenderRig:
    """A dispatcher with the Telegram sender, on one event loop, with a fake monotonic clock."""

    def __init__(
        self,
        runner: asyncio.Runner,
        fake: FakeTelegram,
        sessions: sessionmaker[Session],
        clock: FixedClock,
        *,
        max_attempts: int = 8,
        base_url: str | None = None,
    ) -> None:
        self.runner = runner
        self.sessions = sessions
        self.clock = clock
        self.monotonic = 0.0
        self.sleeps: list[float] = []
        limiter = RateLimiter(clock=lambda: self.monotonic, sleep=self.sleep)
        self.bot = Bot(fake.token, base_url=base_url or fake.base_url)
        self.sender = TelegramSender(self.bot, sessions, limiter=limiter, sleep=self.sleep)
        self.dispatcher = Dispatcher(sessions, [self.sender], clock, max_attempts=max_attempts)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.monotonic += seconds

    def write(self, *replies: Reply, chat: int = CHAT) -> list[int]:
        drafts = [
            outbox.OutboxDraft(channel="telegram", recipient=str(chat), payload=r.to_payload())
            for r in replies
        ]
        with self.sessions.begin() as session:
            return outbox.add_messages(session, drafts, self.clock.now())

    def dispatch(self) -> DispatchReport:
        return self.runner.run(self.dispatcher.run_once())

    def row(self, outbox_id: int) -> OutboxMessage:
        with self.sessions() as session:
            return session.get_one(OutboxMessage, outbox_id)


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as loop:
        yield loop


@pytest.fixture
def rig(
    runner: asyncio.Runner,
    fake_telegram: FakeTelegram,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> Iterator[SenderRig]:
    built = SenderRig(runner, fake_telegram, sessions, clock)
    yield built
    runner.run(built.bot.shutdown())


def test_a_reply_goes_out_as_html_with_its_buttons(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    options = (
        Option("yes", "Sim"),
        Option("no", "Não"),
        Option("d:1234", "Enel Distribuição Ceará"),
    )
    [row] = rig.write(Reply("Oferta da Sol & Luz <Ltda>: R$ 52,50", options=options))

    report = rig.dispatch()

    assert report.sent == 1
    [message] = fake_telegram.messages_to(CHAT)
    assert message["text"] == "Oferta da Sol &amp; Luz &lt;Ltda&gt;: R$ 52,50"
    assert message["parse_mode"] == "HTML"
    assert message["reply_markup"]["inline_keyboard"] == [
        [{"text": "Sim", "callback_data": "yes"}],
        [{"text": "Não", "callback_data": "no"}],
        [{"text": "Enel Distribuição Ceará", "callback_data": "d:1234"}],
    ]
    assert rig.row(row).status == outbox.SENT


def test_a_reply_over_4096_characters_is_split_with_the_keyboard_last(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    paragraphs = [f"Parágrafo {n} & mais: " + ("energia " * 60).strip() for n in range(20)]
    text = "\n\n".join(paragraphs)
    rig.write(Reply(text, options=(Option("ok", "Ok"),)))

    rig.dispatch()

    sent = fake_telegram.messages_to(CHAT)
    plain = [parse_html(message["text"])[0] for message in sent]
    assert len(sent) == 3
    assert all(utf16_length(part) <= 4096 for part in plain)
    assert "\n\n".join(plain) == text.strip()
    assert [("reply_markup" in message) for message in sent] == [False, False, True]


def test_escaping_does_not_count_against_the_length(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    rig.write(Reply("&" * 4000))

    rig.dispatch()

    [message] = fake_telegram.messages_to(CHAT)
    assert message["text"] == "&amp;" * 4000


def test_emoji_count_twice_towards_the_limit(rig: SenderRig, fake_telegram: FakeTelegram) -> None:
    rig.write(Reply("\U0001f600" * 3000))

    rig.dispatch()

    assert [len(m["text"]) for m in fake_telegram.messages_to(CHAT)] == [2048, 952]


def test_a_429_is_retried_no_sooner_than_retry_after(
    rig: SenderRig, fake_telegram: FakeTelegram, clock: FixedClock
) -> None:
    [row] = rig.write(Reply("Olá"))
    fake_telegram.fail_next(too_many_requests(retry_after=30))

    first = rig.dispatch()
    clock.advance(seconds=29)
    too_soon = rig.dispatch()
    clock.advance(seconds=1)
    on_time = rig.dispatch()

    assert (first.retried, too_soon.handled, on_time.sent) == (1, 0, 1)
    assert [call.status for call in fake_telegram.calls] == [429, 200]
    assert rig.row(row).status == outbox.SENT


def test_a_flood_on_the_first_part_is_left_to_the_outbox(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    rig.write(Reply("a " * 3000))
    fake_telegram.fail_next(too_many_requests(retry_after=3))

    report = rig.dispatch()

    assert report.retried == 1
    assert 3 not in rig.sleeps
    assert [call.status for call in fake_telegram.calls] == [429]


def test_a_flood_on_a_later_part_is_waited_out_without_resending_the_first(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    rig.write(Reply("a " * 3000))
    fake_telegram.fail_next(too_many_requests(retry_after=3), skip=1)

    report = rig.dispatch()

    assert report.sent == 1
    assert [call.status for call in fake_telegram.calls] == [200, 429, 200]
    assert 3 in rig.sleeps


def test_a_part_that_fails_is_resumed_without_resending_the_earlier_ones(
    rig: SenderRig, fake_telegram: FakeTelegram, clock: FixedClock
) -> None:
    paragraphs = [f"Parágrafo {n}: " + ("energia " * 60).strip() for n in range(20)]
    text = "\n\n".join(paragraphs)
    [row] = rig.write(Reply(text, options=(Option("ok", "Ok"),)))
    fake_telegram.fail_next(SERVER_ERROR, skip=1)

    first = rig.dispatch()
    after_failure = rig.row(row).parts_sent
    clock.advance(hours=1)
    second = rig.dispatch()

    sent = fake_telegram.messages_to(CHAT)
    assert (first.retried, second.sent) == (1, 1)
    assert after_failure == 1
    assert [call.status for call in fake_telegram.calls] == [200, 502, 200, 200]
    assert "\n\n".join(parse_html(message["text"])[0] for message in sent) == text
    assert [("reply_markup" in message) for message in sent] == [False, False, True]
    assert (rig.row(row).status, rig.row(row).parts_sent) == (outbox.SENT, 3)


def test_a_blocked_bot_marks_the_identity_unreachable_and_stops_retrying(
    rig: SenderRig, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        ensure_consumers(session, {("telegram", str(CHAT)): "pt_BR"}, clock.now())
    [row] = rig.write(Reply("Olá"))
    fake_telegram.fail_next(BLOCKED)

    report = rig.dispatch()
    clock.advance(days=1)
    later = rig.dispatch()

    assert (report.failed, later.handled) == (1, 0)
    assert rig.row(row).status == outbox.FAILED
    assert "blocked" in (rig.row(row).last_error or "")
    assert len(fake_telegram.calls) == 1
    assert _unreachable(sessions) is True


def test_writing_again_makes_a_blocked_identity_reachable(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    key = ("telegram", str(CHAT))
    with sessions.begin() as session:
        ensure_consumers(session, {key: "pt_BR"}, clock.now())
        mark_unreachable(session, key)
    blocked = _unreachable(sessions)

    with sessions.begin() as session:
        touch_identities(session, [key], clock.now())

    assert blocked is True
    assert _unreachable(sessions) is False


def test_message_is_not_modified_counts_as_sent(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    [row] = rig.write(Reply("Olá"))
    fake_telegram.fail_next(NOT_MODIFIED)

    report = rig.dispatch()

    assert report.sent == 1
    assert rig.row(row).status == outbox.SENT


def test_server_errors_are_retried_with_backoff_until_the_row_fails(
    runner: asyncio.Runner,
    fake_telegram: FakeTelegram,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    rig = SenderRig(runner, fake_telegram, sessions, clock, max_attempts=3)
    [row] = rig.write(Reply("Olá"))
    for _ in range(3):
        fake_telegram.fail_next(SERVER_ERROR)

    reports = []
    for _ in range(3):
        reports.append(rig.dispatch())
        clock.advance(hours=1)
    runner.run(rig.bot.shutdown())

    assert [(r.retried, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    assert rig.row(row).status == outbox.FAILED
    assert rig.row(row).attempts == 3


def test_an_unreachable_api_is_a_retryable_failure(
    runner: asyncio.Runner,
    fake_telegram: FakeTelegram,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    closed_port = "http://127.0.0.1:9/bot"
    rig = SenderRig(runner, fake_telegram, sessions, clock, base_url=closed_port)
    message = OutgoingMessage(1, "telegram", str(CHAT), "reply", Reply("Olá"), 1)

    with pytest.raises(RetryableSendError):
        runner.run(rig.sender.send(message))
    runner.run(rig.bot.shutdown())


def test_one_chat_gets_a_short_burst_then_one_message_a_second(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    rig.write(*(Reply(f"m{n}") for n in range(5)))

    rig.dispatch()

    assert len(fake_telegram.messages_to(CHAT)) == 5
    assert rig.monotonic == pytest.approx(2.0)


def _unreachable(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return bool(session.scalars(select(ChannelIdentity.unreachable)).one())


def test_an_image_goes_out_as_an_uploaded_photo_before_the_text(
    rig: SenderRig, fake_telegram: FakeTelegram
) -> None:
    qr = qr_png("https://app.picpay.com/checkout/abc")
    reply = Reply(
        "Para pagar R$ 149,90: https://app.picpay.com/checkout/abc",
        options=(Option("paid", "Já paguei"),),
        image=Image(png=qr, alt="QR code para pagar R$ 149,90 com o PicPay"),
    )
    [row] = rig.write(reply)

    rig.dispatch()

    [photo] = fake_telegram.photos_to(CHAT)
    assert photo["photo"] == {"filename": "qrcode.png", "size": len(qr), "image": True}
    assert photo["caption"] == "QR code para pagar R$ 149,90 com o PicPay"
    assert "reply_markup" not in photo
    [message] = fake_telegram.messages_to(CHAT)
    assert message["text"].endswith("https://app.picpay.com/checkout/abc")
    assert message["reply_markup"]["inline_keyboard"] == [
        [{"text": "Já paguei", "callback_data": "paid"}]
    ]
    assert [call.method for call in fake_telegram.calls] == ["sendPhoto", "sendMessage"]
    assert rig.row(row).status == outbox.SENT


def test_a_photo_sent_before_a_failure_is_not_sent_again(
    rig: SenderRig, fake_telegram: FakeTelegram, clock: FixedClock
) -> None:
    fake_telegram.fail_next(SERVER_ERROR, method="sendMessage")
    rig.write(Reply("O link", image=Image(png=qr_png("x"), alt="QR")))

    rig.dispatch()
    clock.advance(minutes=5)
    rig.dispatch()

    assert len(fake_telegram.photos_to(CHAT)) == 1
    assert len(fake_telegram.messages_to(CHAT)) == 1
