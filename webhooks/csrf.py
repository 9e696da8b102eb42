"""CSRF for our HTML forms: a signed double submit, bound to the browser and to what it acts on.

A page gives the browser a random nonce in a cookie (`HttpOnly`, `SameSite=Lax`), and puts
`HMAC(key, nonce | subject)` in its form, the subject being what the form acts on (a signing
link, a sandbox payment). A POST must carry both, and they must match: a form token is worth
nothing in another browser, or for another subject, and another site can neither read the
cookie nor make the token.

One browser keeps one nonce: a page reuses the one the browser sent. Two tabs opened at once,
before the browser had a cookie, each get a nonce of their own; so that the later answer does
not overwrite the earlier one's cookie (and its form fail), each cookie is named after its
nonce's id (`{prefix}_{id}`), and the form token starts with that id: `{id}{hmac}`, all hex.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

ID_LENGTH = 8  # hex digits
NONCE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ID_SHAPE = re.compile(rf"^[0-9a-f]{{{ID_LENGTH}}}$")


@dataclass(frozen=True, order=True)
class BrowserNonce:
    """The secret one browser holds in its cookie, and the id that names the cookie."""

    id: str
    value: str


@dataclass(frozen=True)
class FormGuard:
    """The CSRF check of one kind of form.

    Attributes:
        prefix: the cookies' names start with it (`{prefix}_{id}`).
        path: the cookies are sent only under this path.
        key: the HMAC key, used for nothing else.
        max_age: how long, in seconds, a browser keeps its nonce.
    """

    prefix: str
    path: str
    key: bytes
    max_age: int

    def nonce(self, request: Request) -> BrowserNonce:
        """The browser's nonce when it sent one, else a new one (to be set with `give`)."""
        held = sorted(
            BrowserNonce(name.removeprefix(f"{self.prefix}_"), value)
            for name, value in request.cookies.items()
            if name.startswith(f"{self.prefix}_")
            and ID_SHAPE.match(name.removeprefix(f"{self.prefix}_"))
            and NONCE_SHAPE.match(value)
        )
        if held:
            return held[0]
        return BrowserNonce(secrets.token_hex(ID_LENGTH // 2), secrets.token_urlsafe(32))

    def token(self, nonce: BrowserNonce, subject: str) -> str:
        """The form token: the nonce's id, then the HMAC of the nonce and the subject."""
        message = f"{nonce.value}|{subject}".encode()
        return nonce.id + hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def give(self, request: Request, response: Response, nonce: BrowserNonce) -> None:
        """Set (or refresh) the browser's cookie holding this nonce."""
        response.set_cookie(
            f"{self.prefix}_{nonce.id}",
            nonce.value,
            max_age=self.max_age,
            path=self.path,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",  # sent with our forms' own POSTs; not with other sites' requests
        )

    def accepts(self, request: Request, sent: str, subject: str) -> bool:
        """Whether a posted form token matches a nonce this browser holds, for this subject."""
        nonce_id = sent[:ID_LENGTH]
        if not ID_SHAPE.match(nonce_id):
            return False
        value = request.cookies.get(f"{self.prefix}_{nonce_id}", "")
        if not NONCE_SHAPE.match(value):
            return False
        expected = self.token(BrowserNonce(nonce_id, value), subject)
        # As bytes: compare_digest refuses str with letters beyond ASCII (a TypeError, a 500).
        return hmac.compare_digest(expected.encode(), sent.encode())
