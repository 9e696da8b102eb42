"""Request bodies are capped at 256 KB, whether their length is declared or streamed."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.models import InboundMessage
from webhooks.body_limit import MAX_BODY_BYTES


def _auth(client: TestClient) -> dict[str, str]:
    token = client.post("/chat/api/session", json={}).json()["token"]
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _chunks(body: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _message(text_size: int) -> bytes:
    return json.dumps({"client_id": "c1", "text": "x" * text_size}).encode()


def test_a_chunked_body_over_the_limit_is_413_and_records_nothing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    body = _message(MAX_BODY_BYTES)

    response = client.post("/chat/api/messages", content=_chunks(body), headers=_auth(client))

    assert response.status_code == 413
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_chunked_body_under_the_limit_is_read_whole(client: TestClient) -> None:
    body = _message(10)

    response = client.post("/chat/api/messages", content=_chunks(body, 7), headers=_auth(client))

    assert response.status_code == 200


def test_a_declared_length_over_the_limit_is_413_before_reading(client: TestClient) -> None:
    headers = {**_auth(client), "Content-Length": str(MAX_BODY_BYTES + 1)}

    response = client.post("/chat/api/messages", content=b"{}", headers=headers)

    assert response.status_code == 413


def test_a_real_server_refuses_an_endless_chunked_upload(live_server: str) -> None:
    address = urlsplit(live_server)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.request(
        "POST", "/chat/api/session", body=b"{}", headers={"Content-Type": "application/json"}
    )
    token = json.loads(connection.getresponse().read())["token"]

    connection.request(
        "POST",
        "/chat/api/messages",
        body=_chunks(_message(4 * MAX_BODY_BYTES)),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()

    assert response.status == 413
    connection.close()
