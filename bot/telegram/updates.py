"""Telegram updates read into the engine's inbound events.

The bot talks in private chats only. Messages in groups and channels, edited messages,
membership changes and service messages (someone joined, a pinned message...) carry nothing
to answer, so they are acknowledged and left alone. Media where the flow expects text
becomes an `UNSUPPORTED` event, which the engine answers with a polite re-ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from telegram import CallbackQuery, Message, Update, User

from bot.telegram import CHANNEL
from bot.telegram.errors import MalformedUpdate
from conversations.events import InboundEvent, InboundKind

PRIVATE = "private"

# Where PTB's parser would fail with an obscure error, say plainly what is wrong.
MAX_UPDATE_ID = 2**63 - 1
OBJECT_FIELDS = ("message", "callback_query", "edited_message", "channel_post", "my_chat_member")

# Attachments a person may send instead of typing; services messages have none of these.
MEDIA = (
    "animation",
    "audio",
    "checklist",
    "dice",
    "document",
    "game",
    "giveaway",
    "invoice",
    "live_photo",
    "paid_media",
    "photo",
    "poll",
    "sticker",
    "story",
    "video",
    "video_note",
    "voice",
)
MAX_NAME = 64
MAX_LOCALE = 35


@dataclass(frozen=True)
class ReadUpdate:
    """What one update asks of the bot.

    `event` is None when there is nothing for the engine (`ignored` says why, for the log).
    `callback_query_id` is set for every button press, answered or not by the engine, so
    the channel can stop the button's spinner.
    """

    update_id: int
    event: InboundEvent | None = None
    callback_query_id: str | None = None
    ignored: str | None = None


def parse_update(data: object) -> Update:
    """Check the envelope of a raw update (a webhook body) and parse it with PTB.

    Raises:
        MalformedUpdate: not an object, no integer `update_id`, or fields of the wrong type.
    """
    if not isinstance(data, Mapping):
        raise MalformedUpdate("an update is a JSON object")
    update_id = data.get("update_id")
    if not _is_int(update_id) or not 0 <= update_id <= MAX_UPDATE_ID:
        raise MalformedUpdate("update_id must be a non-negative integer")
    for name in OBJECT_FIELDS:
        if name in data and not isinstance(data[name], Mapping):
            raise MalformedUpdate(f"{name} must be an object")

    try:
        return Update.de_json(dict(data), None)
    # OverflowError/OSError: a date no clock can hold; RecursionError: replies nested
    # hundreds deep. Telegram never sends either, so they are malformed, not our failure.
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        OverflowError,
        OSError,
        RecursionError,
    ) as error:
        raise MalformedUpdate(f"not a Telegram update: {type(error).__name__}") from error


def read_update(update: Update) -> ReadUpdate:
    """The inbound event in `update`, or why there is none.

    Raises:
        MalformedUpdate: a field the bot reads is missing or of the wrong type.
    """
    if update.callback_query is not None:
        return _read_button(update.update_id, update.callback_query)
    if update.message is not None:
        return _read_message(update.update_id, update.message)
    return ReadUpdate(update.update_id, ignored="neither a message nor a button")


def _read_message(update_id: int, message: Message) -> ReadUpdate:
    chat_id = _private_chat_id(message)
    if chat_id is None:
        return ReadUpdate(update_id, ignored="message outside a private chat")
    user = message.from_user
    if user is None:
        return ReadUpdate(update_id, ignored="message without a sender")
    _require(_is_int(user.id), "message.from.id must be an integer")

    fields = _sender_fields(update_id, chat_id, user)
    if message.text is not None:
        _require(isinstance(message.text, str), "message.text must be a string")
        return ReadUpdate(update_id, InboundEvent(**fields, text=message.text))
    if message.location is not None:
        return ReadUpdate(update_id, _location_event(fields, message))
    if message.contact is not None:
        return ReadUpdate(update_id, _contact_event(fields, message, user))
    if any(getattr(message, name, None) for name in MEDIA):
        return ReadUpdate(update_id, InboundEvent(**fields, kind=InboundKind.UNSUPPORTED))
    return ReadUpdate(update_id, ignored="service message")


def _read_button(update_id: int, query: CallbackQuery) -> ReadUpdate:
    _require(isinstance(query.id, str) and bool(query.id), "callback_query.id must be a string")
    user = query.from_user
    _require(user is not None and _is_int(user.id), "callback_query.from.id must be an integer")
    message = query.message
    chat_id = _private_chat_id(message) if message is not None else None
    if chat_id is None or query.data is None:
        # Buttons of inline-mode messages, games, or a group: nothing the engine asked.
        return ReadUpdate(update_id, callback_query_id=query.id, ignored="foreign button")
    _require(isinstance(query.data, str), "callback_query.data must be a string")

    event = InboundEvent(
        **_sender_fields(update_id, chat_id, user),
        kind=InboundKind.OPTION,
        option_id=query.data,
    )
    return ReadUpdate(update_id, event, callback_query_id=query.id)


def _private_chat_id(message: Any) -> str | None:
    chat = getattr(message, "chat", None)
    if chat is None or not _is_int(chat.id) or not isinstance(chat.type, str):
        raise MalformedUpdate("a message needs a chat with an integer id and a type")
    return str(chat.id) if chat.type == PRIVATE else None


def _sender_fields(update_id: int, chat_id: str, user: User) -> dict[str, Any]:
    # Update ids are re-drawn at random after a week without updates, so the chat is part
    # of the key: a fresh update can never be mistaken for an old one of another person.
    return {
        "channel": CHANNEL,
        "chat_id": chat_id,
        "message_id": f"{update_id}:{chat_id}",
        "user_name": _short_text(user.first_name, MAX_NAME),
        "locale": _short_text(user.language_code, MAX_LOCALE),
    }


def _location_event(fields: dict[str, Any], message: Message) -> InboundEvent:
    location = message.location
    assert location is not None
    latitude, longitude = location.latitude, location.longitude
    _require(
        _is_number(latitude) and _is_number(longitude), "location must have numeric coordinates"
    )
    return InboundEvent(
        **fields,
        kind=InboundKind.LOCATION,
        latitude=float(latitude),
        longitude=float(longitude),
    )


def _contact_event(fields: dict[str, Any], message: Message, user: User) -> InboundEvent:
    contact = message.contact
    assert contact is not None
    # Only the person's own number may stand for them; a forwarded card is someone else's.
    if contact.user_id != user.id or not isinstance(contact.phone_number, str):
        return InboundEvent(**fields, kind=InboundKind.UNSUPPORTED)
    return InboundEvent(**fields, kind=InboundKind.CONTACT, phone=contact.phone_number)


def _short_text(value: object, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:limit]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise MalformedUpdate(problem)
