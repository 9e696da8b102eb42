"""The chat page in headless Chromium; skipped where Chromium is not installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.events import Image, Reply
from marketplace import outbox
from marketplace.models import Conversation, InboundMessage, TranscriptEntry
from marketplace.picpay_sandbox import qr_png
from tests.conftest import TEST_NOW
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


# Wraps fetch: the POSTs of messages in `fate` (by order, after the opening) reach the server
# and lose their answer ("lost"), or never leave ("offline"). Every client id sent is logged.
LOSSY_FETCH = """
  const realFetch = window.fetch;
  const fate = %s;
  let posts = 0;
  window.fetch = async function (path, options) {
    if (path !== "/chat/api/messages" || !options.body) return realFetch(path, options);
    const sent = JSON.parse(options.body);
    const ids = JSON.parse(localStorage.getItem("harness-ids") || "[]");
    localStorage.setItem("harness-ids", JSON.stringify(ids.concat([sent.client_id])));
    if (sent.client_id === "open") return realFetch(path, options);
    const what = fate[posts++] || "ok";
    if (what === "offline") throw new TypeError("Failed to fetch");
    const response = await realFetch(path, options);
    if (what === "lost") throw new TypeError("network changed");
    return response;
  };
"""


def _inbound_ids(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        ids = session.scalars(select(InboundMessage.message_id).order_by(InboundMessage.id))
        return [message_id.partition(":")[2] for message_id in ids]


def test_messages_typed_at_once_all_arrive_once_in_order(
    page: ChatPage, sessions: sessionmaker[Session]
) -> None:
    setup = (
        LOSSY_FETCH % '["lost", "offline", "ok", "lost", "offline", "offline"]'
        + """
      harness.at(300, function () { harness.type("sim"); harness.type("Ana"); });
      harness.at(400, function () { harness.type("2"); });
    """
    )

    shown = page.open(setup, budget_ms=60_000)

    assert [(item["kind"], item["text"]) for item in shown.items] == [
        ("bot", "Hello! May I keep your answers to help you?"),
        ("me", "sim"),
        ("bot", "What is your name?"),
        ("me", "Ana"),
        ("bot", "Nice to meet you, Ana! Pick a colour."),
        ("me", "2"),
        ("bot", "All set, Ana: c-green."),
    ]
    assert not any(item["pending"] for item in shown.items)
    assert shown.status == ""
    assert json.loads(shown.storage["ce-chat-queue"]) == []
    sent = json.loads(shown.storage["harness-ids"])
    assert len(sent) == 9  # the opening, then 3 messages in 3 + 4 + 1 tries
    assert _inbound_ids(sessions) == list(dict.fromkeys(sent))


def test_a_message_waits_in_the_queue_while_the_server_is_unreachable(page: ChatPage) -> None:
    setup = LOSSY_FETCH % '["offline", "offline", "offline", "offline", "offline", "offline"]'
    setup += 'harness.at(300, function () { harness.type("sim"); harness.tap("No"); });'

    shown = page.open(setup, budget_ms=25_000)

    mine = [item for item in shown.items if item["kind"] == "me"]
    assert [(item["text"], item["pending"]) for item in mine] == [("sim", True)]
    assert shown.status == "Reenviando…"
    queued = json.loads(shown.storage["ce-chat-queue"])
    assert [message["text"] for message in queued] == ["sim"]
    tries = json.loads(shown.storage["harness-ids"])[1:]
    assert len(tries) >= 4
    assert set(tries) == {queued[0]["client_id"]}


def test_a_reload_sends_the_saved_queue_with_the_same_client_ids(
    page: ChatPage, sessions: sessionmaker[Session]
) -> None:
    with page.api() as api:
        token = api.post("/chat/api/session", json={}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for body in ({"client_id": "open", "text": "/start"}, {"client_id": "q1", "text": "sim"}):
            api.post("/chat/api/messages", json=body, headers=auth)  # q1's answer was lost
    queue = [{"client_id": "q1", "text": "sim"}, {"client_id": "q2", "text": "Ana"}]
    setup = f"""
      localStorage.setItem("ce-chat-token", {json.dumps(token)});
      localStorage.setItem("ce-chat-queue", {json.dumps(json.dumps(queue))});
    """

    shown = page.open(setup)

    assert shown.texts() == [
        "Hello! May I keep your answers to help you?",
        "sim",
        "What is your name?",
        "Ana",
        "Nice to meet you, Ana! Pick a colour.",
    ]
    assert json.loads(shown.storage["ce-chat-queue"]) == []
    assert _inbound_ids(sessions) == ["open", "q1", "q2"]


def _bot_says(sessions: sessionmaker[Session], token: str, reply: Reply) -> None:
    with sessions.begin() as session:  # as the engine writes a reply: outbox and transcript
        conversation = session.scalars(
            select(Conversation).where(Conversation.chat_id == token)
        ).one()
        outbox.add_messages(
            session, [outbox.OutboxDraft("web", token, reply.to_payload())], TEST_NOW
        )
        session.add(
            TranscriptEntry(
                conversation_id=conversation.id,
                direction="out",
                body=reply.to_payload(),
                created_at=TEST_NOW,
            )
        )


def test_a_qr_code_shows_as_an_image_with_its_alt_and_the_link_can_be_tapped(
    page: ChatPage, sessions: sessionmaker[Session]
) -> None:
    token, _ = _start_chat(page)
    url = "http://127.0.0.1:8000/sandbox/picpay/ce-123"
    reply = Reply(f"Pague aqui:\n{url}", image=Image(png=qr_png(url), alt="QR code para pagar"))
    _bot_says(sessions, token, reply)

    shown = page.open(f"localStorage.setItem('ce-chat-token', {json.dumps(token)});")

    last = shown.items[-1]
    assert last["text"] == "Pague aqui:\n"
    assert last["links"] == [url]
    [image] = last["images"]
    assert image["alt"] == "QR code para pagar"
    assert image["width"] > 100  # the PNG decoded in the browser


def test_a_link_ends_before_the_punctuation_that_ends_its_sentence(
    page: ChatPage, sessions: sessionmaker[Session]
) -> None:
    token, _ = _start_chat(page)
    text = (
        "Veja https://example.com/a. Ou (https://example.com/b), ou https://example.com/c_(d)! "
        "Pague: https://example.com/e?x=1; https://example.com/f.pdf, "
        "https://example.com/g?! Fim: https://..."
    )
    _bot_says(sessions, token, Reply(text))

    shown = page.open(f"localStorage.setItem('ce-chat-token', {json.dumps(token)});")

    last = shown.items[-1]
    assert last["links"] == [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/c_(d)",
        "https://example.com/e?x=1",
        "https://example.com/f.pdf",
        "https://example.com/g",
    ]
    assert last["whole"] == text  # the punctuation is still there, after each link


def test_a_message_pulled_late_with_a_lower_id_is_shown_once(page: ChatPage) -> None:
    token, _ = _start_chat(page)
    # The server sends a message written before the last one shown but committed after it
    # (PostgreSQL takes ids at insert), on two polls in a row: the page shows it, once.
    setup = f"""
      localStorage.setItem("ce-chat-token", {json.dumps(token)});
      const realFetch = window.fetch;
      let polls = 0;
      window.fetch = async function (path, options) {{
        const response = await realFetch(path, options);
        if (!path.startsWith("/chat/api/messages?after=") || path.endsWith("=0")) return response;
        if (++polls > 2) return response;
        const late = {{ id: 2, text: "Late news", options: [] }};
        return new Response(JSON.stringify({{ messages: [late] }}), {{
          status: 200, headers: {{ "content-type": "application/json" }},
        }});
      }};
    """

    shown = page.open(setup, budget_ms=30_000)

    assert shown.texts("bot")[-2:] == ["Nice to meet you, Ana! Pick a colour.", "Late news"]
    assert shown.texts().count("Late news") == 1


def test_every_message_of_the_bots_last_turn_keeps_its_buttons(page: ChatPage) -> None:
    token, _ = _start_chat(page)
    # One turn, two messages with buttons (an agent's "Message the consumer" after accepting,
    # then the menu): the first must not go dead because the second came.
    setup = f"""
      localStorage.setItem("ce-chat-token", {json.dumps(token)});
      const realFetch = window.fetch;
      let polls = 0;
      window.fetch = async function (path, options) {{
        const response = await realFetch(path, options);
        if (!path.startsWith("/chat/api/messages?after=") || path.endsWith("=0")) return response;
        if (++polls > 1) return response;
        const accepted = {{ id: 90, text: "You accepted lead #1.",
                           options: [{{ id: "ask:1", label: "Message the consumer" }}] }};
        const menu = {{ id: 91, text: "What now?", options: [{{ id: "leads", label: "Leads" }}] }};
        return new Response(JSON.stringify({{ messages: [accepted, menu] }}), {{
          status: 200, headers: {{ "content-type": "application/json" }},
        }});
      }};
    """

    shown = page.open(setup, budget_ms=30_000)

    last_two = shown.items[-2:]
    assert [item["text"] for item in last_two] == ["You accepted lead #1.", "What now?"]
    assert [b["disabled"] for item in last_two for b in item["buttons"]] == [False, False]
    assert all(b["disabled"] for b in shown.items[0]["buttons"])  # answered long ago
