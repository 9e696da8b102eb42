"""Checks Bot API calls and objects against the published spec (tests/specs/telegram-bot-api.json).

Beside the spec's own facts (required fields, no unknown fields, types, nested objects),
it checks the limits the spec states only in prose and Telegram enforces: `callback_data`
of 1 to 64 bytes, message text of 1 to 4096 characters after entity parsing (UTF-16 units),
well-formed HTML in HTML parse mode, and inline buttons with exactly one action.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).resolve().parent.parent / "specs" / "telegram-bot-api.json"

MAX_MESSAGE_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # "The photo must be at most 10 MB in size"
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA_BYTES = 64
BUTTON_DECORATIONS = {"text", "icon_custom_emoji_id", "style"}
SCALARS = {"Integer", "Float", "Boolean", "String"}

# Telegram's HTML mode: these tags only, entities &lt; &gt; &amp; &quot; and numeric ones.
HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
_HTML_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?P<attributes>[^<>]*)>"
    r"|&(?P<entity>lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);"
    r"|(?P<stray>[<>&])"
)
_ENTITY_TEXT = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@functools.cache
def load_spec() -> BotApiSpec:
    """The spec of the Bot API, read once per test run."""
    return BotApiSpec(json.loads(SPEC_FILE.read_text(encoding="utf-8")))


class BotApiSpec:
    """The Bot API's methods and types, and checks of values against them."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.version = str(document["version"])
        self.methods = {name.lower(): method for name, method in document["methods"].items()}
        self.types: dict[str, Any] = dict(document["types"])

    def method_name(self, name: str) -> str | None:
        """The spec's spelling of a method (Telegram ignores the case), or None."""
        method = self.methods.get(name.lower())
        return None if method is None else str(method["name"])

    def check_call(
        self, method: str, params: Mapping[str, Any], *, form: bool
    ) -> tuple[dict[str, Any], list[str]]:
        """The call's parameters decoded, and its problems.

        `form` says the values came as strings (a form or a query string), as PTB sends
        them: numbers and booleans spelled out, objects and arrays as JSON.
        """
        spec = self.methods.get(method.lower())
        if spec is None:
            return dict(params), [f"{method}: no such method in {self.version}"]
        fields = {field["name"]: field for field in spec.get("fields", [])}
        problems = [
            f"{method}: unknown parameter {name!r}" for name in params if name not in fields
        ]
        problems += [
            f"{method}: missing required parameter {name!r}"
            for name, field in fields.items()
            if field["required"] and name not in params
        ]
        decoded: dict[str, Any] = {}
        for name, value in params.items():
            if name not in fields:
                decoded[name] = value
                continue
            decoded[name], errors = self._parameter(fields[name]["types"], value, form=form)
            problems += [f"{method}.{name}: {error}" for error in errors]
        if not problems:
            problems += _limits(spec["name"], decoded)
        return decoded, problems

    def check_object(self, type_name: str, value: Any, path: str = "") -> list[str]:
        """Problems with `value` as an object of `type_name` (nested objects included)."""
        return self._check_alternatives([type_name], value, path or type_name)

    def _parameter(self, types: list[str], value: Any, *, form: bool) -> tuple[Any, list[str]]:
        if not form or not isinstance(value, str):
            return value, self._check_alternatives(types, value, "")
        first_errors: list[str] | None = None
        for type_name in types:
            decoded = _from_form(type_name, value)
            if decoded is _UNDECODABLE:
                errors = [f"{value[:40]!r} is not a form-encoded {type_name}"]
            else:
                errors = self._check_type(type_name, decoded, "")
                if not errors:
                    return decoded, []
            first_errors = first_errors if first_errors is not None else errors
        return value, first_errors or []

    def _check_alternatives(self, types: list[str], value: Any, path: str) -> list[str]:
        first_errors: list[str] | None = None
        for type_name in types:
            errors = self._check_type(type_name, value, path)
            if not errors:
                return []
            first_errors = first_errors if first_errors is not None else errors
        return first_errors or []

    def _check_type(self, type_name: str, value: Any, path: str) -> list[str]:
        where = path or "value"
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}, got {type(value).__name__}"]
            inner = type_name.removeprefix("Array of ")
            return [
                error
                for index, item in enumerate(value)
                for error in self._check_type(inner, item, f"{path}[{index}]")
            ]
        if type_name in SCALARS:
            return [] if _is_scalar(type_name, value) else [f"{where}: expected {type_name}"]
        return self._check_object_type(type_name, value, path)

    def _check_object_type(self, type_name: str, value: Any, path: str) -> list[str]:
        spec = self.types.get(type_name)
        if spec is None:
            return [f"{path}: unknown type {type_name}"]
        if "subtypes" in spec:
            return self._check_alternatives(spec["subtypes"], value, path)
        if not isinstance(value, dict):
            return [f"{path or 'value'}: expected a {type_name} object"]
        fields = {field["name"]: field for field in spec.get("fields", [])}
        if not fields:
            return []  # types the spec leaves open (InputFile, CallbackGame...)
        problems = [
            f"{path}.{name}: not a field of {type_name}" for name in value if name not in fields
        ]
        problems += [
            f"{path}.{name}: required in {type_name}"
            for name, field in fields.items()
            if field["required"] and name not in value
        ]
        for name, item in value.items():
            if name in fields:
                problems += self._check_alternatives(fields[name]["types"], item, f"{path}.{name}")
        if type_name == "InlineKeyboardButton" and not problems:
            problems += _button_problems(value, path)
        return problems


_UNDECODABLE = object()


def _from_form(type_name: str, raw: str) -> Any:
    if type_name == "String":
        return raw
    if type_name == "Integer":
        return int(raw) if re.fullmatch(r"-?[0-9]+", raw) else _UNDECODABLE
    if type_name == "Float":
        try:
            return float(raw)
        except ValueError:
            return _UNDECODABLE
    if type_name == "Boolean":
        return {"true": True, "false": False}.get(raw.lower(), _UNDECODABLE)
    try:
        return json.loads(raw)
    except ValueError:
        return _UNDECODABLE


def _is_scalar(type_name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return type_name == "Boolean"
    if type_name == "Integer":
        return isinstance(value, int)
    if type_name == "Float":
        return isinstance(value, int | float)
    return type_name == "String" and isinstance(value, str)


def _button_problems(button: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    actions = [name for name in button if name not in BUTTON_DECORATIONS]
    if len(actions) != 1:
        problems.append(f"{path}: a button needs exactly one action, has {actions}")
    if not str(button.get("text", "")).strip():
        problems.append(f"{path}.text: a button needs a label")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            problems.append(f"{path}.callback_data: {size} bytes, must be 1 to 64")
    return problems


def _limits(method: str, params: Mapping[str, Any]) -> list[str]:
    if method == "sendMessage":
        return message_text_problems(params["text"], params.get("parse_mode"))
    if method == "sendPhoto":
        return photo_problems(params)
    if method == "answerCallbackQuery":
        text = params.get("text", "")
        if len(text) > MAX_CALLBACK_ANSWER:
            return [f"answerCallbackQuery.text: {len(text)} characters, at most 200"]
    return []


def photo_problems(params: Mapping[str, Any]) -> list[str]:
    """Problems of a `sendPhoto` call: an uploaded image within limits, a short caption."""
    problems: list[str] = []
    photo = params["photo"]
    if not isinstance(photo, dict) or "size" not in photo:
        problems.append("sendPhoto.photo: this bot uploads its photos (multipart/form-data)")
    elif not 0 < photo["size"] <= MAX_PHOTO_BYTES:
        problems.append(f"sendPhoto.photo: {photo['size']} bytes, at most 10 MB")
    elif not photo.get("image"):
        problems.append("sendPhoto.photo: the upload is not a PNG or JPEG image")
    caption = params.get("caption")
    if caption is not None:
        parse_mode = params.get("parse_mode")
        plain, parse_problems = parse_html(caption) if parse_mode else (caption, [])
        problems += [f"sendPhoto.caption: can't parse entities: {p}" for p in parse_problems]
        if utf16_length(plain) > MAX_CAPTION:
            problems.append(f"sendPhoto.caption: over {MAX_CAPTION} characters")
    return problems


def message_text_problems(text: str, parse_mode: str | None) -> list[str]:
    """Problems of a message text as Telegram would parse it."""
    if parse_mode is None:
        plain = text
    elif parse_mode.upper() == "HTML":
        plain, problems = parse_html(text)
        if problems:
            return [f"sendMessage.text: can't parse entities: {problem}" for problem in problems]
    else:
        return [f"sendMessage.parse_mode: the fake only reads HTML, not {parse_mode!r}"]
    length = utf16_length(plain.strip())
    if not 1 <= length <= MAX_MESSAGE_TEXT:
        return [f"sendMessage.text: {length} characters after entity parsing, must be 1 to 4096"]
    return []


def parse_html(text: str) -> tuple[str, list[str]]:
    """The plain text of Telegram HTML, and what Telegram would refuse in it."""
    plain: list[str] = []
    problems: list[str] = []
    open_tags: list[str] = []
    position = 0
    for token in _HTML_TOKEN.finditer(text):
        plain.append(text[position : token.start()])
        position = token.end()
        if token["stray"]:
            problems.append(f"unescaped {token['stray']!r} at {token.start()}")
        elif token["entity"]:
            plain.append(_entity_text(token["entity"]))
        else:
            problems += _tag_problems(token, open_tags)
    plain.append(text[position:])
    problems += [f"unclosed <{tag}>" for tag in open_tags]
    return "".join(plain), problems


def _tag_problems(token: re.Match[str], open_tags: list[str]) -> list[str]:
    tag = token["tag"].lower()
    if tag not in HTML_TAGS:
        return [f"unsupported tag <{tag}>"]
    if not token["close"]:
        open_tags.append(tag)
        return []
    if not open_tags or open_tags[-1] != tag:
        return [f"unexpected </{tag}>"]
    open_tags.pop()
    return []


def _entity_text(entity: str) -> str:
    if entity.startswith("#x"):
        return chr(int(entity[2:], 16))
    if entity.startswith("#"):
        return chr(int(entity[1:]))
    return _ENTITY_TEXT[entity]


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2
