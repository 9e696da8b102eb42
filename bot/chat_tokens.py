"""Web chat tokens the server can check: a random part signed with the secret key.

Nothing is stored when a token is issued. Its signature shows the server made it, so a
client cannot open a conversation under a token of its own invention (nor squat one it
guessed someone else would use).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

RANDOM_BYTES = 24  # 192 bits: a conversation's name cannot be guessed
TAG_BYTES = 16  # HMAC-SHA256 cut to 128 bits: still far beyond forging
_PURPOSE = b"connect-energy/web-chat-token/v1"
_SHAPE = re.compile(r"([A-Za-z0-9_-]{32})\.([A-Za-z0-9_-]{22})")


class ChatTokens:
    """Issues and checks web chat tokens with a key derived from the app's secret key."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to sign chat tokens")
        # A key of its own, so a tag made here means nothing to any other use of the secret.
        self._key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()

    def issue(self) -> str:
        """A fresh token: `<random part>.<tag>`, 55 URL-safe characters."""
        random_part = secrets.token_urlsafe(RANDOM_BYTES)
        return f"{random_part}.{self._tag(random_part)}"

    def verify(self, token: str) -> bool:
        """Whether this server issued `token` (with the same secret key)."""
        parts = _SHAPE.fullmatch(token)
        if parts is None:
            return False
        # Constant time, so the answer's timing does not reveal how much of a tag was right.
        return hmac.compare_digest(parts[2], self._tag(parts[1]))

    def _tag(self, random_part: str) -> str:
        digest = hmac.new(self._key, random_part.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:TAG_BYTES]).rstrip(b"=").decode("ascii")
