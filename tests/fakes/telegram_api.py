"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 that answers like Telegram.

It records every call, checks each against the published spec (tests/fakes/telegram_spec.py)
and answers a call that breaks it with Telegram's 400, noting a violation the test fixture
turns into a failure. A test can plan the answer to the next call of a method (429 with
`retry_after`, 403 blocked, 400 not modified, 5xx) and queue updates for `getUpdates`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.telegram_spec import load_spec, parse_html

BOT_ID = 7000000001
BOT_USERNAME = "ConnectEnergyTestBot"
DEFAULT_TOKEN = f"{BOT_ID}:AAtest-token-for-the-fake-bot-api"
MAX_HOLD_SECONDS = 0.5  # getUpdates holds at most this long, so shutdown stays quick


@dataclass(frozen=True)
class ApiFailure:
    """An error answer Telegram gives, as the fake sends it."""

    status: int
    description: str
    retry_after: int | None = None

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def too_many_requests(retry_after: int) -> ApiFailure:
    """Telegram's flood-control answer."""
    return ApiFailure(429, f"Too Many Requests: retry after {retry_after}", retry_after)


BLOCKED = ApiFailure(403, "Forbidden: bot was blocked by the user")
NOT_MODIFIED = ApiFailure(
    400,
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message",
)
SERVER_ERROR = ApiFailure(502, "Bad Gateway")


@dataclass(frozen=True)
class ApiCall:
    """One call the bot made: the method as the spec spells it, and its decoded parameters."""

    method: str
    params: dict[str, Any]
    status: int


@dataclass
class _PlannedFailure:
    method: str
    skip: int
    failure: ApiFailure


@dataclass
class _State:
    calls: list[ApiCall] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    failures: list[_PlannedFailure] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] | None = None


class FakeTelegram:
    """The fake server; `base_url` goes where TELEGRAM_API_URL would."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.spec = load_spec()
        self._lock = threading.Lock()
        self._state = _State()
        self._generation = 0
        self._message_ids = itertools.count(1000)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The Bot API base URL, to which PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    # Lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1, serving from a thread."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Bot API did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def reset(self) -> None:
        """Forget calls, violations, planned failures, queued updates and the webhook."""
        with self._lock:
            self._state = _State()
            self._generation += 1

    # What tests arrange ----------------------------------------------------------------

    def fail_next(
        self, failure: ApiFailure, *, method: str = "sendMessage", skip: int = 0
    ) -> None:
        """Answer the next call of `method` (after `skip` good ones) with `failure`.

        Planned failures queue up in order.
        """
        with self._lock:
            self._state.failures.append(_PlannedFailure(method.lower(), skip, failure))

    def queue_update(self, update: dict[str, Any]) -> None:
        """Hold an update for `getUpdates`, after checking it is a real-format update."""
        problems = self.spec.check_object("Update", update)
        assert problems == [], problems
        with self._lock:
            self._state.updates.append(update)

    # What tests look at ----------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every call so far, in order."""
        with self._lock:
            return list(self._state.calls)

    @property
    def violations(self) -> list[str]:
        """Every way a call broke the spec."""
        with self._lock:
            return list(self._state.violations)

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The webhook last set, as its parameters."""
        with self._lock:
            return self._state.webhook

    def calls_to(self, method: str) -> list[ApiCall]:
        """The successful calls of one method."""
        return [call for call in self.calls if call.method == method and call.status == 200]

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The parameters of each message delivered to `chat_id`, in order."""
        return [
            call.params
            for call in self.calls_to("sendMessage")
            if int(call.params["chat_id"]) == chat_id
        ]

    def wait_until(
        self, condition: Callable[[], bool], *, timeout: float = 10, what: str = "a condition"
    ) -> None:
        """Wait until `condition()` holds; fail the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; calls: {self.calls}")
            time.sleep(0.02)

    # The server ------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        generation = self._generation
        asked = request.path_params["method"]
        method = self.spec.method_name(asked) or asked
        params, form, problems = await _parameters(request)
        if not problems:
            params, problems = self.spec.check_call(asked, params, form=form)

        answer = self._planned_failure(method) if not problems else None
        if problems:
            answer = ApiFailure(400, "Bad Request: " + "; ".join(problems))
        if answer is None:
            status, body = await self._answer(method, params)
        else:
            status, body = answer.status, answer.body()
        with self._lock:
            # A call still in flight from an earlier test (a long poll) belongs to no one now.
            if generation == self._generation:
                self._state.calls.append(ApiCall(method, params, status))
                self._state.violations.extend(problems)
        return JSONResponse(body, status_code=status)

    def _planned_failure(self, method: str) -> ApiFailure | None:
        with self._lock:
            for index, planned in enumerate(self._state.failures):
                if planned.method != method.lower():
                    continue
                if planned.skip > 0:
                    planned.skip -= 1
                    return None
                del self._state.failures[index]
                return planned.failure
        return None

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            return await self._get_updates(params)
        handler = self._handlers().get(method)
        if handler is None:
            with self._lock:
                self._state.violations.append(f"{method}: the fake does not implement it")
            return 501, ApiFailure(501, f"Not Implemented: {method}").body()
        if method == "sendMessage" and not isinstance(params["chat_id"], int):
            return 400, ApiFailure(400, "Bad Request: chat not found").body()
        return 200, {"ok": True, "result": handler(params)}

    def _handlers(self) -> Mapping[str, Callable[[dict[str, Any]], Any]]:
        return {
            "getMe": lambda _: self._bot_user(),
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "answerCallbackQuery": lambda _: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": lambda _: True,
        }

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Connect Energy",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params["text"]
        if str(params.get("parse_mode", "")).upper() == "HTML":
            text, _ = parse_html(text)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self._bot_user(),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": text,
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = str(params.get("caption", ""))
        if str(params.get("parse_mode", "")).upper() == "HTML":
            caption, _ = parse_html(caption)
        number = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": number,
            "from": self._bot_user(),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "photo": [
                {
                    "file_id": f"photo{number}",
                    "file_unique_id": f"unique{number}",
                    "width": 320,
                    "height": 320,
                    "file_size": params["photo"]["size"],
                }
            ],
        }
        if caption:
            message["caption"] = caption
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def photos_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The parameters of each photo delivered to `chat_id`, in order."""
        return [
            call.params
            for call in self.calls_to("sendPhoto")
            if int(call.params["chat_id"]) == chat_id
        ]

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._state.webhook = params
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self._state.webhook = None
        return True

    async def _get_updates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self._state.webhook is not None:
                conflict = ApiFailure(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
                return 409, conflict.body()
        offset = params.get("offset")
        limit = int(params.get("limit", 100))
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), MAX_HOLD_SECONDS)
        while True:
            with self._lock:
                if offset is not None:
                    # Asking from `offset` confirms, and so forgets, every earlier update.
                    self._state.updates = [
                        u for u in self._state.updates if u["update_id"] >= offset
                    ]
                ready = self._state.updates[:limit]
            if ready or time.monotonic() >= deadline:
                return 200, {"ok": True, "result": ready}
            await asyncio.sleep(0.01)


async def _parameters(request: Request) -> tuple[dict[str, Any], bool, list[str]]:
    """The call's parameters (query string and body), and whether they came as strings."""
    params: dict[str, Any] = dict(request.query_params)
    form = True
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body:
        return params, form, []
    if content_type == "application/json":
        try:
            parsed = json.loads(body)
        except ValueError:
            return params, form, ["the body is not JSON"]
        if not isinstance(parsed, dict):
            return params, form, ["a JSON body must be an object"]
        return {**params, **parsed}, False, []
    if content_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return params, form, []
    if content_type == "multipart/form-data":
        async with request.form() as fields:
            for key, value in fields.items():
                if isinstance(value, UploadFile):
                    params[key] = await _upload(value)
                else:
                    params[key] = str(value)
        return params, form, []
    return params, form, [f"unexpected content type {content_type!r}"]


async def _upload(file: UploadFile) -> dict[str, Any]:
    """An uploaded file as the fake records it: what a test may check, not the bytes."""
    content = await file.read()
    image = content.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))
    return {"filename": file.filename, "size": len(content), "image": image}
