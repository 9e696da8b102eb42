"""How the app answers a request it cannot serve: a list of wrong fields, or a plain 500.

Neither answer repeats what was sent. A body may hold a CPF or a phone number, and a lone
surrogate echoed back cannot even be encoded as UTF-8 (FastAPI's own 422 answer to
`{"text": "\\ud800"}` failed with a 500).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

# Field names of our own models; anything else in a location came from the client.
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_HIDDEN = "?"


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    """Answer 422 with where each problem is and what rule it breaks, never the value sent."""
    assert isinstance(error, RequestValidationError)
    problems = [_problem(item) for item in error.errors()]
    logger.warning("rejected %s %s: %s", request.method, request.url.path, _summary(problems))
    return JSONResponse({"detail": problems}, status_code=422)


class ContainCrashes:
    """Turns an unhandled exception into a plain 500, logged without the request's data.

    Starlette's own last-resort handler re-raises, and the server then logs the exception's
    message, which may quote what the person typed; here only its type and stack are logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; answer 500 if it raised before starting its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:
            logger.error(
                "unhandled %s in %s %s\n%s",
                type(error).__name__,
                scope.get("method", "-"),
                _endpoint_name(scope),
                "".join(traceback.format_tb(error.__traceback__)).rstrip(),
            )
            if started:
                return  # too late for a status; the server closes the connection
            response = JSONResponse({"detail": "internal error"}, status_code=500)
            await response(scope, receive, send)


def _problem(error: Mapping[str, Any]) -> dict[str, str]:
    location: Sequence[Any] = error.get("loc", ())
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "extra_forbidden":
        # The unexpected field's name was chosen by the client: name its parent instead.
        location, message = location[:-1], "unexpected field"
    field = ".".join(_location_part(part) for part in location)
    return {"field": field, "problem": _encodable(message)}


def _location_part(part: Any) -> str:
    if isinstance(part, int):
        return str(part)
    if isinstance(part, str) and _FIELD_NAME.match(part):
        return part
    return _HIDDEN


def _encodable(text: str) -> str:
    # Pydantic's messages name the rule, not the value; a custom validator might not.
    return text.encode("utf-8", "replace").decode("utf-8")[:200]


def _summary(problems: list[dict[str, str]]) -> str:
    return ", ".join(f"{problem['field']}: {problem['problem']}" for problem in problems[:5])


def _endpoint_name(scope: Scope) -> str:
    endpoint = scope.get("endpoint")
    return getattr(endpoint, "__qualname__", "-") if endpoint is not None else "-"


def problem(status: int, code: str, detail: str) -> JSONResponse:
    """A refusal the client can act on: a short code and a sentence, never what was sent."""
    return JSONResponse(
        {"status": status, "problem": code, "detail": _encodable(detail)}, status_code=status
    )
