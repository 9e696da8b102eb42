"""A fake of PicPay's e-commerce public API: a real HTTP server on 127.0.0.1.

It checks what PicPay documents (docs/payments.md cites the pages): the `x-picpay-token`
header on every call; on `POST /payments` a unique `referenceId`, an absolute `callbackUrl`
and `returnUrl`, a `value` written with two decimals, an ISO-8601 `expiresAt` with its
offset, and a `buyer` whose `document` is a CPF as `123.456.789-10`. A request that breaks
a rule is answered 422 like PicPay would, and kept in `violations` (tests require it empty).

Tests drive it: set a payment's status (and the amount it reports paid), make the next
calls fail, and have it call our callback: once, again, out of order, for a reference we
never created, with a wrong seller token.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes.loopback import LoopbackServer

CPF_SHAPE = re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$")
PHONE_SHAPE = re.compile(r"^\+55 \d{2} \d{4,5}-\d{4}$")
# The value as written in the body: digits, a dot, exactly two decimals.
VALUE_SHAPE = re.compile(rb'"value"\s*:\s*(-?\d+(?:\.\d+)?)\s*[,}]')
STATUS_PATH = re.compile(r"^/payments/([^/]+)/status$")
CANCEL_PATH = re.compile(r"^/payments/([^/]+)/cancellations$")

CallbackSink = Callable[[str, dict[str, str], bytes], int]
GARBLED = -1  # a planned "failure": 200 with an HTML body
GENERAL_PROBLEM = "Problema geral"


@dataclass(frozen=True)
class _Failure:
    """A planned failure: the HTTP status and body, for any call or cancellations only."""

    status: int
    message: str = GENERAL_PROBLEM
    errors: tuple[dict[str, str], ...] = ()
    cancellations_only: bool = False

    def body(self) -> dict[str, Any]:
        """The JSON body PicPay would answer: its `message`, and `errors` when it has any."""
        answer: dict[str, Any] = {"message": self.message}
        if self.errors:
            answer["errors"] = list(self.errors)
        return answer


@dataclass
class FakePayment:
    """What the fake holds about one payment."""

    reference_id: str
    value: Decimal
    callback_url: str
    body: dict[str, Any]
    status: str = "created"
    authorization_id: str | None = None
    reported_paid: Decimal | None = None  # what the status answer says was paid


@dataclass
class FakePicPay(LoopbackServer):
    """The fake server; `url` is what PICPAY_API_URL should be."""

    token: str = "fake-picpay-token"
    seller_token: str = "fake-seller-token"
    payments: dict[str, FakePayment] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    callback_sink: CallbackSink | None = None
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """Requests are answered as the real service would."""
        return _handler_for(self)

    @property
    def url(self) -> str:
        """The base URL, like https://appws.picpay.com/ecommerce/public."""
        return f"{self.origin}/ecommerce/public"

    # What tests arrange ----------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        message: str = GENERAL_PROBLEM,
        errors: tuple[dict[str, str], ...] = (),
    ) -> None:
        """Answer the next `times` calls with this HTTP status, `message` and `errors`.

        `errors` are PicPay's `{field, message}` objects, as it lists a validation's faults.
        """
        with self._lock:
            self._failures.extend([_Failure(status, message, errors)] * times)

    def fail_next_cancellation(self, status: int = 503, *, message: str = GENERAL_PROBLEM) -> None:
        """Answer the next cancellation with this HTTP status; other calls pass."""
        with self._lock:
            self._failures.append(_Failure(status, message, cancellations_only=True))

    def garble_next(self) -> None:
        """Answer the next call 200 with a body that is not JSON (a proxy's error page)."""
        with self._lock:
            self._failures.append(_Failure(GARBLED))

    def set_status(self, reference_id: str, status: str, *, paid: Decimal | None = None) -> None:
        """Move a payment to `status`, as a consumer paying (or PicPay) would.

        A paid status reports the value asked for as paid, unless `paid` says otherwise.
        """
        with self._lock:
            payment = self.payments[reference_id]
            payment.status = status
            if status in ("paid", "completed") and payment.authorization_id is None:
                payment.authorization_id = f"auth{next(self._ids):06d}"
            if status in ("paid", "completed"):
                payment.reported_paid = paid if paid is not None else payment.value

    def only_payment(self) -> FakePayment:
        """The one payment created so far."""
        with self._lock:
            assert len(self.payments) == 1, f"{len(self.payments)} payments at the fake"
            return next(iter(self.payments.values()))

    def call_back(
        self,
        reference_id: str,
        *,
        seller_token: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> int:
        """POST a callback to our app, as PicPay does after a change; returns our answer.

        The body is PicPay's `{referenceId, authorizationId}` unless `body` replaces it.
        """
        assert self.callback_sink is not None, "tell the fake where our app is"
        payment = self.payments.get(reference_id)
        if body is None:
            body = {"referenceId": reference_id}
            if payment is not None and payment.authorization_id:
                body["authorizationId"] = payment.authorization_id
        headers = {
            "content-type": "application/json",
            "x-seller-token": self.seller_token if seller_token is None else seller_token,
        }
        return self.callback_sink("/webhooks/picpay", headers, json.dumps(body).encode())

    # The API ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, token: str | None, raw: bytes) -> tuple[int, Any]:
        """Answer one request: (HTTP status, JSON body)."""
        path = path.removeprefix("/ecommerce/public")
        with self._lock:
            self.requests.append((method, path))
            cancellation = method == "POST" and CANCEL_PATH.match(path) is not None
            for failure in self._failures:
                if cancellation or not failure.cancellations_only:
                    self._failures.remove(failure)
                    return failure.status, failure.body()
        if token != self.token:
            return 401, {"message": "O Token informado é inválido"}
        if method == "POST" and path == "/payments":
            return self._create(raw)
        if method == "GET" and (match := STATUS_PATH.match(path)):
            return self._status(unquote(match[1]))
        if method == "POST" and (match := CANCEL_PATH.match(path)):
            return self._cancel(unquote(match[1]), raw)
        return 404, {"message": "Not found"}

    def _create(self, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw, parse_float=Decimal)
        except ValueError:
            return self._refuse("body", "not JSON")
        problems = list(_payment_problems(body, raw))
        if problems:
            return self._refuse(*problems[0])
        reference = body["referenceId"]
        with self._lock:
            if reference in self.payments:
                return self._refuse("referenceId", "already used")
            self.payments[reference] = FakePayment(
                reference_id=reference,
                value=Decimal(body["value"]),
                callback_url=body["callbackUrl"],
                body=body,
            )
        return 200, {
            "referenceId": reference,
            "paymentUrl": f"https://app.picpay.com/checkout/{reference}",
            "expiresAt": body["expiresAt"],
            "qrcode": {
                "content": f"https://app.picpay.com/checkout/{reference}",
                "base64": "data:image/png;base64," + _TINY_PNG,
            },
        }

    def _status(self, reference: str) -> tuple[int, Any]:
        with self._lock:
            payment = self.payments.get(reference)
            if payment is None:
                return 404, {"message": "Pedido não encontrado"}
            answer: dict[str, Any] = {"referenceId": reference, "status": payment.status}
            if payment.authorization_id:
                answer["authorizationId"] = payment.authorization_id
            if payment.reported_paid is not None:
                answer["summary"] = {
                    "authorized": payment.reported_paid,
                    "paid": payment.reported_paid,
                    "refunded": payment.value if payment.status == "refunded" else 0,
                }
            return 200, answer

    def _cancel(self, reference: str, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._refuse("body", "not JSON")
        with self._lock:
            payment = self.payments.get(reference)
            if payment is None:
                return 404, {"message": "Pedido não encontrado"}
            if payment.status in ("paid", "completed"):
                if body.get("authorizationId") != payment.authorization_id:
                    return 422, {"message": "authorizationId inválido"}
                payment.status = "refunded"
            elif payment.status == "created":
                payment.status = "expired"
            else:
                return 422, {"message": "O pagamento já foi cancelado"}
            return 200, {"referenceId": reference, "cancellationId": f"c{next(self._ids)}"}

    def _refuse(self, name: str, problem: str) -> tuple[int, Any]:
        with self._lock:
            self.violations.append(f"{name}: {problem}")
        return 422, {
            "message": "Algumas propriedades não passaram no teste de validação.",
            "errors": [{"field": name, "message": problem}],
        }


def _payment_problems(body: Any, raw: bytes) -> Iterator[tuple[str, str]]:
    if not isinstance(body, dict):
        yield "body", "not an object"
        return
    for name in ("referenceId", "callbackUrl", "returnUrl", "expiresAt"):
        if not isinstance(body.get(name), str) or not body[name]:
            yield name, "required text"
    for name in ("callbackUrl", "returnUrl"):
        parts = urlsplit(str(body.get(name, "")))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            yield name, "not an absolute URL"
    written = VALUE_SHAPE.search(raw)
    value = body.get("value")
    if not isinstance(value, Decimal) or written is None:
        yield "value", "a number is required"
    elif not re.fullmatch(rb"\d+\.\d{2}", written[1]) or value <= 0:
        yield "value", "a positive amount with two decimals"
    try:
        expires = datetime.fromisoformat(str(body.get("expiresAt")))
        if expires.tzinfo is None:
            yield "expiresAt", "ISO 8601 with an offset"
    except ValueError:
        yield "expiresAt", "not ISO 8601"
    yield from _buyer_problems(body.get("buyer"))


def _buyer_problems(buyer: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(buyer, dict):
        yield "buyer", "required object"
        return
    for name in ("firstName", "lastName"):
        if not isinstance(buyer.get(name), str) or not buyer[name].strip():
            yield f"buyer.{name}", "required text"
    if not CPF_SHAPE.match(str(buyer.get("document", ""))):
        yield "buyer.document", "a CPF as 123.456.789-10"
    if "email" in buyer and "@" not in str(buyer["email"]):
        yield "buyer.email", "not an e-mail address"
    if "phone" in buyer and not PHONE_SHAPE.match(str(buyer["phone"])):
        yield "buyer.phone", "a phone as +55 27 12345-6789"
    unexpected = set(buyer) - {"firstName", "lastName", "document", "email", "phone"}
    if unexpected:
        yield "buyer", f"unexpected fields {sorted(unexpected)}"


def _handler_for(fake: FakePicPay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, body = fake.handle(method, self.path, self.headers.get("x-picpay-token"), raw)
            data = json.dumps(body, default=_number).encode()
            if status == GARBLED:
                status, data = 200, b"<html><body>Bad gateway</body></html>"
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _number(value: object) -> float:
    # Only the fake's answers go through float, as PicPay's own JSON numbers would.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


@contextlib.contextmanager
def running_picpay() -> Iterator[FakePicPay]:
    """A started fake, stopped afterwards."""
    fake = FakePicPay().start()
    try:
        yield fake
    finally:
        fake.stop()


# A 1x1 PNG, enough for our side to recognise and keep an image.
_TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    "AAAABJRU5ErkJggg=="
)
