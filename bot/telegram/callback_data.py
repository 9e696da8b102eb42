"""Option ids carried in inline buttons, within the 1 to 64 bytes of `callback_data`.

Option ids are promised to fit (docs/engine.md), so a button normally carries the id as is.
An id that does not fit (or that looks like a digest) travels as a short digest instead,
and is matched back against the options the conversation last showed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)

# Telegram rejects the whole message when one button's callback_data is empty or > 64 bytes.
MAX_BYTES = 64
DIGEST_MARK = "#"
DIGEST_BYTES = 24  # 32 base64 characters: collisions between one chat's options are moot


def encode(option_id: str) -> str:
    """The `callback_data` of the button for `option_id`."""
    size = len(option_id.encode("utf-8"))
    if 0 < size <= MAX_BYTES and not is_digest(option_id):
        return option_id
    if size > MAX_BYTES:
        logger.error("option id of %s bytes is over Telegram's limit; sending a digest", size)
    return digest(option_id)


def digest(option_id: str) -> str:
    """A short, stable stand-in for an option id that cannot travel as it is."""
    hashed = hashlib.sha256(option_id.encode("utf-8")).digest()[:DIGEST_BYTES]
    return DIGEST_MARK + base64.urlsafe_b64encode(hashed).decode("ascii")


def is_digest(data: str) -> bool:
    """Whether `callback_data` is a digest rather than an option id."""
    return data.startswith(DIGEST_MARK)


def resolve(data: str, option_ids: Iterable[str]) -> str | None:
    """The option id among `option_ids` whose digest `data` is, if any."""
    return next((option_id for option_id in option_ids if digest(option_id) == data), None)
