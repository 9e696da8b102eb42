"""A fake of Firebase Cloud Messaging's HTTP v1 API and of Google's OAuth token endpoint.

One real HTTP server on 127.0.0.1 plays both parts, so the real `firebase-admin` client is
what the tests exercise:

- `POST /token` is the service account's `token_uri`: it takes the JWT-bearer grant
  (RFC 7523) that google-auth sends, checks the assertion's RS256 signature with the test
  credential's public key and its issuer, audience, scope and times, and hands out an
  access token.
- `POST /v1/projects/{project}/messages:send` checks the bearer token is one it issued and
  the body against the v1 `Message` resource: exactly one of token, topic or condition; a
  `notification` of strings; `data` mapping strings to strings; no unknown fields.

Tokens marked dead answer 404 UNREGISTERED, tokens marked invalid 400 INVALID_ARGUMENT on
`message.token`, as FCM does; `fail_next` answers the next sends with a server error, and
`delay_seconds` answers each send that much later (a slow FCM).
Requests that break the shape are refused with 400 and kept in `violations`.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.loopback import LoopbackServer

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
MESSAGE_FIELDS = {
    "name", "data", "notification", "android", "webpush", "apns", "fcm_options",
    "token", "topic", "condition", "fid",
}  # fmt: skip
NOTIFICATION_FIELDS = {"title", "body", "image"}


@dataclass(frozen=True)
class SentPush:
    """One message FCM accepted."""

    token: str
    title: str | None
    body: str | None
    data: dict[str, str]


@dataclass
class FakeFcm(LoopbackServer):
    """The fake; `url` is what FCM_API_URL should be, `write_credentials` makes the key."""

    project_id: str = "connect-energy-test"
    client_email: str = "push@connect-energy-test.iam.gserviceaccount.com"
    sent: list[SentPush] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    dead_tokens: set[str] = field(default_factory=set)
    invalid_tokens: set[str] = field(default_factory=set)
    delay_seconds: float = 0.0
    _failures: list[int] = field(default_factory=list)
    _access_tokens: set[str] = field(default_factory=set)
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """Requests are answered as the real service would."""
        return _handler_for(self)

    @property
    def url(self) -> str:
        """The base URL, like https://fcm.googleapis.com."""
        return self.origin

    def write_credentials(self, folder: Path) -> Path:
        """A service-account JSON file with a key made for this run, its token_uri here."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        account = {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": "1234567890",
            "token_uri": f"{self.url}/token",
        }
        path = folder / "fcm-service-account.json"
        path.write_text(json.dumps(account), encoding="utf-8")
        return path

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` sends with this HTTP status (500, 503, 429, or 400 for a
        message FCM refuses, not its token)."""
        with self._lock:
            self._failures.extend([status] * times)

    # The two endpoints ------------------------------------------------------------------

    def grant(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """The token endpoint: a JWT-bearer grant signed with the test key."""
        if form.get("grant_type") != [JWT_BEARER] or len(form.get("assertion", [])) != 1:
            return self._violation(400, "token request is not a JWT-bearer grant")
        try:
            claims = jwt.decode(
                form["assertion"][0],
                self._key.public_key(),
                algorithms=["RS256"],
                # google-auth always names Google's endpoint as the audience, wherever it posts.
                audience=GOOGLE_TOKEN_AUDIENCE,
                issuer=self.client_email,
                options={"require": ["exp", "iat", "scope"]},
            )
        except jwt.InvalidTokenError as error:
            return self._violation(400, f"assertion refused: {error}")
        if "firebase.messaging" not in claims["scope"] and "cloud-platform" not in claims["scope"]:
            return self._violation(400, "assertion does not ask for an FCM scope")
        token = f"fake-fcm-access-{secrets.token_hex(8)}"
        with self._lock:
            self._access_tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def send(self, path: str, authorization: str | None, body: Any) -> tuple[int, dict[str, Any]]:
        """The v1 send endpoint."""
        self.requests.append(path)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)  # this request's own thread of the server
        if path != f"/v1/projects/{self.project_id}/messages:send":
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        if not self._authorized(authorization):
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication.")
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status = {400: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}
            return _error(failure, status.get(failure, "UNAVAILABLE"), "Request failed.")
        problem = _message_problem(body)
        if problem is not None:
            return self._violation(400, problem)
        message = body["message"]
        token = message.get("token", "")
        if token in self.dead_tokens:
            return _error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        if token in self.invalid_tokens:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
                field="message.token",
            )
        notification = message.get("notification", {})
        self.sent.append(
            SentPush(
                token, notification.get("title"), notification.get("body"), message.get("data", {})
            )
        )
        return 200, {"name": f"projects/{self.project_id}/messages/{next(self._ids)}"}

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            return scheme == "Bearer" and token in self._access_tokens

    def _violation(self, status: int, problem: str) -> tuple[int, dict[str, Any]]:
        self.violations.append(problem)
        return _error(status, "INVALID_ARGUMENT", problem)


def _message_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or set(body) - {"message", "validate_only"}:
        return "body must be {message, validate_only?}"
    message = body.get("message")
    if not isinstance(message, dict):
        return "message must be an object"
    if set(message) - MESSAGE_FIELDS:
        return f"unknown message fields {sorted(set(message) - MESSAGE_FIELDS)}"
    targets = [key for key in ("token", "topic", "condition") if key in message]
    if len(targets) != 1 or not isinstance(message[targets[0]], str) or not message[targets[0]]:
        return "exactly one of token, topic, condition, as a non-empty string"
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or set(notification) - NOTIFICATION_FIELDS:
        return "notification must hold title, body, image"
    if not all(isinstance(value, str) for value in notification.values()):
        return "notification fields are strings"
    data = message.get("data", {})
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        return "data maps strings to strings"
    if not notification and not data:
        return "a message with neither notification nor data says nothing"
    return None


def _error(
    status: int, code: str, message: str, fcm_code: str | None = None, *, field: str | None = None
) -> tuple[int, dict[str, Any]]:
    details: list[dict[str, Any]] = []
    if fcm_code is not None:
        details.append({"@type": FCM_ERROR, "errorCode": fcm_code})
    if field is not None:
        details.append({"@type": BAD_REQUEST, "fieldViolations": [{"field": field}]})
    return status, {
        "error": {"code": status, "message": message, "status": code, "details": details}
    }


def _handler_for(fake: FakeFcm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path == "/token":
                status, answer = fake.grant(parse_qs(raw.decode("utf-8")))
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                status, answer = fake.send(self.path, self.headers.get("Authorization"), body)
            encoded = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
