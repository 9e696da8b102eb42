"""The web chat page and its JSON API."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.chat_tokens import ChatTokens
from bot.webchat import WebChat, _page_lines
from conversations.events import Image, InboundEvent, Reply
from marketplace import outbox
from marketplace.models import InboundMessage, OutboxMessage, TranscriptEntry
from marketplace.picpay_sandbox import qr_png
from marketplace.transcripts import TranscriptLine
from tests.conftest import TEST_NOW


def open_chat(client: TestClient) -> dict[str, str]:
    token = client.post("/chat/api/session", json={"locale": "pt-BR"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def send(client: TestClient, auth: dict[str, str], **body: Any) -> Any:
    body.setdefault("client_id", "c1")
    response = client.post("/chat/api/messages", json=body, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_page_is_served_in_the_browsers_language(client: TestClient) -> None:
    response = client.get("/chat", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.8"})

    assert response.status_code == 200
    assert '<html lang="pt-BR">' in response.text
    assert 'name="viewport"' in response.text
    assert "/static/chat.js" in response.text


def test_a_conversation_goes_through_typed_and_tapped_messages(client: TestClient) -> None:
    auth = open_chat(client)

    greeting = send(client, auth, client_id="c1", text="oi")
    asked_name = send(
        client, auth, client_id="c2", option_id="yes", after=greeting["messages"][-1]["id"]
    )
    asked_colour = send(
        client, auth, client_id="c3", text="Ana", after=asked_name["messages"][-1]["id"]
    )

    assert greeting["messages"][0]["options"][0] == {"id": "yes", "label": "Yes"}
    assert asked_name["messages"][-1]["text"] == "What is your name?"
    assert "Ana" in asked_colour["messages"][-1]["text"]
    assert [o["label"] for o in asked_colour["messages"][-1]["options"]] == [
        "Azul",
        "Verde",
        "Vermelho",
    ]


def test_a_resent_message_is_answered_once(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    auth = open_chat(client)
    send(client, auth, client_id="c1", text="oi")

    first = send(client, auth, client_id="c2", text="sim", after=1)
    again = send(client, auth, client_id="c2", text="sim", after=1)

    assert again["duplicate"] is True
    assert first["messages"] == again["messages"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_the_same_client_id_in_two_chats_is_two_messages(client: TestClient) -> None:
    first, second = open_chat(client), open_chat(client)

    one = send(client, first, client_id="same", text="oi")
    other = send(client, second, client_id="same", text="oi")

    assert one["duplicate"] is False
    assert other["duplicate"] is False


def test_polling_returns_only_newer_messages(client: TestClient) -> None:
    auth = open_chat(client)
    greeting = send(client, auth, client_id="c1", text="oi")
    last = greeting["messages"][-1]["id"]

    everything = client.get("/chat/api/messages?after=0", headers=auth).json()["messages"]
    nothing_new = client.get(f"/chat/api/messages?after={last}", headers=auth).json()["messages"]

    assert everything == greeting["messages"]
    assert nothing_new == []


def test_polling_a_chat_that_never_started_is_404(client: TestClient) -> None:
    auth = open_chat(client)

    response = client.get("/chat/api/messages", headers=auth)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer short"}, {"Authorization": "Basic " + "A" * 32}],
)
def test_a_missing_or_malformed_token_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(
        "/chat/api/messages", json={"client_id": "c", "text": "oi"}, headers=headers
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    "token",
    [
        "A" * 32,
        "A" * 32 + "." + "B" * 22,
        ChatTokens("another server's secret key").issue(),
    ],
)
def test_a_token_this_server_did_not_issue_is_401(client: TestClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}

    posted = client.post("/chat/api/messages", json={"client_id": "c", "text": "oi"}, headers=auth)
    polled = client.get("/chat/api/messages", headers=auth)

    assert posted.status_code == 401
    assert polled.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"client_id": "c", "text": "oi", "option_id": "yes"},
        {"client_id": "c"},
        {"client_id": "", "text": "oi"},
        {"client_id": "a b", "text": "oi"},
        {"client_id": "c", "text": "x" * 5000},
        {"client_id": "c", "text": "oi", "after": -1},
        {"client_id": "c", "text": "oi", "after": "lots"},
        {"client_id": "c", "text": ["oi"]},
        {"client_id": "c", "text": "oi", "surprise": True},
        [],
        "oi",
    ],
)
def test_malformed_bodies_are_4xx_and_record_nothing(
    client: TestClient, sessions: sessionmaker[Session], body: Any
) -> None:
    auth = open_chat(client)

    response = client.post("/chat/api/messages", json=body, headers=auth)

    assert 400 <= response.status_code < 500
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_broken_json_and_huge_bodies_are_4xx(client: TestClient) -> None:
    auth = open_chat(client)

    broken = client.post(
        "/chat/api/messages",
        content=b'{"client_id": "c", "text": ',
        headers={**auth, "Content-Type": "application/json"},
    )
    huge = client.post(
        "/chat/api/messages",
        content=b"x" * (300 * 1024),
        headers={**auth, "Content-Type": "application/json"},
    )

    assert broken.status_code == 422
    assert huge.status_code == 413


def test_hostile_text_gets_a_polite_reask(client: TestClient) -> None:
    auth = open_chat(client)
    send(client, auth, client_id="c1", text="oi")

    answer = send(client, auth, client_id="c2", text="'; DROP TABLE leads; --\u202e\x00", after=1)

    assert answer["messages"]
    assert all(message["text"] for message in answer["messages"])


def test_the_history_has_both_sides_in_order_without_the_opening(client: TestClient) -> None:
    auth = open_chat(client)
    send(client, auth, client_id="open", text="/start")
    send(client, auth, client_id="c2", option_id="yes")
    last = send(client, auth, client_id="c3", text="Ana")["messages"][-1]["id"]

    history = client.get("/chat/api/history", headers=auth).json()

    assert history["last"] == last
    assert [(line["from"], line["text"]) for line in history["lines"]] == [
        ("bot", "Hello! May I keep your answers to help you?"),
        ("me", "Yes"),
        ("bot", "What is your name?"),
        ("me", "Ana"),
        ("bot", "Nice to meet you, Ana! Pick a colour."),
    ]
    assert [line.get("client_id") for line in history["lines"] if line["from"] == "me"] == [
        "c2",
        "c3",
    ]
    assert history["lines"][0]["options"] == [
        {"id": "yes", "label": "Yes"},
        {"id": "no", "label": "No"},
    ]


def test_the_history_keeps_the_order_turns_were_written_in_whatever_their_times(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    auth = open_chat(client)
    send(client, auth, client_id="open", text="/start")
    send(client, auth, client_id="c2", option_id="yes")
    send(client, auth, client_id="c3", text="Ana")
    # A turn that waited for the chat's lock keeps the time it started at: its lines can be
    # written after lines with a later time.
    with sessions.begin() as session:
        newest = session.scalars(
            select(TranscriptEntry.id).order_by(TranscriptEntry.id.desc()).limit(2)
        ).all()
        session.execute(
            update(TranscriptEntry)
            .where(TranscriptEntry.id.in_(newest))
            .values(created_at=TEST_NOW - timedelta(minutes=1))
        )

    history = client.get("/chat/api/history", headers=auth).json()

    assert [line["text"] for line in history["lines"]][-2:] == [
        "Ana",
        "Nice to meet you, Ana! Pick a colour.",
    ]


def test_the_history_delivers_what_it_shows(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    auth = open_chat(client)
    token = auth["Authorization"].removeprefix("Bearer ")
    chat: WebChat = client.app.state.webchat  # type: ignore[attr-defined]
    chat.engine.handle(InboundEvent(channel="web", chat_id=token, message_id="m1", text="oi"))

    history = client.get("/chat/api/history", headers=auth).json()
    newer = client.get(f"/chat/api/messages?after={history['last']}", headers=auth).json()

    assert newer["messages"] == []
    with sessions() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"]


def test_the_history_of_a_chat_that_never_started_is_404(client: TestClient) -> None:
    response = client.get("/chat/api/history", headers=open_chat(client))

    assert response.status_code == 404


def test_an_image_reaches_the_page_as_a_png_with_its_alt(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    auth = open_chat(client)
    greeting = send(client, auth, client_id="c1", text="oi")
    token = auth["Authorization"].removeprefix("Bearer ")
    png = qr_png("http://127.0.0.1:8000/sandbox/picpay/ce-1")
    reply = Reply("Pague aqui", image=Image(png=png, alt="QR code para pagar R$ 10,00"))
    with sessions.begin() as session:
        outbox.add_messages(
            session, [outbox.OutboxDraft("web", token, reply.to_payload())], TEST_NOW
        )

    after = greeting["messages"][-1]["id"]
    pulled = client.get(f"/chat/api/messages?after={after}", headers=auth).json()

    [message] = pulled["messages"]
    assert message["image"]["alt"] == "QR code para pagar R$ 10,00"
    assert message["image"]["src"].startswith("data:image/png;base64,")
    assert base64.b64decode(message["image"]["src"].split(",", 1)[1]) == png


def test_a_reloaded_page_shows_the_image_again() -> None:
    reply = Reply("Pague aqui", image=Image(png=qr_png("x"), alt="QR code"))
    line = TranscriptLine(1, "out", reply.to_payload(), TEST_NOW)

    [shown] = _page_lines("token", [line])

    assert shown["image"]["alt"] == "QR code"
    assert shown["image"]["src"].startswith("data:image/png;base64,")
