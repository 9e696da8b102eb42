"""`POST /webhooks/telegram`: where Telegram delivers updates in webhook mode.

| answer | when | what Telegram does |
| --- | --- | --- |
| 200 | the update was handled (or is a repeat, or needs no answer) | moves on |
| 400 | the body is not an update | moves on (a 4xx is not retried) |
| 401 | `X-Telegram-Bot-Api-Secret-Token` missing or wrong | nothing recorded |
| 404 | Telegram is not configured, or runs by polling | nothing recorded |
| 413 | the body is larger than any update | nothing recorded |
| 503 | a step failed or the database is away; nothing was recorded | delivers it again |

A failing step answers 503 rather than 500 on purpose: nothing was recorded, so the
redelivery Telegram makes is safe, and no error of ours ever surfaces as a 500.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from bot.telegram.errors import MalformedUpdate
from bot.telegram.service import WEBHOOK_PATH, TelegramService
from conversations.errors import InvalidEvent, StepFailed, StorageUnavailable

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
MAX_UPDATE_BYTES = 256 * 1024

router = APIRouter()


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def telegram_webhook(request: Request) -> JSONResponse:
    """Receive one Telegram update."""
    service: TelegramService | None = request.app.state.telegram
    if service is None or not service.webhook_secret:
        raise HTTPException(status_code=404, detail="Telegram webhook is not enabled")
    if not _secret_matches(request.headers.get(SECRET_HEADER), service.webhook_secret):
        logger.warning("Telegram webhook called without the right secret")
        raise HTTPException(status_code=401, detail="wrong or missing secret token")

    data = _parse_json(await _read_body(request))
    try:
        await service.channel.receive_json(data)
    except (MalformedUpdate, InvalidEvent) as error:
        logger.warning("Telegram webhook body rejected: %s", error)
        raise HTTPException(status_code=400, detail=str(error)) from error
    except (StepFailed, StorageUnavailable) as error:
        raise HTTPException(
            status_code=503, detail="try again later", headers={"Retry-After": "5"}
        ) from error
    return JSONResponse({"ok": True})


def _secret_matches(given: str | None, expected: str) -> bool:
    # Constant time, so the secret cannot be guessed a character at a time from timings.
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_UPDATE_BYTES:
            raise HTTPException(status_code=413, detail="request body too large")
    return bytes(body)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise HTTPException(status_code=400, detail="the body is not JSON") from error


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
