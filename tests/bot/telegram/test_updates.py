"""Telegram updates read into inbound events."""

from __future__ import annotations

from typing import Any

import pytest

from bot.telegram.errors import MalformedUpdate
from bot.telegram.updates import parse_update, read_update
from conversations.events import InboundKind
from tests.fakes.telegram_updates import TelegramPerson

PERSON = TelegramPerson(4242, first_name="Maria", language_code="es-AR")


def read(update: dict[str, Any]) -> Any:
    return read_update(parse_update(update))


def test_text_becomes_a_text_event_of_the_private_chat() -> None:
    update = PERSON.text("quero economizar")

    event = read(update).event

    assert event.channel == "telegram"
    assert event.chat_id == "4242"
    assert event.message_id == f"{update['update_id']}:4242"
    assert (event.kind, event.text) == (InboundKind.TEXT, "quero economizar")
    assert (event.user_name, event.locale) == ("Maria", "es-AR")


@pytest.mark.parametrize("command", ["/start", "/ajuda", "/recomecar", "/start@ConnectBot"])
def test_commands_reach_the_engine_as_typed(command: str) -> None:
    event = read(PERSON.text(command)).event

    assert (event.kind, event.text) == (InboundKind.TEXT, command)


def test_a_start_payload_stays_in_the_text() -> None:
    event = read(PERSON.text("/start convite-7F3K")).event

    assert event.text == "/start convite-7F3K"


def test_a_button_press_becomes_an_option_event() -> None:
    sent = {"message_id": 10, "text": "Pergunta"}
    update = PERSON.tap(sent, "d:1234")

    read_update_ = read(update)

    assert read_update_.callback_query_id == update["callback_query"]["id"]
    assert read_update_.event.kind is InboundKind.OPTION
    assert read_update_.event.option_id == "d:1234"
    assert read_update_.event.chat_id == "4242"


def test_location_and_own_contact_are_read() -> None:
    located = read(PERSON.location(-3.73, -38.52)).event
    contact = read(PERSON.contact("+5585999990000")).event

    assert (located.kind, located.latitude, located.longitude) == (
        InboundKind.LOCATION,
        -3.73,
        -38.52,
    )
    assert (contact.kind, contact.phone) == (InboundKind.CONTACT, "+5585999990000")


def test_someone_elses_contact_is_not_taken_as_the_users_phone() -> None:
    event = read(PERSON.contact("+5511988887777", own=False)).event

    assert (event.kind, event.phone) == (InboundKind.UNSUPPORTED, None)


@pytest.mark.parametrize("media", ["sticker", "photo"])
def test_media_is_unsupported(media: str) -> None:
    event = read(getattr(PERSON, media)()).event

    assert event.kind is InboundKind.UNSUPPORTED


@pytest.mark.parametrize(
    "update",
    [
        PERSON.edited("corrigido"),
        PERSON.channel_post("novidades"),
        PERSON.in_group("/start"),
        PERSON.joined_group_notice(),
        PERSON.blocked_the_bot(),
    ],
    ids=["edited", "channel-post", "group", "service", "my-chat-member"],
)
def test_updates_without_a_private_message_carry_no_event(update: dict[str, Any]) -> None:
    result = read(update)

    assert result.event is None
    assert result.ignored


def test_a_service_message_in_private_is_ignored() -> None:
    update = PERSON.update(pinned_message={"chat": PERSON.chat(), "message_id": 3, "date": 0})

    assert read(update).event is None


def test_a_missing_language_leaves_the_locale_to_the_engine() -> None:
    event = read(TelegramPerson(language_code=None).text("oi")).event

    assert event.locale is None


@pytest.mark.parametrize(
    "body",
    [
        [],
        "update",
        {},
        {"update_id": "1"},
        {"update_id": -5},
        {"update_id": True},
        {"update_id": 1, "message": []},
        {"update_id": 1, "message": {"text": "hi"}},
        {
            "update_id": 1,
            "message": {"message_id": 1, "date": 0, "chat": {"id": "x", "type": "private"}},
        },
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1, "type": "private"},
                "from": {"id": 1, "is_bot": False, "first_name": "A"},
                "text": 12,
            },
        },
        {"update_id": 1, "callback_query": {"id": "q", "data": "x", "chat_instance": "c"}},
    ],
)
def test_malformed_updates_are_refused(body: Any) -> None:
    with pytest.raises(MalformedUpdate):
        read(body)


def _text_update(**message: Any) -> dict[str, Any]:
    base = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": False, "first_name": "A"},
        "text": "oi",
    }
    return {"update_id": 1, "message": {**base, **message}}


@pytest.mark.parametrize("date", [10**20, -(10**18), 2**63, 1e300])
def test_a_date_no_clock_can_hold_is_malformed(date: float) -> None:
    with pytest.raises(MalformedUpdate):
        parse_update(_text_update(date=date))


def test_replies_nested_hundreds_deep_are_malformed() -> None:
    nested: dict[str, Any] = _text_update()["message"]
    for _ in range(800):
        nested = {**_text_update()["message"], "reply_to_message": nested}

    with pytest.raises(MalformedUpdate):
        parse_update({"update_id": 1, "message": nested})
