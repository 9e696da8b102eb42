"""Reading what people type: cleaning, normalising, options, yes/no and global commands.

CEPs and money belong to the marketplace (`marketplace.documents.normalize_cep`,
`marketplace.money.parse_brl`); this module only knows chat-level shapes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from conversations.events import Option

MAX_TEXT_LENGTH = 2000

# Bidirectional embeddings, overrides and isolates can make a message display differently
# from what it says (and scramble transcripts and terminals); right-to-left letters stay.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NUMBER_PICK = re.compile(r"^#?\s*(\d{1,3})\s*[.)]?$")
_MIN_PREFIX = 3


@dataclass(frozen=True)
class CleanText:
    """A message made safe to read: control characters gone, length checked."""

    text: str
    too_long: bool = False


def clean_text(raw: str, *, limit: int = MAX_TEXT_LENGTH) -> CleanText:
    """Strip control characters and lone surrogates, trim, and flag text over `limit`.

    Text over the limit is cut to it, so it can be stored, and flagged so the caller asks
    for a shorter message instead of reading half a sentence.
    """
    # Lone surrogates (possible in JSON from a web client) cannot be stored as UTF-8.
    text = raw.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", text)
    text = "".join(_keep_or_space(char) for char in text)
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    if len(text) > limit:
        return CleanText(text=text[:limit], too_long=True)
    return CleanText(text=text)


def _keep_or_space(char: str) -> str:
    if char in "\n\t":
        return " " if char == "\t" else char
    if char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc":
        return ""
    return char


_RECORD_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits that fit a BIGINT


def parse_record_id(text: str) -> int | None:
    """The row id a button names (`accept:42` → 42 after its prefix), or None when the text
    is not one: other digits than 0-9, or a number past any id (a forged button)."""
    return int(text) if _RECORD_ID.fullmatch(text) else None


def normalize(text: str) -> str:
    """Strip accents, casefold and collapse whitespace: `"  Não  SEI "` → `"nao sei"`."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


@lru_cache(maxsize=4096)  # option labels come back on every message of a question
def comparable(text: str) -> str:
    """`normalize`, with punctuation and symbols turned into spaces, for loose matching."""
    letters = "".join(char if char.isalnum() else " " for char in normalize(text))
    return " ".join(letters.split())


def match_option(text: str, options: Sequence[Option]) -> Option | None:
    """The option a person meant by typing its number, its label or a unique prefix of it.

    The number is the 1-based position as shown; labels are compared without case,
    accents or punctuation; a prefix needs at least three letters and one match.
    """
    if not options:
        return None
    number = _NUMBER_PICK.match(text.strip())
    if number:
        position = int(number.group(1))
        return options[position - 1] if 1 <= position <= len(options) else None

    wanted = comparable(text)
    if not wanted:
        return None
    labels = [(comparable(option.label), option) for option in options]
    exact = [option for label, option in labels if label == wanted]
    if exact:
        return exact[0]
    if len(wanted) < _MIN_PREFIX:
        return None
    prefixed = [option for label, option in labels if label.startswith(wanted)]
    if prefixed:
        return prefixed[0] if len(prefixed) == 1 else None
    return _match_by_words(wanted, labels)


def _match_by_words(wanted: str, labels: Sequence[tuple[str, Option]]) -> Option | None:
    # People drop words from a label ("como calculou" for "Como você calculou?"): every
    # word typed must appear in exactly one label, and one of them must be a real word.
    words = set(wanted.split())
    if not any(len(word) >= _MIN_PREFIX for word in words):
        return None
    found = [option for label, option in labels if words <= set(label.split())]
    return found[0] if len(found) == 1 else None


# A yes or no is words and light punctuation; symbols around a letter make it something else.
_NOT_AN_ANSWER = re.compile(r"[^\w\s.,!?;:()'\"-]")

# Grouped by language: Portuguese, English, Spanish.
_YES_WORDS = frozenset(
    {"sim", "s", "claro", "pode", "ok", "isso", "certo", "aceito", "concordo", "quero", "bora"}
    | {"yes", "y", "yeah", "yep", "sure", "okay"}
    | {"si", "vale", "dale"}
)
_NO_WORDS = frozenset({"nao", "n", "nunca", "negativo", "recuso", "discordo"} | {"no", "nope"})
_YES_PHRASES = frozenset(
    {"com certeza", "pode ser", "de acordo", "tudo bem", "of course", "por supuesto"}
)
# Politeness around an answer changes nothing: "sim, por favor", "não, obrigado".
_FILLER_WORDS = frozenset(
    {"por", "favor", "obrigado", "obrigada", "valeu"}
    | {"please", "thanks", "thank", "you"}
    | {"gracias"}
)
_YES_EMOJI = frozenset({"\U0001f44d", "\u2705", "\u2714\ufe0f", "\u2714"})
_NO_EMOJI = frozenset({"\U0001f44e", "\u274c", "\u2716\ufe0f"})


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the answer is neither (or both).

    Understands Portuguese, English and Spanish: "sim", "s", "claro", "pode", "ok",
    "não", "nao", "n", "yes", "no", "sí"... with politeness around them.
    """
    stripped = text.strip()
    if stripped in _YES_EMOJI:
        return True
    if stripped in _NO_EMOJI:
        return False

    if _NOT_AN_ANSWER.search(stripped):
        return None  # "%s" or "<s>" must not count as a "s" (sim) to a consent question
    words = [word for word in comparable(stripped).split() if word not in _FILLER_WORDS]
    if not words:
        return None
    if " ".join(words) in _YES_PHRASES or all(word in _YES_WORDS for word in words):
        return True
    if all(word in _NO_WORDS for word in words):
        return False
    return None


class Command(StrEnum):
    """A global command: understood in every state of every flow."""

    START = "start"
    HELP = "help"
    RESTART = "restart"
    BACK = "back"
    CANCEL = "cancel"


_COMMAND_WORDS: dict[str, Command] = {
    "start": Command.START,
    "help": Command.HELP,
    "ajuda": Command.HELP,
    "ayuda": Command.HELP,
    "restart": Command.RESTART,
    "recomecar": Command.RESTART,
    "reiniciar": Command.RESTART,
    "back": Command.BACK,
    "voltar": Command.BACK,
    "volver": Command.BACK,
    "cancel": Command.CANCEL,
    "cancelar": Command.CANCEL,
}


def parse_command(text: str) -> Command | None:
    """The global command the whole message is, with or without a slash, else None.

    `/help@ConnectEnergyBot` counts too: Telegram adds the bot's name in group chats.
    """
    word = normalize(text).removeprefix("/").split("@", 1)[0]
    word = word.strip(" !.?¡¿")
    return _COMMAND_WORDS.get(word)
