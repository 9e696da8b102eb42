"""A client for PicPay's e-commerce public API, and the interface the sandbox shares with it.

PicPay's API (docs/payments.md cites the pages): `POST /payments` creates a payment and
answers its `paymentUrl` and QR code; `GET /payments/{referenceId}/status` tells its status;
`POST /payments/{referenceId}/cancellations` cancels it, or refunds it when it was paid
(then with its `authorizationId`). Every call carries our token in `x-picpay-token`.

Money goes out as an exact JSON number with two decimals, written from a `Decimal`, and
comes back parsed as `Decimal`: a float never holds an amount.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from marketplace.clock import BRAZIL

logger = logging.getLogger(__name__)

CENTAVO = Decimal("0.01")
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# A field name in PicPay's `errors` (`buyer.document`): kept, unlike the message beside it.
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\[\]]{0,39}$")
MAX_FIELDS = 5
REFUSALS = {
    400: "bad request",
    401: "token refused",
    403: "forbidden",
    404: "not found",
    409: "conflict",
    422: "validation failed",
}
READ_ATTEMPTS = 3
RETRY_PAUSE = 0.5  # seconds, doubled after each failed read
PNG_DATA_URI = "data:image/png;base64,"


class PicPayError(Exception):
    """A call to PicPay failed."""


class PicPayUnavailable(PicPayError):
    """PicPay could not be reached, timed out or failed on its side (5xx): try again later."""


class PicPayRejected(PicPayError):
    """PicPay refused the request (4xx); the same request would be refused again.

    Its text is logged and recorded on the payment, so it holds no personal data: PicPay's
    own explanation may quote the buyer's name, CPF or e-mail, and is never kept (see
    `refusal_reason`).

    Attributes:
        status_code: the HTTP status PicPay answered.
        reason: what was refused, in words free of personal data.
    """

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(f"PicPay refused the request ({status_code}): {reason}")
        self.status_code = status_code
        self.reason = reason


class PicPayNotFound(PicPayRejected):
    """PicPay knows no payment with this reference id."""


class PicPayProtocolError(PicPayError):
    """PicPay answered something that is not what its documentation describes."""


@dataclass(frozen=True)
class Buyer:
    """Who pays; PicPay finds the person in its app by these fields."""

    first_name: str
    last_name: str
    cpf: str  # 11 digits
    email: str | None = None
    phone: str | None = None  # as PicPay shows it: +55 27 12345-6789

    def to_json(self) -> dict[str, str]:
        """The `buyer` object of a payment request."""
        fields = {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "document": format_cpf(self.cpf),
        }
        if self.email:
            fields["email"] = self.email
        if self.phone:
            fields["phone"] = self.phone
        return fields


@dataclass(frozen=True)
class PaymentRequest:
    """A payment to create: `value` in reais, exact to the centavo."""

    reference_id: str
    value: Decimal
    callback_url: str
    return_url: str
    expires_at: datetime
    buyer: Buyer


@dataclass(frozen=True)
class CreatedPayment:
    """What PicPay answers to a created payment: where to pay, and the QR code."""

    reference_id: str
    payment_url: str
    expires_at: datetime | None
    qr_code_content: str | None
    qr_code_png: bytes | None


@dataclass(frozen=True)
class PaymentStatus:
    """A payment's status as the provider tells it; `paid` is the amount it says was paid."""

    reference_id: str
    status: str
    authorization_id: str | None = None
    paid: Decimal | None = None


@dataclass(frozen=True)
class Cancellation:
    """A cancellation (or refund) PicPay accepted."""

    reference_id: str
    cancellation_id: str | None


class PaymentGateway(Protocol):
    """What the payments module needs from PicPay; the sandbox implements it too."""

    provider: str

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        """Create a payment; raises PicPayError."""
        ...

    def payment_status(self, reference_id: str) -> PaymentStatus:
        """The payment's current status; raises PicPayError."""
        ...

    def cancel_payment(self, reference_id: str, authorization_id: str | None) -> Cancellation:
        """Cancel an unpaid payment, or refund a paid one in full; raises PicPayError."""
        ...


class PicPayClient:
    """Talks to PicPay's e-commerce API over HTTPS with httpx."""

    provider = "picpay"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        retry_pause: float = RETRY_PAUSE,
    ) -> None:
        self.retry_pause = retry_pause
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"x-picpay-token": token, "accept": "application/json"},
            timeout=TIMEOUT,
            transport=transport,
        )

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        """Create a payment at PicPay.

        Not retried here: PicPay promises nothing about a repeated create, so a failure is
        left to the caller (docs/payments.md says how creation is retried).
        """
        body = _json_with_money(_payment_json(request), request.value)
        response = self._send(
            "POST", "/payments", content=body, headers={"content-type": "application/json"}
        )
        answer = _object(response)
        qrcode = _inner_object(answer, "qrcode")
        return CreatedPayment(
            reference_id=_text(answer, "referenceId"),
            payment_url=_text(answer, "paymentUrl"),
            expires_at=_instant(answer.get("expiresAt")),
            qr_code_content=_optional_text(qrcode.get("content")),
            qr_code_png=decode_png_data_uri(qrcode.get("base64")),
        )

    def payment_status(self, reference_id: str) -> PaymentStatus:
        """Ask PicPay for a payment's status, retrying network errors and 5xx (a read)."""
        path = f"/payments/{quote(reference_id, safe='')}/status"
        pause = self.retry_pause
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                response = self._send("GET", path)
                break
            except PicPayUnavailable:
                if attempt == READ_ATTEMPTS:
                    raise
                time.sleep(pause)
                pause *= 2
        answer = _object(response)
        summary = _inner_object(answer, "summary")
        return PaymentStatus(
            reference_id=_text(answer, "referenceId"),
            status=_text(answer, "status"),
            authorization_id=_optional_text(answer.get("authorizationId")),
            paid=_money(summary.get("paid")),
        )

    def cancel_payment(self, reference_id: str, authorization_id: str | None) -> Cancellation:
        """Cancel a payment at PicPay; a paid one is refunded in full (needs its authorization)."""
        path = f"/payments/{quote(reference_id, safe='')}/cancellations"
        body = {"authorizationId": authorization_id} if authorization_id else {}
        response = self._send("POST", path, json=body)
        answer = _object(response)
        return Cancellation(
            reference_id=_text(answer, "referenceId"),
            cancellation_id=_optional_text(answer.get("cancellationId") or answer.get("id")),
        )

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **options)
        except httpx.HTTPError as error:
            logger.warning("PicPay %s %s failed: %s", method, path, type(error).__name__)
            raise PicPayUnavailable(f"PicPay unreachable: {type(error).__name__}") from error
        logger.info("PicPay %s %s: %s", method, path, response.status_code)
        if response.status_code >= 500 or response.status_code == 429:
            raise PicPayUnavailable(f"PicPay answered {response.status_code}")
        if response.status_code == 404:
            raise PicPayNotFound(404, refusal_reason(response))
        if response.status_code >= 400:
            raise PicPayRejected(response.status_code, refusal_reason(response))
        return response


def new_reference_id() -> str:
    """A reference id nobody can guess, unique across every payment we ever ask for."""
    return "ce-" + secrets.token_hex(12)


def format_cpf(cpf: str) -> str:
    """A CPF as PicPay documents it: 123.456.789-10."""
    digits = "".join(character for character in cpf if character.isdigit())
    if len(digits) != 11:
        raise ValueError("a CPF has 11 digits")
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def exact_reais(value: Decimal) -> Decimal:
    """The amount with two decimals; refuses one that is not whole centavos, or not positive."""
    if not value.is_finite() or value <= 0:
        raise ValueError("a payment amount is a positive number of reais")
    rounded = value.quantize(CENTAVO)
    if rounded != value:
        raise ValueError("a payment amount is a whole number of centavos")
    return rounded


def decode_png_data_uri(value: object) -> bytes | None:
    """The PNG inside a `data:image/png;base64,` URI, or None when there is none."""
    if not isinstance(value, str) or not value.startswith(PNG_DATA_URI):
        return None
    try:
        png = base64.b64decode(value.removeprefix(PNG_DATA_URI), validate=True)
    except (binascii.Error, ValueError):
        return None
    return png if png.startswith(b"\x89PNG") else None


def _payment_json(request: PaymentRequest) -> dict[str, Any]:
    return {
        "referenceId": request.reference_id,
        "callbackUrl": request.callback_url,
        "returnUrl": request.return_url,
        "value": None,  # written by _json_with_money
        "expiresAt": request.expires_at.astimezone(BRAZIL).isoformat(timespec="seconds"),
        "buyer": request.buyer.to_json(),
    }


def _json_with_money(payload: dict[str, Any], value: Decimal) -> bytes:
    # json.dumps writes a Decimal only through float; a one-off placeholder, replaced by
    # the exact digits, keeps the number as written ("20.50", never 20.499999...).
    placeholder = "money-" + secrets.token_hex(8)
    text = json.dumps({**payload, "value": placeholder}, ensure_ascii=False)
    return text.replace(f'"{placeholder}"', str(exact_reais(value)), 1).encode()


def _object(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = json.loads(response.content, parse_float=Decimal)
    except ValueError as error:
        raise PicPayProtocolError("PicPay answered something that is not JSON") from error
    if not isinstance(answer, dict):
        raise PicPayProtocolError("PicPay answered JSON that is not an object")
    return answer


def _inner_object(answer: dict[str, Any], name: str) -> dict[str, Any]:
    inner = answer.get(name)
    return inner if isinstance(inner, dict) else {}


def _text(answer: dict[str, Any], name: str) -> str:
    value = answer.get(name)
    if not isinstance(value, str) or not value:
        raise PicPayProtocolError(f"PicPay's answer has no {name}")
    return value


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


MAX_AMOUNT = Decimal("1e12")  # far above any payment; keeps quantize within its precision


def _money(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise PicPayProtocolError("PicPay's answer has an amount that is no amount of money")
    return amount.quantize(CENTAVO)


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


def refusal_reason(response: httpx.Response) -> str:
    """Why PicPay refused, without personal data: the kind of refusal, and the fields it faults.

    PicPay's `message` texts (and those of its `errors`) may quote the buyer's name, CPF or
    e-mail, so none is kept; the names of the faulted fields (`buyer.document`) say what to
    fix.
    """
    reason = REFUSALS.get(response.status_code, "refused")
    try:
        answer = response.json()
    except ValueError:
        return reason
    errors = answer.get("errors") if isinstance(answer, dict) else None
    fields = [
        error["field"]
        for error in (errors if isinstance(errors, list) else [])
        if isinstance(error, dict)
        and isinstance(error.get("field"), str)
        and FIELD_NAME.match(error["field"])
    ]
    if fields:
        reason += " (fields: " + ", ".join(dict.fromkeys(fields[:MAX_FIELDS])) + ")"
    return reason
