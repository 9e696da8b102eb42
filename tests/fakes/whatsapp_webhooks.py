"""Webhook bodies as Meta sends them, each validated against Meta's `WebhookPayload` first.

A body that the published schema rejects raises at once, so no test ever feeds the bot
something Meta would not send (unless it means to, by building the body by hand).
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

from bot.whatsapp.signature import sign
from tests.conftest import TEST_NOW
from tests.fakes import meta_spec

BUSINESS_NUMBER_ID = "106540352242922"
BUSINESS_DISPLAY_NUMBER = "551130030000"
BUSINESS_ACCOUNT_ID = "102290129340398"

_numbers = itertools.count(1)


def new_wamid() -> str:
    """A fresh id for an inbound message, shaped like Meta's."""
    return f"wamid.HBgNNTUxMTk{next(_numbers):010d}FQIAEhgUM0E="


def validated(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` itself, once Meta's schema accepts it."""
    problems = meta_spec.problems("WebhookPayload", payload)
    assert problems == [], f"not a webhook body Meta would send: {problems}"
    return payload


def envelope(*values: dict[str, Any]) -> dict[str, Any]:
    """A webhook body with one `messages` change per value."""
    changes = [{"field": "messages", "value": value} for value in values]
    return validated(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": BUSINESS_ACCOUNT_ID, "changes": changes}],
        }
    )


def messages_value(
    wa_id: str, *contents: dict[str, Any], name: str = "Ana Souza", at: datetime = TEST_NOW
) -> dict[str, Any]:
    """The `value` of a change carrying messages from one person."""
    messages = [
        {
            "from": wa_id,
            "id": content.get("id") or new_wamid(),
            "timestamp": str(int(at.timestamp())),
            **{key: part for key, part in content.items() if key != "id"},
        }
        for content in contents
    ]
    return {
        "messaging_product": "whatsapp",
        "metadata": _metadata(),
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": messages,
    }


def incoming(wa_id: str, content: dict[str, Any], **options: Any) -> dict[str, Any]:
    """A webhook body with one message from `wa_id`."""
    return envelope(messages_value(wa_id, content, **options))


def statuses_value(statuses: list[dict[str, Any]], *, at: datetime = TEST_NOW) -> dict[str, Any]:
    """The `value` of a change carrying statuses: dicts of id, status, recipient_id, error_code."""
    reported = []
    for status in statuses:
        item: dict[str, Any] = {
            "id": status["id"],
            "status": status["status"],
            "timestamp": str(int(at.timestamp())),
            "recipient_id": status["recipient_id"],
        }
        if status["status"] != "failed":
            item["conversation"] = {"id": "c0ffee", "origin": {"type": "service"}}
            item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
        if status.get("error_code") is not None:
            item["errors"] = [_status_error(status["error_code"])]
        reported.append(item)
    return {"messaging_product": "whatsapp", "metadata": _metadata(), "statuses": reported}


def status_payload(statuses: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    """A webhook body with statuses only."""
    return envelope(statuses_value(statuses, **options))


def signed(payload: dict[str, Any] | bytes, secret: str) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Meta would post it with."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, body)}


# Message contents, by type ----------------------------------------------------------------


def text(body: str, **fields: Any) -> dict[str, Any]:
    """A typed message."""
    return {"type": "text", "text": {"body": body}, **fields}


def button_reply(option_id: str, title: str, *, replying_to: str) -> dict[str, Any]:
    """A tap on a reply button of the message `replying_to`."""
    return {
        "type": "interactive",
        "context": {"from": BUSINESS_DISPLAY_NUMBER, "id": replying_to},
        "interactive": {"type": "button_reply", "button_reply": {"id": option_id, "title": title}},
    }


def list_reply(
    row_id: str, title: str, *, replying_to: str, description: str = ""
) -> dict[str, Any]:
    """A row picked in a list message `replying_to`."""
    reply = {"id": row_id, "title": title, "description": description}
    return {
        "type": "interactive",
        "context": {"from": BUSINESS_DISPLAY_NUMBER, "id": replying_to},
        "interactive": {"type": "list_reply", "list_reply": reply},
    }


def location(
    address: str = "Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200",
) -> dict[str, Any]:
    """A shared location."""
    place = {"address": address, "latitude": -23.5614, "longitude": -46.6559, "name": "MASP"}
    return {"type": "location", "location": place}


def shared_contact(name: str, phone: str, wa_id: str | None = None) -> dict[str, Any]:
    """A contact card."""
    number: dict[str, str] = {"phone": phone, "type": "CELL"}
    if wa_id:
        number["wa_id"] = wa_id
    return {
        "type": "contacts",
        "contacts": [{"name": {"formatted_name": name}, "phones": [number]}],
    }


def media(kind: str) -> dict[str, Any]:
    """An image, audio, video, document or sticker."""
    asset: dict[str, Any] = {
        "mime_type": "application/octet-stream",
        "sha256": "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=",
        "id": "1003383421387256",
    }
    extra: dict[str, dict[str, Any]] = {
        "audio": {"voice": True},
        "document": {"filename": "conta.pdf"},
        "sticker": {"animated": False},
    }
    return {"type": kind, kind: {**asset, **extra.get(kind, {})}}


def reaction(to_message: str, emoji: str = "\N{THUMBS UP SIGN}") -> dict[str, Any]:
    """A reaction to one of the bot's messages."""
    return {"type": "reaction", "reaction": {"message_id": to_message, "emoji": emoji}}


def unsupported() -> dict[str, Any]:
    """A message type WhatsApp does not pass on (a poll, a view-once photo...)."""
    error = {
        "code": 131051,
        "title": "Message type unknown",
        "message": "Message type unknown",
        "error_data": {"details": "Message type is currently not supported."},
    }
    return {"type": "unsupported", "errors": [error]}


def _metadata() -> dict[str, str]:
    return {"display_phone_number": BUSINESS_DISPLAY_NUMBER, "phone_number_id": BUSINESS_NUMBER_ID}


def _status_error(code: int) -> dict[str, Any]:
    return {
        "code": code,
        "title": f"Error {code}",
        "message": f"Error {code}",
        "error_data": {"details": f"Meta's details of error {code}"},
    }
