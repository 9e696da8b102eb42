"""`POST /webhooks/picpay`: PicPay's callback after any change of one of our payments.

The body only names the payment (`{"referenceId", "authorizationId"}`); whatever else it
says, a status included, is ignored. We ask PicPay for the status and apply that.

| answer | when | what PicPay does |
| --- | --- | --- |
| 200 | the status was applied, or was already (a repeat changes nothing) | moves on |
| 400 | the body is not JSON, not an object, or has no usable `referenceId` | moves on |
| 401 | `x-seller-token` missing or wrong (always, in the sandbox without one) | ignored |
| 404 | we never opened a payment with this reference, or PicPay knows none | ignored |
| 413 | the body is over the app's limit (webhooks/body_limit.py) | ignored |
| 503 | the status query, the database or the listener failed; nothing changed | calls again |

PicPay tries a callback again when it does not get a 200 (21 more times), so a 503 here
is the way to get one more look later; the periodic check (`bot/payment_checker.py`)
catches what a callback never brought.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import traceback
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from marketplace.payments import Payments, ProviderMismatch, UnknownPayment
from marketplace.picpay import PicPayError, PicPayNotFound

logger = logging.getLogger(__name__)

PATH = "/webhooks/picpay"
SELLER_HEADER = "x-seller-token"
MAX_CALLBACK_BYTES = 4096  # PicPay's body is two short fields
REFERENCE_SHAPE = re.compile(r"^[\x21-\x7e]{1,64}$")  # printable ASCII, no spaces

router = APIRouter()


@router.post(PATH, include_in_schema=False)
async def picpay_callback(request: Request) -> JSONResponse:
    """A PicPay notification that one of our payments changed."""
    expected: str | None = request.app.state.runtime.settings.picpay_seller_token
    given = request.headers.get(SELLER_HEADER)
    # Constant time, so the answer says nothing about how much of a guess was right.
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        logger.warning("PicPay callback without the right seller token")
        return problem(401, "Unauthorized", "x-seller-token missing or wrong")
    return await answer_callback(request.app.state.payments, await request.body())


async def answer_callback(payments: Payments, body: bytes) -> JSONResponse:
    """Apply what PicPay says about the payment a callback body names; the HTTP answer.

    The sandbox page calls this too, so its buttons walk the same path as PicPay.
    """
    reference_id = _reference_of(body)
    if reference_id is None:
        logger.warning("PicPay callback with an unusable body")
        return problem(400, "Bad Request", "expected a JSON object with a referenceId")
    try:
        outcome = await asyncio.to_thread(payments.handle_callback, reference_id)
    except (UnknownPayment, PicPayNotFound):
        logger.warning("PicPay callback for a reference we do not know")
        return problem(404, "Not Found", "no payment with this referenceId")
    except (PicPayError, ProviderMismatch) as error:
        logger.warning("PicPay callback: status unavailable (%s); asking for a retry", error)
        return problem(503, "Service Unavailable", "status unavailable; try again later")
    except OperationalError as error:
        logger.warning("PicPay callback: database unavailable (%s)", type(error.orig).__name__)
        return problem(503, "Service Unavailable", "try again later")
    except Exception as error:
        # A listener (the contract side) that fails undoes the payment's change with its
        # own; PicPay calling again is then the right outcome, never a 500. Only the type
        # and stack are logged: a message might quote personal data.
        logger.error(
            "PicPay callback failed with %s; nothing changed\n%s",
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)).rstrip(),
        )
        return problem(503, "Service Unavailable", "try again later")
    return JSONResponse({"status": "ok", "outcome": outcome.value})


def problem(status: int, title: str, detail: str) -> JSONResponse:
    """An RFC 9457 problem answer, naming nothing the client sent."""
    headers = {"Retry-After": "30"} if status == 503 else None
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def _reference_of(body: bytes) -> str | None:
    if len(body) > MAX_CALLBACK_BYTES:
        return None
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict):
        return None
    reference = data.get("referenceId")
    if isinstance(reference, int) and not isinstance(reference, bool):
        reference = str(reference)  # PicPay's examples show numeric-looking ids
    if not isinstance(reference, str) or not REFERENCE_SHAPE.match(reference):
        return None
    return reference
