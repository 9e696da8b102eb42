"""Webhook bodies to events and statuses: every type, other numbers, broken bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.whatsapp.inbound import MalformedWebhook, parse_webhook
from conversations.events import InboundKind
from tests.fakes import whatsapp_webhooks as hooks

ANA = "5511987654321"


def parse(payload: dict[str, Any] | bytes) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return parse_webhook(body, phone_number_id=hooks.BUSINESS_NUMBER_ID)


def only_event(content: dict[str, Any], wa_id: str = ANA) -> Any:
    [message] = parse(hooks.incoming(wa_id, content)).messages
    return message.event


def test_a_text_message_becomes_a_text_event_from_the_canonical_chat() -> None:
    content = parse(hooks.incoming("551187654321", hooks.text("oi"), name="Ana Souza"))

    [message] = content.messages
    assert message.event.channel == "whatsapp"
    assert message.event.chat_id == "5511987654321"
    assert message.event.kind is InboundKind.TEXT
    assert message.event.text == "oi"
    assert message.event.user_name == "Ana Souza"
    assert message.event.phone == "+5511987654321"
    assert message.event.message_id.startswith("wamid.")
    assert message.address == "551187654321"


def test_button_and_list_replies_are_options_with_the_engine_ids() -> None:
    button = only_event(hooks.button_reply("yes", "Sim", replying_to="wamid.A"))
    row = only_event(hooks.list_reply("uf-sp", "São Paulo", replying_to="wamid.B"))

    assert (button.kind, button.option_id, button.text) == (InboundKind.OPTION, "yes", "Sim")
    assert (row.kind, row.option_id, row.text) == (InboundKind.OPTION, "uf-sp", "São Paulo")


def test_a_more_options_row_is_a_page_request() -> None:
    [message] = parse(
        hooks.incoming(ANA, hooks.list_reply("wa-more:12:1", "Mais opções", replying_to="w"))
    ).messages

    assert message.page is not None
    assert (message.page.outbox_id, message.page.page) == (12, 1)


def test_a_location_carries_its_coordinates_and_address() -> None:
    event = only_event(hooks.location("Av. Paulista, 1578, São Paulo - SP, 01310-200"))

    assert event.kind is InboundKind.LOCATION
    assert event.text == "Av. Paulista, 1578, São Paulo - SP, 01310-200"
    assert (event.latitude, event.longitude) == (-23.5614, -46.6559)


def test_a_shared_contact_carries_its_name_and_phone() -> None:
    event = only_event(hooks.shared_contact("Bia Lima", "+55 11 98888-7777", "5511988887777"))

    assert (event.kind, event.text, event.phone) == (
        InboundKind.CONTACT,
        "Bia Lima",
        "+5511988887777",
    )


@pytest.mark.parametrize(
    "content",
    [
        hooks.media("image"),
        hooks.media("audio"),
        hooks.media("video"),
        hooks.media("document"),
        hooks.media("sticker"),
        hooks.reaction("wamid.X"),
        hooks.unsupported(),
    ],
    ids=["image", "audio", "video", "document", "sticker", "reaction", "unsupported"],
)
def test_media_reactions_and_unknown_types_are_unsupported(content: dict[str, Any]) -> None:
    assert only_event(content).kind is InboundKind.UNSUPPORTED


def test_statuses_are_read_with_their_error_codes() -> None:
    payload = hooks.status_payload(
        [
            {"id": "wamid.1", "status": "delivered", "recipient_id": ANA},
            {"id": "wamid.2", "status": "failed", "recipient_id": ANA, "error_code": 131047},
        ]
    )

    content = parse(payload)

    assert content.messages == []
    assert [(s.message_id, s.status, s.error_code) for s in content.statuses] == [
        ("wamid.1", "delivered", None),
        ("wamid.2", "failed", 131047),
    ]


def test_changes_for_another_number_or_field_are_skipped() -> None:
    payload = hooks.incoming(ANA, hooks.text("oi"))
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    other_field = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "group_lifecycle_update", "value": {}}]}],
    }

    assert parse(payload).messages == []
    assert parse(other_field).ignored == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": {}}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"messaging_product": "whatsapp"}}]}]}',
    ],
)
def test_broken_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        parse(body)


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"id": "w" * 200},
        {"from": "not-a-number"},
        {"timestamp": "yesterday"},
    ],
)
def test_messages_without_a_usable_id_sender_or_time_are_malformed(change: dict[str, Any]) -> None:
    payload = hooks.incoming(ANA, hooks.text("oi"))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(change)
    payload["entry"][0]["changes"][0]["value"]["contacts"] = []

    with pytest.raises(MalformedWebhook):
        parse(payload)


@pytest.mark.parametrize("timestamp", ["1000000000000", str(10**30), "9000000000000000000"])
def test_a_timestamp_beyond_any_calendar_is_clamped_not_fatal(timestamp: str) -> None:
    payload = hooks.incoming(ANA, hooks.text("oi"))
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = timestamp

    [message] = parse(payload).messages

    assert message.event.text == "oi"
    assert message.written_at.year == 9999
