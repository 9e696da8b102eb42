"""Replies as Cloud API message bodies, within WhatsApp's limits.

Up to 3 options become reply buttons, 4 to 10 a list, more a list in pages whose last row
shows the next page. Option ids are the engine's own, so a tap reads like any other answer;
only the "more options" row carries an id of ours, which names the outbox row it came from
and the page it asks for. Labels that do not fit are shortened on a word boundary and end
with "…"; the full labels then go in the body (buttons) or the row description (lists).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conversations.characters import whole_prefix
from conversations.events import Option, Reply
from conversations.i18n import N_, Translator
from conversations.parsing import parse_record_id

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BUTTON = 20
ELLIPSIS = "…"

PAGE_KEY = "whatsapp_page"
"""`Reply.extra` key of the list page an outbox row shows (0, the first, when absent)."""
MORE_PREFIX = "wa-more:"

LIST_BUTTON = N_("See options")
CHOOSE = N_("Choose an option:")
MORE_TITLE = N_("More options")
MORE_DESCRIPTION = N_("Options {first} to {last}")
PAGE_BODY = N_("More options ({page} of {pages}):")

_URL = re.compile(r"https?://", re.IGNORECASE)
_TRAILING = " ,;:.-\u2013\u2014(/"


@dataclass(frozen=True)
class PageRequest:
    """A tap on "more options": show page `page` of the options of outbox row `outbox_id`."""

    outbox_id: int
    page: int


MAX_CAPTION = 1024


@dataclass(frozen=True)
class ImageToUpload:
    """An image message whose picture must be uploaded first (`/media`) to get its id."""

    to: str
    png: bytes
    caption: str

    def message(self, media_id: str) -> dict[str, Any]:
        """The image message, once the upload gave `media_id`."""
        image = {"id": media_id, "caption": self.caption}
        return {**_envelope(self.to, "image"), "image": image}


def render(
    reply: Reply, *, to: str, outbox_id: int, translator: Translator
) -> list[dict[str, Any] | ImageToUpload]:
    """What says `reply` to `to`, in the order it must go out: its image first, if any.

    The image goes first so the buttons stay under the last words, where people answer.
    """
    bodies: list[dict[str, Any] | ImageToUpload] = []
    if reply.image is not None:
        caption = shorten(reply.image.alt, MAX_CAPTION) or ELLIPSIS
        bodies.append(ImageToUpload(to=to, png=reply.image.png, caption=caption))
    bodies.extend(_render_text(reply, to=to, outbox_id=outbox_id, translator=translator))
    return bodies


def _render_text(
    reply: Reply, *, to: str, outbox_id: int, translator: Translator
) -> list[dict[str, Any]]:
    if not reply.options:
        return [text_message(to, chunk) for chunk in split_text(reply.text)]

    page = _page_of(reply)
    text = reply.text.strip()
    if page == 0 and len(reply.options) <= MAX_BUTTONS:
        titles, text = _button_titles(reply.options, text)
        return _with_lead(
            to, text, translator, lambda body: _buttons(to, body, reply.options, titles)
        )

    pages = page_bounds(len(reply.options))
    page = min(page, len(pages) - 1)
    if page > 0:
        text = translator.gettext(PAGE_BODY).format(page=page + 1, pages=len(pages))
    rows = _rows(reply.options, pages, page, outbox_id, translator)
    button = shorten(translator.gettext(LIST_BUTTON), MAX_LIST_BUTTON)
    return _with_lead(to, text, translator, lambda body: _list(to, body, button, rows))


def text_message(to: str, body: str) -> dict[str, Any]:
    """A plain text message (at most 4,096 characters)."""
    text = {"body": body, "preview_url": bool(_URL.search(body))}
    return {**_envelope(to, "text"), "text": text}


def template_message(to: str, name: str, language: str) -> dict[str, Any]:
    """An approved template without parameters, the only thing allowed outside the window."""
    template = {"name": name, "language": {"policy": "deterministic", "code": language}}
    return {**_envelope(to, "template"), "template": template}


def page_request(option_id: str | None) -> PageRequest | None:
    """The page a "more options" row asks for, or None for any other id."""
    if not option_id or not option_id.startswith(MORE_PREFIX):
        return None
    outbox_part, _, page_part = option_id.removeprefix(MORE_PREFIX).partition(":")
    # ASCII digits only: "²" is a digit to str.isdigit() but int() refuses it.
    outbox_id, page = parse_record_id(outbox_part), parse_record_id(page_part)
    if outbox_id is None or page is None:
        return None
    return PageRequest(outbox_id=outbox_id, page=page)


def page_bounds(count: int) -> list[tuple[int, int]]:
    """Where each page of `count` options starts and ends: 9 and a "more" row, 10 at the end."""
    bounds: list[tuple[int, int]] = []
    start = 0
    while count - start > MAX_ROWS:
        bounds.append((start, start + MAX_ROWS - 1))
        start += MAX_ROWS - 1
    bounds.append((start, count))
    return bounds


def shorten(label: str, limit: int) -> str:
    """`label` within `limit` characters, cut after a whole word and marked with "…"."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    room = limit - len(ELLIPSIS)
    head = whole_prefix(label, room)
    if label[len(head)] != " " and " " in head:
        by_word = head[: head.rfind(" ")].rstrip(_TRAILING)
        # A lone short word says less than most of a long one, marked as cut.
        if len(by_word) >= room // 2:
            head = by_word
    return head.rstrip(_TRAILING) + ELLIPSIS


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut between paragraphs, lines or words."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    for separator in ("\n\n", "\n", " "):
        found = text.rfind(separator, 0, limit)
        if found > limit // 2:
            return found
    return limit


def _page_of(reply: Reply) -> int:
    page = reply.extra.get(PAGE_KEY, 0)
    return page if isinstance(page, int) and page >= 0 else 0


def _button_titles(options: tuple[Option, ...], text: str) -> tuple[list[str], str]:
    titles = [shorten(option.label, MAX_BUTTON_TITLE) for option in options]
    if len(set(titles)) < len(titles):
        numbered = (f"{n}. {option.label}" for n, option in enumerate(options, start=1))
        titles = [shorten(label, MAX_BUTTON_TITLE) for label in numbered]
    if all(
        title == " ".join(option.label.split())
        for title, option in zip(titles, options, strict=True)
    ):
        return titles, text
    # Some label lost words on its button: spell every option out above the buttons, each
    # numbered once (an offer's label starts with its number already).
    listing = "\n".join(
        option.label if option.label.startswith(f"{n}. ") else f"{n}. {option.label}"
        for n, option in enumerate(options, start=1)
    )
    return titles, f"{text}\n\n{listing}" if text else listing


def _rows(
    options: tuple[Option, ...],
    pages: list[tuple[int, int]],
    page: int,
    outbox_id: int,
    translator: Translator,
) -> list[dict[str, str]]:
    start, end = pages[page]
    shown = options[start:end]
    labels = [option.label for option in shown]
    if len({shorten(label, MAX_ROW_TITLE) for label in labels}) < len(labels):
        # Titles that shorten alike would look like one offer twice: number them as the
        # person may type them.
        labels = [f"{start + n}. {label}" for n, label in enumerate(labels, start=1)]
    rows = [_row(option.id, label) for option, label in zip(shown, labels, strict=True)]
    if page + 1 < len(pages):
        first, last = pages[page + 1]
        more = translator.gettext(MORE_DESCRIPTION).format(first=first + 1, last=last)
        rows.append(
            {
                "id": f"{MORE_PREFIX}{outbox_id}:{page + 1}",
                "title": shorten(translator.gettext(MORE_TITLE), MAX_ROW_TITLE),
                "description": shorten(more, MAX_ROW_DESCRIPTION),
            }
        )
    return rows


def _row(option_id: str, label: str) -> dict[str, str]:
    title = shorten(label, MAX_ROW_TITLE)
    row = {"id": option_id, "title": title}
    if title.endswith(ELLIPSIS):
        row["description"] = shorten(label, MAX_ROW_DESCRIPTION)
    return row


def _with_lead(
    to: str, text: str, translator: Translator, interactive: Callable[[str], dict[str, Any]]
) -> list[dict[str, Any]]:
    # The interactive body holds 1,024 characters: a longer text goes first on its own.
    if text and len(text) <= MAX_BODY:
        return [interactive(text)]
    lead = [text_message(to, piece) for piece in split_text(text)]
    return [*lead, interactive(translator.gettext(CHOOSE))]


def _buttons(to: str, body: str, options: tuple[Option, ...], titles: list[str]) -> dict[str, Any]:
    buttons = [
        {"type": "reply", "reply": {"id": option.id, "title": title}}
        for option, title in zip(options, titles, strict=True)
    ]
    interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
    return {**_envelope(to, "interactive"), "interactive": interactive}


def _list(to: str, body: str, button: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    action = {"button": button, "sections": [{"rows": rows}]}
    interactive = {"type": "list", "body": {"text": body}, "action": action}
    return {**_envelope(to, "interactive"), "interactive": interactive}


def _envelope(to: str, kind: str) -> dict[str, Any]:
    # The published schema requires all three even where the live API would default them.
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
    }
