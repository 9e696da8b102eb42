"""A fake of Meta's Graph API messages endpoint: a real HTTP server on 127.0.0.1.

It answers like the Cloud API, checks the bearer token, records every request, and holds
every body to Meta's published schema (`components.schemas.Message`) and to the limits
WhatsApp enforces beyond it. A body that breaks either is refused with error 100, like
Meta would, and kept in `violations`, which the fixtures require to be empty at the end.
It can be told to fail the next calls with an error code, and builds the status webhooks
Meta would send about what it accepted.
"""

from __future__ import annotations

import contextlib
import email.policy
import itertools
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes import meta_spec
from tests.fakes.loopback import LoopbackServer
from tests.fakes.whatsapp_webhooks import BUSINESS_NUMBER_ID, status_payload

ERRORS = {
    100: (400, "(#100) Invalid parameter"),
    131026: (400, "Message Undeliverable"),
    131047: (400, "Re-engagement message"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    130429: (400, "Rate limit hit"),
    131000: (500, "Something went wrong"),
    190: (401, "Invalid OAuth access token - Cannot parse access token"),
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    authorization: str | None
    body: Any
    answered: int
    wamid: str | None = None


@dataclass
class _Failure:
    code: int
    to: str | None
    skip: int = 0  # good answers to give first


@dataclass
class FakeGraphApi(LoopbackServer):
    """The fake server; `url` is what WHATSAPP_API_URL should be."""

    access_token: str = "fake-access-token"
    phone_number_id: str = BUSINESS_NUMBER_ID
    version: str = "v23.0"
    requests: list[RecordedRequest] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    webhook_sink: Callable[[dict[str, Any]], Any] | None = None
    media_ids: set[str] = field(default_factory=set)
    _failures: deque[_Failure] = field(default_factory=deque)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """Requests are answered as the real service would."""
        return _handler_for(self)

    @property
    def url(self) -> str:
        """The base URL, like https://graph.facebook.com."""
        return self.origin

    def fail_next(
        self, code: int, *, times: int = 1, to: str | None = None, skip: int = 0
    ) -> None:
        """Answer the next `times` sends (to `to` only, if given) with Meta's error `code`.

        `skip`: let that many sends through first.
        """
        with self._lock:
            self._failures.extend(_Failure(code, to, skip) for _ in range(times))

    def accepted(self, to: str | None = None) -> list[dict[str, Any]]:
        """Bodies answered with success, in order (those to `to` only, if given)."""
        with self._lock:
            return [
                r.body
                for r in self.requests
                if r.answered == 200
                and r.path != "/media"
                and (to is None or r.body.get("to") == to)
            ]

    def wamids(self, to: str | None = None) -> list[str]:
        """The ids given to accepted messages, in order."""
        with self._lock:
            return [
                r.wamid
                for r in self.requests
                if r.wamid and (to is None or r.body.get("to") == to)
            ]

    def wait_for(
        self, count: int, *, to: str | None = None, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until `count` bodies were accepted (to `to`); all of them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.accepted(to)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {self.accepted(to)}")
                self._lock.wait(left)
            return self.accepted(to)

    def send_status(self, wamid: str, status: str, *, error_code: int | None = None) -> Any:
        """Post the status webhook Meta would send about an accepted message to the sink."""
        recipient = next(r.body["to"] for r in self.requests if r.wamid == wamid)
        payload = status_payload(
            [{"id": wamid, "status": status, "recipient_id": recipient, "error_code": error_code}]
        )
        assert self.webhook_sink is not None, "no webhook sink to send statuses to"
        return self.webhook_sink(payload)

    def handle(
        self,
        method: str,
        path: str,
        authorization: str | None,
        raw: bytes,
        content_type: str = "application/json",
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request, as the Cloud API would."""
        if path == f"/{self.version}/{self.phone_number_id}/media":
            return self._upload(method, authorization, raw, content_type)
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError:
            body = None
        with self._lock:
            status, answer, wamid = self._answer(method, path, authorization, body)
            self.requests.append(RecordedRequest(method, path, authorization, body, status, wamid))
            self._lock.notify_all()
        return status, answer

    def uploads(self) -> list[dict[str, Any]]:
        """What was uploaded as media, in order: its fields, and the file's type and size."""
        with self._lock:
            return [r.body for r in self.requests if r.path.endswith("/media")]

    def _upload(
        self, method: str, authorization: str | None, raw: bytes, content_type: str
    ) -> tuple[int, dict[str, Any]]:
        fields = _multipart_fields(raw, content_type)
        with self._lock:
            if authorization != f"Bearer {self.access_token}":
                status, answer = _error(190)
            else:
                problems = _upload_problems(method, fields)
                self.violations.extend(problems)
                if problems:
                    status, answer = _error(100, "; ".join(problems))
                else:
                    media_id = f"{next(self._ids) + 900000000}"
                    self.media_ids.add(media_id)
                    status, answer = 200, {"id": media_id}
            recorded = {k: v for k, v in fields.items() if k != "file"}
            if "file" in fields:
                recorded["file"] = {"type": fields["file"][0], "size": len(fields["file"][1])}
            self.requests.append(
                RecordedRequest(method, "/media", authorization, recorded, status)
            )
            self._lock.notify_all()
        return status, answer

    def _answer(
        self, method: str, path: str, authorization: str | None, body: Any
    ) -> tuple[int, dict[str, Any], str | None]:
        if authorization != f"Bearer {self.access_token}":
            return (*_error(190), None)
        if method != "POST" or path != f"/{self.version}/{self.phone_number_id}/messages":
            return (*_error(100, "Unknown path components"), None)
        problems = message_problems(body)
        image_id = body["image"].get("id") if not problems and body["type"] == "image" else None
        if image_id is not None and image_id not in self.media_ids:
            problems = [f"image.id {image_id!r} was never uploaded"]
        if problems:
            self.violations.extend(problems)
            return (*_error(100, "; ".join(problems)), None)
        failure = self._next_failure(body["to"])
        if failure is not None:
            return (*_error(failure), None)
        wamid = f"wamid.FAKE{next(self._ids):08d}"
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": wamid}],
        }
        return 200, answer, wamid

    def _next_failure(self, to: str) -> int | None:
        for failure in self._failures:
            if failure.to is None or failure.to == to:
                if failure.skip > 0:
                    failure.skip -= 1
                    return None
                self._failures.remove(failure)
                return failure.code
        return None


def message_problems(body: Any) -> list[str]:
    """Why `body` is not a message the Cloud API takes: Meta's schema, then its limits."""
    problems = meta_spec.problems("Message", body)
    if problems:
        return problems + meta_spec.branch_problems("Message", body)
    return limit_problems(body)


def limit_problems(body: dict[str, Any]) -> list[str]:
    """The limits WhatsApp enforces that the schema does not say (or says only in part)."""
    problems: list[str] = []
    if not str(body["to"]).isdigit():
        problems.append(f"to: not a WhatsApp id: {body['to']!r}")
    if body["type"] == "text":
        _check_text(problems, "text.body", body["text"].get("body", ""), 4096)
    if body["type"] == "image":
        _check_text(problems, "image.caption", body["image"].get("caption", "x"), 1024)
    if body["type"] == "interactive":
        interactive = body["interactive"]
        _check_text(
            problems, "interactive.body", interactive.get("body", {}).get("text", ""), 1024
        )
        if interactive["type"] == "button":
            _check_buttons(problems, interactive["action"].get("buttons", []))
        elif interactive["type"] == "list":
            _check_list(problems, interactive["action"])
        else:
            problems.append(f"interactive.type {interactive['type']!r} is not used by this bot")
    return problems


# WhatsApp's own limit for images sent by the Cloud API.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def _multipart_fields(raw: bytes, content_type: str) -> dict[str, Any]:
    """A multipart/form-data body's fields: text as str, files as (content type, bytes)."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes), "a form field holds bytes, not a nested message"
        if part.get_filename() is not None:
            fields[str(name)] = (part.get_content_type(), payload)
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields


def _upload_problems(method: str, fields: dict[str, Any]) -> list[str]:
    """Why Meta would refuse a media upload (the spec's `uploadImage`, and its limits)."""
    if method != "POST":
        return [f"media: {method} is not an upload"]
    problems: list[str] = []
    if fields.get("messaging_product") != "whatsapp":
        problems.append("media: messaging_product must be whatsapp")
    upload = fields.get("file")
    if not isinstance(upload, tuple):
        return [*problems, "media: a multipart/form-data body with a file is required"]
    file_type, content = upload
    magic = IMAGE_TYPES.get(file_type)
    if magic is None or not content.startswith(magic):
        problems.append(f"media: the file is not the {file_type} image it says it is")
    if fields.get("type") not in (None, file_type):
        problems.append("media: type does not match the file")
    if not 0 < len(content) <= MAX_IMAGE_BYTES:
        problems.append(f"media: {len(content)} bytes; images are at most 5 MB")
    return problems


def _check_buttons(problems: list[str], buttons: list[dict[str, Any]]) -> None:
    if not 1 <= len(buttons) <= 3:
        problems.append(f"{len(buttons)} reply buttons; 1 to 3 allowed")
    titles = [button["reply"]["title"] for button in buttons]
    ids = [button["reply"]["id"] for button in buttons]
    for title in titles:
        _check_text(problems, "button title", title, 20)
    for button_id in ids:
        _check_text(problems, "button id", button_id, 256)
    _check_unique(problems, "button titles", titles)
    _check_unique(problems, "button ids", ids)


def _check_list(problems: list[str], action: dict[str, Any]) -> None:
    _check_text(problems, "list button", action["button"], 20)
    sections = action["sections"]
    rows = [row for section in sections for row in section.get("rows", [])]
    if not 1 <= len(rows) <= 10:
        problems.append(f"{len(rows)} list rows in all; 1 to 10 allowed")
    if len(sections) > 1 and not all(section.get("title") for section in sections):
        problems.append("sections need titles when there are several")
    for row in rows:
        _check_text(problems, "row id", row["id"], 200)
        _check_text(problems, "row title", row["title"], 24)
        if "description" in row:
            _check_text(problems, "row description", row["description"], 72)
    _check_unique(problems, "row ids", [row["id"] for row in rows])


def _check_text(problems: list[str], name: str, text: str, limit: int) -> None:
    if not text.strip():
        problems.append(f"{name} is empty")
    elif len(text) > limit:
        problems.append(f"{name} has {len(text)} characters; {limit} allowed: {text[:40]!r}…")


def _check_unique(problems: list[str], name: str, values: list[str]) -> None:
    repeated = [value for value, count in Counter(values).items() if count > 1]
    if repeated:
        problems.append(f"{name} repeat: {repeated}")


def _error(code: int, detail: str | None = None) -> tuple[int, dict[str, Any]]:
    status, message = ERRORS.get(code, (400, "Error"))
    error = {
        "message": f"{message}: {detail}" if detail else message,
        "type": "OAuthException",
        "code": code,
        "error_subcode": 2494010,
        "fbtrace_id": f"AFakeTrace{code}",
    }
    return status, {"error": error}


def _handler_for(fake: FakeGraphApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            status, answer = fake.handle(
                method,
                self.path,
                self.headers.get("Authorization"),
                raw,
                self.headers.get("Content-Type", "application/json"),
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `requests` instead."""

    return Handler


@contextlib.contextmanager
def running_graph_api(**options: Any) -> Iterator[FakeGraphApi]:
    """A started fake for one test; fails the test if any body broke Meta's rules."""
    fake = FakeGraphApi(**options).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == [], f"the bot sent messages Meta would refuse: {fake.violations}"
