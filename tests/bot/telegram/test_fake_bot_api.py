"""The fake Bot API refuses what Telegram would, so the other tests' green means something."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_spec import load_spec

KEYBOARD = {"inline_keyboard": [[{"text": "Sim", "callback_data": "yes"}]]}


def call(fake: FakeTelegram, method: str, params: dict[str, Any]) -> httpx.Response:
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return httpx.post(f"{fake.base_url}{fake.token}/{method}", data=form, timeout=5)


@pytest.mark.parametrize(
    ("method", "params", "problem"),
    [
        ("sendMessage", {"text": "oi"}, "missing required parameter 'chat_id'"),
        ("sendMessage", {"chat_id": 1, "text": "oi", "colour": "red"}, "unknown parameter"),
        ("sendMessage", {"chat_id": 1, "text": ""}, "must be 1 to 4096"),
        ("sendMessage", {"chat_id": 1, "text": "x" * 4097}, "must be 1 to 4096"),
        ("sendMessage", {"chat_id": 1, "text": "Sol & Luz", "parse_mode": "HTML"}, "unescaped"),
        ("sendMessage", {"chat_id": 1, "text": "<Ltda>", "parse_mode": "HTML"}, "unsupported tag"),
        ("sendMessage", {"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"}, "unclosed"),
        ("sendMessage", {"chat_id": 1, "text": "oi", "protect_content": "maybe"}, "Boolean"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "oi", "reply_markup": {"inline_keyboard": [[{"text": "A"}]]}},
            "exactly one action",
        ),
        (
            "sendMessage",
            {
                "chat_id": 1,
                "text": "oi",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
            },
            "must be 1 to 64",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "oi", "reply_markup": {"inline_keyboard": [{"text": "A"}]}},
            "expected Array of InlineKeyboardButton",
        ),
        ("answerCallbackQuery", {"callback_query_id": "q", "text": "x" * 201}, "at most 200"),
        ("sendMesage", {"chat_id": 1, "text": "oi"}, "no such method"),
    ],
)
def test_calls_that_break_the_spec_are_refused_and_noted(
    telegram_server: FakeTelegram, method: str, params: dict[str, Any], problem: str
) -> None:
    telegram_server.reset()

    response = call(telegram_server, method, params)

    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert any(problem in violation for violation in telegram_server.violations)
    telegram_server.reset()


def test_a_valid_call_is_answered_like_telegram(fake_telegram: FakeTelegram) -> None:
    params = {
        "chat_id": 7,
        "text": "Sol &amp; Luz",
        "parse_mode": "HTML",
        "reply_markup": KEYBOARD,
    }

    response = call(fake_telegram, "sendMessage", params)

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "Sol & Luz"
    assert load_spec().check_object("Message", body["result"]) == []


def test_a_wrong_token_is_401(fake_telegram: FakeTelegram) -> None:
    response = httpx.post(f"{fake_telegram.base_url}123:nope/getMe", timeout=5)

    assert response.status_code == 401


def test_updates_built_by_the_tests_follow_the_spec() -> None:
    spec = load_spec()

    assert spec.check_object("Update", {"update_id": 1, "message": {"text": "hi"}}) != []
    assert spec.check_object("Update", {"update_id": "1"}) != []
