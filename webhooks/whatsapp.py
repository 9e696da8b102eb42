"""The WhatsApp Cloud API webhook: Meta's subscription check and its signed deliveries."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from bot.whatsapp.inbound import MalformedWebhook
from bot.whatsapp.service import WhatsAppService
from bot.whatsapp.signature import signature_matches
from conversations.errors import InvalidEvent, StepFailed, StorageUnavailable

logger = logging.getLogger(__name__)

PATH = "/webhooks/whatsapp"
MAX_CHALLENGE = 200

router = APIRouter()


@router.get(PATH, response_class=PlainTextResponse)
async def verify_subscription(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=20)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=200)] = None,
    challenge: Annotated[
        str | None, Query(alias="hub.challenge", max_length=MAX_CHALLENGE)
    ] = None,
) -> PlainTextResponse:
    """Meta's check that this URL is ours: the challenge back when the verify token matches."""
    service = _service(request)
    if mode != "subscribe" or token is None or not challenge:
        raise HTTPException(status_code=403, detail="not a subscription check")
    # Constant time, so the answer says nothing about how much of a guess was right.
    if not hmac.compare_digest(token.encode(), service.verify_token.encode()):
        logger.warning("WhatsApp subscription check with a wrong verify token")
        raise HTTPException(status_code=403, detail="wrong verify token")
    return PlainTextResponse(challenge)


@router.post(PATH)
async def receive_webhook(request: Request) -> Response:
    """A webhook delivery from Meta: messages and statuses for our number."""
    service = _service(request)
    body = await request.body()
    signature = request.headers.get("x-hub-signature-256")
    if not signature:
        logger.warning("WhatsApp webhook without a signature")
        raise HTTPException(status_code=401, detail="signature required")
    if not signature_matches(service.app_secret, body, signature):
        logger.warning("WhatsApp webhook with a wrong signature")
        raise HTTPException(status_code=403, detail="wrong signature")

    try:
        receipt = await asyncio.to_thread(service.channel.receive, body)
    except (MalformedWebhook, InvalidEvent) as error:
        logger.warning("WhatsApp webhook rejected: %s", error)
        raise HTTPException(status_code=400, detail="not a WhatsApp webhook body") from error
    except (StepFailed, StorageUnavailable) as error:
        # Meta delivers again later; whatever was done is recognised by its message id.
        logger.warning("WhatsApp webhook to be redelivered: %s", type(error).__name__)
        raise HTTPException(status_code=503, detail="try again later") from error
    finally:
        service.wake()
    logger.info(
        "WhatsApp webhook: %s messages, %s statuses, %s ignored",
        receipt.messages,
        receipt.statuses,
        receipt.ignored,
    )
    return JSONResponse({"status": "ok"})


def _service(request: Request) -> WhatsAppService:
    service: WhatsAppService | None = getattr(request.app.state, "whatsapp", None)
    if service is None:
        raise HTTPException(status_code=404, detail="the WhatsApp channel is not configured")
    return service
