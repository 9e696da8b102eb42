"""Long polling: the app without a webhook secret fetches updates from the fake Bot API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from conversations.flow import Flow
from marketplace.clock import FixedClock
from marketplace.settings import Settings
from tests.conversations.conftest import count_rows
from tests.conversations.sample_flow import SAMPLE_FLOW
from tests.fakes.telegram_api import MAX_HOLD_SECONDS, FakeTelegram, too_many_requests
from tests.fakes.telegram_updates import TelegramPerson
from tests.support.telegram_chat import TelegramChat, labels, texts
from webhooks.app import create_app

FLOWS: dict[str, Flow] = {"sample": SAMPLE_FLOW}
DEFAULT_FLOW = "sample"


@pytest.fixture
def polling_settings(telegram_settings: Settings) -> Settings:
    return telegram_settings.model_copy(update={"telegram_webhook_secret": None})


@pytest.fixture
def polling_app(
    polling_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> Iterator[TestClient]:
    runtime = Runtime(polling_settings, engine, sessions, clock)
    app = create_app(runtime=runtime, flows=FLOWS, default_flow=DEFAULT_FLOW)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def chat(
    polling_app: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> TelegramChat:
    return TelegramChat(TelegramPerson(), fake_telegram, sessions, fake_telegram.queue_update)


def test_a_conversation_goes_through_by_polling(
    chat: TelegramChat, fake_telegram: FakeTelegram
) -> None:
    greeting = chat.say("/start")
    asked_name = chat.tap("Yes")
    asked_colour = chat.say("Ana")
    done = chat.tap("Vermelho")

    assert labels(greeting[-1]) == ["Yes", "No"]
    assert texts(asked_name) == ["What is your name?"]
    assert labels(asked_colour[-1]) == ["Azul", "Verde", "Vermelho"]
    assert texts(done) == ["All set, Ana: c-red."]
    assert len(fake_telegram.calls_to("answerCallbackQuery")) == 2


def test_polling_drops_the_webhook_first_and_confirms_what_it_handled(
    chat: TelegramChat, fake_telegram: FakeTelegram
) -> None:
    update = chat.person.text("/start")

    chat.send(update)
    fake_telegram.wait_until(
        lambda: any(
            call.params.get("offset", 0) > update["update_id"]
            for call in fake_telegram.calls_to("getUpdates")
        ),
        what="the offset to move past the update",
    )

    methods = [call.method for call in fake_telegram.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert all(
        call.params["allowed_updates"] == ["message", "callback_query"]
        and call.params["timeout"] > 0
        for call in fake_telegram.calls_to("getUpdates")
    )


def test_a_repeated_update_is_answered_once_by_polling(
    chat: TelegramChat, sessions: sessionmaker[Session]
) -> None:
    update = chat.person.text("oi")

    first = chat.send(update)
    again = chat.send(update)

    assert len(first) == 1
    assert again == []
    assert count_rows(sessions)["inbound_messages"] == 1


def test_ignored_updates_do_not_stop_polling(
    chat: TelegramChat, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.queue_update(chat.person.edited("corrigido"))
    fake_telegram.queue_update(chat.person.channel_post("novidades"))

    greeting = chat.say("/start")

    assert len(greeting) == 1


def test_a_flood_wait_on_get_updates_is_honoured(
    chat: TelegramChat, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail_next(too_many_requests(retry_after=1), method="getUpdates")

    greeting = chat.say("/start")

    assert len(greeting) == 1
    assert 429 in [call.status for call in fake_telegram.calls if call.method == "getUpdates"]


def test_stopping_the_app_stops_polling(
    polling_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> None:
    runtime = Runtime(polling_settings, engine, sessions, clock)
    app = create_app(runtime=runtime, flows=FLOWS, default_flow=DEFAULT_FLOW)
    with TestClient(app):
        fake_telegram.wait_until(lambda: bool(fake_telegram.calls_to("getUpdates")))

    time.sleep(MAX_HOLD_SECONDS + 0.2)  # a poll already held by the fake still completes
    calls = len(fake_telegram.calls)
    time.sleep(1.0)

    assert len(fake_telegram.calls) == calls
