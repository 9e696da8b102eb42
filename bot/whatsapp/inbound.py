"""Webhook bodies from Meta as channel-neutral events and delivery status reports.

Only what the bot uses is modelled; unknown fields are ignored, as Meta adds fields without
notice. A body whose structure is broken (not JSON, a message without an id...) is
rejected whole, before anything is recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.whatsapp import CHANNEL
from bot.whatsapp.numbers import canonical_chat_id, is_wa_id
from bot.whatsapp.render import PageRequest, page_request
from conversations.events import InboundEvent, InboundKind

logger = logging.getLogger(__name__)

MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z, the last second datetime holds

BUSINESS_ACCOUNT = "whatsapp_business_account"
MAX_ID = 120  # inbound_messages.message_id
MAX_OPTION_ID = 256


class MalformedWebhook(ValueError):
    """A webhook body that is not what Meta sends; nothing of it was recorded."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Profile(_Model):
    name: str | None = Field(default=None, max_length=256)


class _Sender(_Model):
    profile: _Profile | None = None
    wa_id: str | None = Field(default=None, max_length=20)


class _Text(_Model):
    body: str


class _Choice(_Model):
    id: str = Field(min_length=1, max_length=MAX_OPTION_ID)
    title: str = ""


class _Interactive(_Model):
    type: str
    button_reply: _Choice | None = None
    list_reply: _Choice | None = None


class _Button(_Model):
    text: str = ""


class _Location(_Model):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class _Phone(_Model):
    phone: str | None = Field(default=None, max_length=40)
    wa_id: str | None = Field(default=None, max_length=20)


class _Name(_Model):
    formatted_name: str = ""


class _SharedContact(_Model):
    name: _Name | None = None
    phones: list[_Phone] = []


class _Message(_Model):
    sender: str = Field(alias="from", max_length=20)
    id: str = Field(min_length=1, max_length=MAX_ID)
    timestamp: int
    type: str
    text: _Text | None = None
    interactive: _Interactive | None = None
    button: _Button | None = None
    location: _Location | None = None
    contacts: list[_SharedContact] | None = None


class _StatusError(_Model):
    code: int | None = None
    title: str | None = None


class _Status(_Model):
    id: str = Field(min_length=1, max_length=MAX_ID)
    status: str
    recipient_id: str = ""
    errors: list[_StatusError] = []


class _Metadata(_Model):
    phone_number_id: str


class _Value(_Model):
    metadata: _Metadata
    contacts: list[_Sender] = []
    messages: list[_Message] = []
    statuses: list[_Status] = []


class _Change(_Model):
    field: str
    value: dict[str, object]


class _Entry(_Model):
    changes: list[_Change]


class _Payload(_Model):
    object: str
    entry: list[_Entry]


@dataclass(frozen=True)
class IncomingMessage:
    """One message a person sent, with where to answer them."""

    event: InboundEvent
    address: str  # the wa_id exactly as WhatsApp gave it
    written_at: datetime
    page: PageRequest | None = None  # a tap on "more options", answered by the channel


@dataclass(frozen=True)
class StatusReport:
    """What WhatsApp says happened to a message we sent."""

    message_id: str
    status: str
    error_code: int | None = None
    error_title: str | None = None


@dataclass
class WebhookContent:
    """Everything one webhook body carries for our number, in the order it came."""

    messages: list[IncomingMessage] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    ignored: int = 0


def parse_webhook(body: bytes, *, phone_number_id: str) -> WebhookContent:
    """Read a webhook body; changes for other numbers and other fields are skipped.

    Raises:
        MalformedWebhook: not JSON, or not shaped like Meta's webhooks.
    """
    try:
        payload = _Payload.model_validate_json(body)
    except ValidationError as error:
        raise MalformedWebhook(
            f"not a WhatsApp webhook body ({error.error_count()} errors)"
        ) from error

    content = WebhookContent()
    if payload.object != BUSINESS_ACCOUNT:
        content.ignored += 1
        return content
    for entry in payload.entry:
        for change in entry.changes:
            _read_change(change, phone_number_id, content)
    return content


def _read_change(change: _Change, phone_number_id: str, content: WebhookContent) -> None:
    if change.field != "messages":
        content.ignored += 1
        return
    try:
        value = _Value.model_validate(change.value)
    except ValidationError as error:
        raise MalformedWebhook("a messages change without its metadata or lists") from error
    if value.metadata.phone_number_id != phone_number_id:
        logger.warning("skipping a webhook change for another phone number id")
        content.ignored += 1
        return

    for message in value.messages:
        incoming = _incoming(message, value.contacts)
        if incoming is None:
            content.ignored += 1
        else:
            content.messages.append(incoming)
    content.statuses.extend(_report(status) for status in value.statuses)


def _incoming(message: _Message, senders: list[_Sender]) -> IncomingMessage | None:
    if message.type == "system":  # "changed number" notices: nothing to answer
        return None
    sender = _sender_of(message, senders)
    address = sender.wa_id if sender and sender.wa_id else message.sender
    if not is_wa_id(address) or not is_wa_id(message.sender):
        raise MalformedWebhook("a message from something that is not a WhatsApp id")
    chat_id = canonical_chat_id(address)
    kind, text, option_id, extra = _content(message)
    event = InboundEvent(
        channel=CHANNEL,
        chat_id=chat_id,
        message_id=message.id,
        kind=kind,
        text=text,
        option_id=option_id,
        user_name=sender.profile.name if sender and sender.profile else None,
        phone=extra.get("phone") or f"+{chat_id}",
        latitude=message.location.latitude if message.location else None,
        longitude=message.location.longitude if message.location else None,
    )
    written_at = _written_at(message.timestamp)
    return IncomingMessage(event, address, written_at, page_request(option_id))


def _written_at(timestamp: int) -> datetime:
    # Meta sends seconds since 1970; a value no calendar can hold is clamped, not fatal,
    # so one odd message cannot hold back the others of its body.
    try:
        return datetime.fromtimestamp(min(max(timestamp, 0), MAX_TIMESTAMP), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(0, tz=UTC)


def _sender_of(message: _Message, senders: list[_Sender]) -> _Sender | None:
    for sender in senders:
        if sender.wa_id and canonical_chat_id(sender.wa_id) == canonical_chat_id(message.sender):
            return sender
    return senders[0] if len(senders) == 1 else None


def _content(message: _Message) -> tuple[InboundKind, str, str | None, dict[str, str]]:
    """Kind, text, tapped option id and a shared phone, by message type."""
    if message.type == "text" and message.text is not None:
        return InboundKind.TEXT, message.text.body, None, {}
    if message.type == "interactive" and message.interactive is not None:
        choice = message.interactive.button_reply or message.interactive.list_reply
        if choice is not None:
            return InboundKind.OPTION, choice.title, choice.id, {}
    if message.type == "button" and message.button is not None:  # a template's quick reply
        return InboundKind.TEXT, message.button.text, None, {}
    if message.type == "location" and message.location is not None:
        place = message.location.address or message.location.name or ""
        return InboundKind.LOCATION, place, None, {}
    if message.type == "contacts" and message.contacts:
        shared = message.contacts[0]
        name = shared.name.formatted_name if shared.name else ""
        phones = [f"+{p.wa_id}" if p.wa_id else p.phone for p in shared.phones]
        phone = next((p for p in phones if p), None)
        return InboundKind.CONTACT, name, None, {"phone": phone} if phone else {}
    # Images, audio, stickers, reactions, orders, "unsupported"... where text is expected.
    return InboundKind.UNSUPPORTED, "", None, {}


def _report(status: _Status) -> StatusReport:
    error = status.errors[0] if status.errors else None
    return StatusReport(
        message_id=status.id,
        status=status.status,
        error_code=error.code if error else None,
        error_title=error.title if error else None,
    )
