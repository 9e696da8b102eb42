"""A cap on request bodies, declared or streamed: every body we accept is small.

Refusing big ones early keeps a flood from filling memory. Checking `Content-Length` is not
enough: a chunked upload declares no length, so the bytes are counted as they arrive too.
"""

from __future__ import annotations

import contextlib
import logging

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


class BodyTooLarge(Exception):
    """The body went past the limit while the app was reading it."""


class BodyLimit:
    """Answers 413 to a request whose body is, or turns out to be, over `max_bytes`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a declared oversize at once; count a streamed body as the app reads it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._declared_size_fits(scope):
            await _too_large(scope, receive, send)
            return

        received = 0
        exceeded = started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a truncated body; ours is the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        # FastAPI turns an error while reading the body into a 400, which guarded_send drops;
        # an app that lets it through ends here.
        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted_receive, guarded_send)
        if exceeded and not started:
            await _too_large(scope, receive, send)

    def _declared_size_fits(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"content-length":
                return len(value) <= 12 and value.isdigit() and int(value) <= self.max_bytes
        return True


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    logger.warning("refused a request body over the limit on %s", scope.get("path", "-"))
    response = JSONResponse({"detail": "request body too large"}, status_code=413)
    await response(scope, receive, send)
