"""What flows through the engine: channel-neutral inbound events and replies."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Option:
    """A choice offered with a reply; `id` is opaque and at most 64 bytes of UTF-8."""

    id: str
    label: str


@dataclass(frozen=True)
class Reply:
    """One message the bot sends back; channels decide how options look."""

    text: str
    options: tuple[Option, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The JSON form stored in the outbox."""
        payload: dict[str, Any] = {
            "text": self.text,
            "options": [{"id": option.id, "label": option.label} for option in self.options],
        }
        if self.extra:
            payload["extra"] = self.extra
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Reply:
        """Rebuild a reply from its outbox JSON."""
        return cls(
            text=str(payload["text"]),
            options=tuple(Option(id=o["id"], label=o["label"]) for o in payload["options"]),
            extra=dict(payload.get("extra", {})),
        )
