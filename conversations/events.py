"""What flows through the engine: channel-neutral inbound events and replies."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class InboundKind(StrEnum):
    """What an inbound message carries, whatever channel it came from."""

    TEXT = "text"
    OPTION = "option"  # a button or list row the user tapped
    LOCATION = "location"
    CONTACT = "contact"
    UNSUPPORTED = "unsupported"  # media, stickers, reactions... where text is expected


@dataclass(frozen=True)
class InboundEvent:
    """One message from a person, as a channel adapter hands it to the engine.

    `message_id` is stable across redeliveries (Telegram update id, WhatsApp wamid, the web
    chat's client id...), so a repeat is recognised and answered once.
    """

    channel: str
    chat_id: str
    message_id: str
    kind: InboundKind = InboundKind.TEXT
    text: str = ""
    option_id: str | None = None
    user_name: str | None = None
    locale: str | None = None
    phone: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    buttons: bool = True
    """Whether the channel shows options as buttons to tap; False where they are a numbered
    list to type from (the terminal), so the bot says "type the number" there."""


@dataclass(frozen=True)
class Option:
    """A choice offered with a reply; `id` is opaque and at most 64 bytes of UTF-8."""

    id: str
    label: str


@dataclass(frozen=True)
class Image:
    """A picture sent with a reply (a payment's QR code): PNG bytes, and words for it.

    `alt` says what the picture shows, for screen readers and where it cannot be shown.
    """

    png: bytes
    alt: str

    def to_payload(self) -> dict[str, str]:
        """The JSON form stored in the outbox."""
        return {"png": base64.b64encode(self.png).decode("ascii"), "alt": self.alt}

    @classmethod
    def from_payload(cls, payload: Any) -> Image | None:
        """The image of an outbox payload; None when absent or unreadable."""
        if not isinstance(payload, dict):
            return None
        try:
            png = base64.b64decode(str(payload.get("png", "")), validate=True)
        except (binascii.Error, ValueError):
            return None
        return cls(png=png, alt=str(payload.get("alt", ""))) if png else None


@dataclass(frozen=True)
class Reply:
    """One message the bot sends back; channels decide how options and images look.

    `about_consumer` names the consumer whose personal data a reply in someone else's chat
    carries (the contact a consumer shared, shown to the agent who accepted their lead).
    It is no part of the message: the engine keeps it with the reply's outbox row and
    transcript line, so that forgetting that consumer deletes them.
    """

    text: str
    options: tuple[Option, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    image: Image | None = None
    about_consumer: int | None = field(default=None, kw_only=True)

    def to_payload(self) -> dict[str, Any]:
        """The JSON form stored in the outbox."""
        payload: dict[str, Any] = {
            "text": self.text,
            "options": [{"id": option.id, "label": option.label} for option in self.options],
        }
        if self.extra:
            payload["extra"] = self.extra
        if self.image is not None:
            payload["image"] = self.image.to_payload()
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Reply:
        """Rebuild a reply from its outbox JSON."""
        return cls(
            text=str(payload["text"]),
            options=tuple(Option(id=o["id"], label=o["label"]) for o in payload["options"]),
            extra=dict(payload.get("extra", {})),
            image=Image.from_payload(payload.get("image")),
        )
