"""The chat page in headless Chromium; skipped where Chromium is not installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.webhooks.browser import CHROMIUM, ChatPage

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs chromium (apt-get install chromium)"
)


@pytest.fixture
def page(live_app: FastAPI, live_server: str, tmp_path: Path) -> ChatPage:
    return ChatPage(live_app, live_server, tmp_path)


def _start_chat(page: ChatPage) -> tuple[str, dict[str, str]]:
    with page.api() as api:
        token = api.post("/chat/api/session", json={}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for body in (
            {"client_id": "open", "text": "/start"},
            {"client_id": "c2", "option_id": "yes"},
            {"client_id": "c3", "text": "Ana"},
        ):
            assert api.post("/chat/api/messages", json=body, headers=auth).status_code == 200
    return token, auth


def test_a_reloaded_page_shows_both_sides_and_only_the_last_buttons_work(page: ChatPage) -> None:
    token, _ = _start_chat(page)

    shown = page.open(f"localStorage.setItem('ce-chat-token', {json.dumps(token)});")

    assert [(item["kind"], item["text"]) for item in shown.items] == [
        ("bot", "Hello! May I keep your answers to help you?"),
        ("me", "Yes"),
        ("bot", "What is your name?"),
        ("me", "Ana"),
        ("bot", "Nice to meet you, Ana! Pick a colour."),
    ]
    assert all(button["disabled"] for button in shown.items[0]["buttons"])
    assert [b["disabled"] for b in shown.items[-1]["buttons"]] == [False, False, False]


def test_a_tap_after_a_reload_answers_the_last_question(page: ChatPage) -> None:
    token, _ = _start_chat(page)
    setup = f"""
      localStorage.setItem('ce-chat-token', {json.dumps(token)});
      harness.at(1000, function () {{ harness.tap('Yes'); harness.tap('Verde'); }});
    """

    shown = page.open(setup)

    assert shown.texts()[-2:] == ["Verde", "All set, Ana: c-green."]
    assert all(button["disabled"] for item in shown.items for button in item["buttons"])
