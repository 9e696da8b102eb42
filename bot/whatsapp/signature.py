"""Meta's signature on webhook bodies: `X-Hub-Signature-256` = "sha256=" + HMAC of the body."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends with `body`."""
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(app_secret: str, body: bytes, header: str) -> bool:
    """Whether `header` signs these exact bytes with the app secret.

    Meta signs the raw bytes it sent, so this runs before any parsing (a re-encoded body
    would not match), and compares in constant time so the answer leaks nothing.
    """
    if not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(app_secret, body).encode(), header.strip().encode())
