"""POST /webhooks/telegram, with the app's Telegram service talking to the fake Bot API.

The mechanics run on the small sample flow (tests/conversations/sample_flow.py), whose
questions and buttons stay put; the consumer flow's whole journey over Telegram is in
tests/bot/telegram/test_consumer_journey.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from conversations.events import Option, Reply
from conversations.flow import AskContext, Flow, Step, StepContext, Transition
from conversations.i18n import translator_for
from marketplace.clock import FixedClock
from marketplace.models import Conversation, TranscriptEntry
from marketplace.settings import Settings
from tests.conversations.conftest import count_rows
from tests.conversations.sample_flow import SAMPLE_FLOW
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import TelegramPerson
from tests.support.telegram_chat import TelegramChat, labels, texts
from webhooks.app import create_app

FLOWS: dict[str, Flow] = {"sample": SAMPLE_FLOW}
DEFAULT_FLOW = "sample"
SECRET = {"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret_42"}
NOTHING = {
    "conversations": 0,
    "inbound_messages": 0,
    "outbox": 0,
    "transcript_entries": 0,
    "consumers": 0,
}


def start_app(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    flows: dict[str, Flow] | None = None,
) -> TestClient:
    """A test client of the app; entering it runs the lifespan (and Telegram)."""
    runtime = Runtime(settings, engine, sessions, clock)
    flows = flows or FLOWS
    app = create_app(runtime=runtime, flows=flows, default_flow=next(iter(flows)))
    return TestClient(app)


@pytest.fixture
def client(
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> Iterator[TestClient]:
    with start_app(telegram_settings, engine, sessions, clock) as test_client:
        fake_telegram.wait_until(lambda: fake_telegram.webhook is not None, what="setWebhook")
        yield test_client


def post(client: TestClient, update: Any, headers: dict[str, str] | None = None) -> int:
    response = client.post(
        "/webhooks/telegram", json=update, headers=SECRET if headers is None else headers
    )
    return int(response.status_code)


def chat_with(
    client: TestClient,
    fake: FakeTelegram,
    sessions: sessionmaker[Session],
    person: TelegramPerson | None = None,
) -> TelegramChat:
    def deliver(update: dict[str, Any]) -> None:
        assert post(client, update) == 200

    return TelegramChat(person or TelegramPerson(), fake, sessions, deliver)


def test_serve_registers_the_webhook_with_its_secret(
    client: TestClient, fake_telegram: FakeTelegram
) -> None:
    assert fake_telegram.webhook == {
        "url": "http://127.0.0.1:8000/webhooks/telegram",
        "secret_token": "test-webhook-secret_42",
        "allowed_updates": ["message", "callback_query"],
    }


def test_a_conversation_goes_through_with_buttons(
    client: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> None:
    chat = chat_with(client, fake_telegram, sessions)

    greeting = chat.say("/start")
    asked_name = chat.tap("Yes")
    asked_colour = chat.say("Ana")
    done = chat.tap("Verde")

    assert labels(greeting[-1]) == ["Yes", "No"]
    assert texts(asked_name) == ["What is your name?"]
    assert labels(asked_colour[-1]) == ["Azul", "Verde", "Vermelho"]
    assert texts(done) == ["All set, Ana: c-green."]
    assert len(fake_telegram.calls_to("answerCallbackQuery")) == 2
    assert all(m["parse_mode"] == "HTML" for m in chat.received)


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"X-Telegram-Bot-Api-Secret-Token": ""}],
)
def test_a_missing_or_wrong_secret_is_401_and_records_nothing(
    client: TestClient,
    fake_telegram: FakeTelegram,
    sessions: sessionmaker[Session],
    headers: dict[str, str],
) -> None:
    status = post(client, TelegramPerson().text("/start"), headers=headers)

    assert status == 401
    assert count_rows(sessions) == NOTHING
    assert fake_telegram.calls_to("sendMessage") == []


def test_a_repeated_update_is_answered_once(
    client: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> None:
    chat = chat_with(client, fake_telegram, sessions)
    update = chat.person.text("oi")

    first = chat.send(update)
    assert post(client, update) == 200
    again = chat.send(update)

    assert len(first) == 1
    assert again == []
    assert len(chat.received) == 1
    assert count_rows(sessions)["inbound_messages"] == 1


def test_a_stale_button_is_answered_with_the_current_question(
    client: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> None:
    chat = chat_with(client, fake_telegram, sessions)
    greeting = chat.say("/start")
    chat.tap("Yes")
    stale = chat.person.tap(greeting[0], "no")

    answer = chat.send(stale)

    _ = translator_for("pt_BR").gettext
    assert texts(answer) == [
        _("That button belongs to an earlier question. The question now is:"),
        "What is your name?",
    ]
    answered = [
        c.params["callback_query_id"] for c in fake_telegram.calls_to("answerCallbackQuery")
    ]
    assert stale["callback_query"]["id"] in answered


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("Sol & Luz <Ltda>", "Nice to meet you, Sol &amp; Luz &lt;Ltda&gt;! Pick a colour."),
        ("Energia_Já!", "Nice to meet you, Energia_Já!! Pick a colour."),
    ],
)
def test_names_that_need_escaping_arrive_intact(
    client: TestClient,
    fake_telegram: FakeTelegram,
    sessions: sessionmaker[Session],
    name: str,
    sent: str,
) -> None:
    chat = chat_with(client, fake_telegram, sessions)
    chat.say("/start")
    chat.tap("Yes")

    answer = chat.say(name)

    assert answer[-1]["text"] == sent


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"update_id": 1, "message": ',
        b"[]",
        b'"update"',
        b"{}",
        b'{"update_id": "12"}',
        b'{"update_id": -1}',
        b'{"update_id": true}',
        b'{"update_id": 1.5}',
        b'{"update_id": NaN}',
        b'{"update_id": 7, "message": "hello"}',
        b'{"update_id": 7, "message": {"text": "hi"}}',
        b'{"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "hi"}}',
        b'{"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": {"id": "x"}}}',
        b'{"update_id": 7, "callback_query": {"id": "q", "data": "yes"}}',
    ],
)
def test_malformed_bodies_are_4xx_and_record_nothing(
    client: TestClient, sessions: sessionmaker[Session], body: bytes
) -> None:
    response = client.post(
        "/webhooks/telegram", content=body, headers={**SECRET, "Content-Type": "application/json"}
    )

    assert 400 <= response.status_code < 500, response.text
    assert count_rows(sessions) == NOTHING


def test_a_huge_body_is_413(client: TestClient, sessions: sessionmaker[Session]) -> None:
    update = TelegramPerson().text("x" * 4000)
    update["message"]["padding"] = "y" * (300 * 1024)

    response = client.post(
        "/webhooks/telegram",
        content=json.dumps(update).encode(),
        headers={**SECRET, "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert count_rows(sessions) == NOTHING


@pytest.mark.parametrize(
    "build",
    [
        lambda person: person.edited("corrigido"),
        lambda person: person.channel_post("novidades"),
        lambda person: person.in_group("/start"),
        lambda person: person.joined_group_notice(),
        lambda person: person.blocked_the_bot(),
    ],
    ids=["edited", "channel-post", "group", "service-message", "my-chat-member"],
)
def test_updates_without_a_private_message_are_acknowledged_and_ignored(
    client: TestClient,
    fake_telegram: FakeTelegram,
    sessions: sessionmaker[Session],
    build: Any,
) -> None:
    status = post(client, build(TelegramPerson()))

    assert status == 200
    assert count_rows(sessions) == NOTHING
    assert fake_telegram.calls_to("sendMessage") == []


@pytest.mark.parametrize("media", ["sticker", "photo"])
def test_media_where_text_is_expected_gets_a_polite_reask(
    client: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session], media: str
) -> None:
    chat = chat_with(client, fake_telegram, sessions)
    chat.say("/start")
    chat.tap("Yes")

    answer = chat.send(getattr(chat.person, media)())

    _ = translator_for("pt_BR").gettext
    assert texts(answer) == [_("I can only read text here. Could you type your answer?")]


def test_a_button_in_a_group_is_answered_and_ignored(
    client: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> None:
    person = TelegramPerson()
    group_message = {"message_id": 5, "text": "?", "chat": {"id": -100777, "type": "group"}}
    update = person.tap(group_message, "yes")
    update["callback_query"]["message"]["chat"] = {"id": -100777, "type": "group", "title": "G"}

    assert post(client, update) == 200

    fake_telegram.wait_until(lambda: bool(fake_telegram.calls_to("answerCallbackQuery")))
    assert count_rows(sessions) == NOTHING


@pytest.mark.parametrize(
    ("language_code", "locale"),
    [("en", "en"), ("es-AR", "es"), ("pt-br", "pt_BR"), (None, "pt_BR")],
)
def test_the_users_language_picks_the_locale(
    client: TestClient,
    fake_telegram: FakeTelegram,
    sessions: sessionmaker[Session],
    language_code: str | None,
    locale: str,
) -> None:
    chat = chat_with(client, fake_telegram, sessions, TelegramPerson(language_code=language_code))

    chat.say("/start")

    with sessions() as session:
        assert session.scalars(select(Conversation.locale)).one() == locale


def ask_share(context: AskContext) -> Reply:
    return Reply("Share your location or your contact.")


def handle_share(context: StepContext) -> Transition:
    event = context.event
    shared = {"kind": str(event.kind), "lat": event.latitude, "lon": event.longitude}
    return Transition("shared", data={**shared, "phone": event.phone})


def ask_shared(context: AskContext) -> Reply:
    data = context.data
    return Reply(f"{data['kind']} {data['lat']} {data['lon']} {data['phone']}")


SHARING = Flow(
    name="sharing",
    start="share",
    steps={
        "share": Step(ask=ask_share, handle=handle_share, goes_to=("shared",)),
        "shared": Step(ask=ask_shared, handle=handle_share, goes_to=("shared",)),
    },
)


@pytest.fixture
def sharing_client(
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> Iterator[TestClient]:
    with start_app(
        telegram_settings, engine, sessions, clock, {"sharing": SHARING}
    ) as test_client:
        yield test_client


def test_a_shared_location_reaches_the_flow(
    sharing_client: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> None:
    chat = chat_with(sharing_client, fake_telegram, sessions)
    chat.say("/start")

    answer = chat.send(chat.person.location(-3.7319, -38.5267))

    assert texts(answer) == ["location -3.7319 -38.5267 None"]


def test_only_the_users_own_contact_is_taken_as_their_phone(
    sharing_client: TestClient, fake_telegram: FakeTelegram, sessions: sessionmaker[Session]
) -> None:
    chat = chat_with(sharing_client, fake_telegram, sessions)
    chat.say("/start")

    own = chat.send(chat.person.contact("+5585999990000"))
    someone_elses = chat.send(chat.person.contact("+5511988887777", own=False))

    assert texts(own) == ["contact None None +5585999990000"]
    _ = translator_for("pt_BR").gettext
    assert texts(someone_elses) == [_("I can only read text here. Could you type your answer?")]


def test_a_failing_step_is_503_so_telegram_retries_and_nothing_is_recorded(
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> None:
    def explode(context: StepContext) -> Transition:
        raise RuntimeError("the catalog is on fire")

    broken = Flow(
        name="broken",
        start="ask",
        steps={"ask": Step(ask=ask_share, handle=explode, goes_to=("ask",))},
    )
    person = TelegramPerson()
    with start_app(telegram_settings, engine, sessions, clock, {"broken": broken}) as client:
        assert post(client, person.text("/start")) == 200
        status = post(client, person.text("hello"))

    assert status == 503
    assert count_rows(sessions)["inbound_messages"] == 1
    with sessions() as session:
        said = [entry.body.get("text") for entry in session.scalars(select(TranscriptEntry))]
    assert "hello" not in said


def test_without_a_token_nothing_telegram_starts(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> None:
    with start_app(settings, engine, sessions, clock) as client:
        status = post(client, TelegramPerson().text("/start"))

    assert status == 404
    assert fake_telegram.calls == []


def test_in_polling_mode_the_webhook_route_is_404(
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> None:
    polling = telegram_settings.model_copy(update={"telegram_webhook_secret": None})

    with start_app(polling, engine, sessions, clock) as client:
        status = post(client, TelegramPerson().text("/start"))

    assert status == 404
    assert count_rows(sessions) == NOTHING


def test_a_huge_body_without_a_length_is_413(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"update_id": 1, "message": {"text": "'
        for _ in range(300):
            yield b"z" * 1024
        yield b'"}}'

    response = client.post("/webhooks/telegram", content=chunks(), headers=SECRET)

    assert response.status_code == 413
    assert count_rows(sessions) == NOTHING


def test_the_bot_token_never_reaches_the_logs(
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)

    with start_app(telegram_settings, engine, sessions, clock) as client:
        chat_with(client, fake_telegram, sessions).say("/start")

    assert any("sendMessage" in record.getMessage() for record in caplog.records)
    assert all(fake_telegram.token not in record.getMessage() for record in caplog.records)


LONG_ID = "offer:" + "9" * 80


def ask_pick(context: AskContext) -> Reply:
    return Reply("Pick one.", options=(Option(LONG_ID, "Esta"), Option("other", "Outra")))


def handle_pick(context: StepContext) -> Transition:
    picked = context.option.id if context.option else "nothing"
    return Transition("picked", data={"picked": picked})


def ask_picked(context: AskContext) -> Reply:
    return Reply(f"picked {context.data['picked']}")


LONG_IDS = Flow(
    name="long_ids",
    start="pick",
    steps={
        "pick": Step(ask=ask_pick, handle=handle_pick, goes_to=("picked",)),
        "picked": Step(ask=ask_picked, handle=handle_pick, goes_to=("picked",)),
    },
)


def test_an_option_id_over_64_bytes_travels_as_a_digest_and_comes_back(
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> None:
    with start_app(telegram_settings, engine, sessions, clock, {"long_ids": LONG_IDS}) as client:
        chat = chat_with(client, fake_telegram, sessions)
        question = chat.say("/start")
        answer = chat.tap("Esta")

    sent, data = chat.button("Esta")
    assert sent == question[0]
    assert data.startswith("#")
    assert len(data.encode()) <= 64
    assert texts(answer) == [f"picked {LONG_ID}"]
