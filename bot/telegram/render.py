"""Replies rendered as Telegram messages: escaped HTML, split to fit, inline keyboards.

Flows write plain text, and any of it may hold a name like `Sol & Luz <Ltda>`, so every
character is escaped and the text is sent in HTML parse mode, where only `<`, `>` and `&`
are special (Markdown would trip over `_`, `*` and `!` in ordinary names).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram import callback_data
from conversations.events import Option, Reply

logger = logging.getLogger(__name__)

# Telegram counts a message's length in UTF-16 code units, after entities are parsed.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_BUTTONS = 100
SEPARATORS = ("\n\n", "\n", " ")
SHORT_LABEL = 16  # labels this short sit two to a row, like a yes/no pair
EMPTY_TEXT = "…"


@dataclass(frozen=True)
class TelegramMessage:
    """The content of one `sendMessage` call, or of one `sendPhoto` when `photo` is set.

    A photo's `html` is its caption.
    """

    html: str
    keyboard: InlineKeyboardMarkup | None = None
    photo: bytes | None = None


def render_reply(reply: Reply) -> list[TelegramMessage]:
    """The messages that carry `reply`: its image first, its text in parts, the keyboard last.

    The image goes first so the keyboard stays under the last words, where people answer.
    """
    parts = split_text(reply.text)
    if not parts:
        parts = [EMPTY_TEXT]
    keyboard = inline_keyboard(reply.options)
    last = len(parts) - 1
    messages = [
        TelegramMessage(html.escape(part, quote=False), keyboard if index == last else None)
        for index, part in enumerate(parts)
    ]
    if reply.image is not None:
        caption = split_text(reply.image.alt, MAX_CAPTION)[:1] or [EMPTY_TEXT]
        photo = TelegramMessage(html.escape(caption[0], quote=False), photo=reply.image.png)
        messages.insert(0, photo)
    return messages


def inline_keyboard(options: Sequence[Option]) -> InlineKeyboardMarkup | None:
    """One button per option, in order; None when there are no options."""
    if not options:
        return None
    if len(options) > MAX_BUTTONS:
        logger.error("a reply has %s options; Telegram shows %s", len(options), MAX_BUTTONS)
        options = options[:MAX_BUTTONS]
    buttons = [
        InlineKeyboardButton(_label(option), callback_data=callback_data.encode(option.id))
        for option in options
    ]
    width = 2 if all(len(button.text) <= SHORT_LABEL for button in buttons) else 1
    rows = [buttons[start : start + width] for start in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(rows)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut `text` into parts of at most `limit` UTF-16 units.

    Cuts fall between paragraphs where possible, then between lines, then between words;
    a single word longer than the limit is cut where it must be.
    """
    text = text.strip()
    if utf16_length(text) <= limit:
        return [text] if text else []
    parts = (part.strip() for part in _split(text, limit, level=0))
    return [part for part in parts if part]


def utf16_length(text: str) -> int:
    """The length Telegram measures: UTF-16 code units (an emoji may count as two)."""
    return len(text.encode("utf-16-le")) // 2


def _split(text: str, limit: int, *, level: int) -> list[str]:
    if utf16_length(text) <= limit:
        return [text]
    if level == len(SEPARATORS):
        return _cut(text, limit)

    separator = SEPARATORS[level]
    parts: list[str] = []
    current = ""
    for piece in text.split(separator):
        joined = f"{current}{separator}{piece}" if current else piece
        if utf16_length(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        smaller = _split(piece, limit, level=level + 1)
        parts.extend(smaller[:-1])
        current = smaller[-1]
    parts.append(current)
    return parts


def _cut(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = utf16_length(char)
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return parts


def _label(option: Option) -> str:
    # Telegram refuses a button without text; a blank label would sink the whole message.
    return option.label.strip() or option.id.strip() or EMPTY_TEXT
