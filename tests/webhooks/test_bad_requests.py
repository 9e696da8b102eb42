"""Bad input gets a 4xx that repeats none of it; only a real bug gets a 500."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from webhooks.problems import ContainCrashes

CPF = "123.456.789-09"  # stands for personal data that must never be echoed or logged
DEEP = 60_000  # levels of nesting; still under the body limit

MALFORMED_BODIES = [
    b'{"text": "\\ud800"}',
    b'{"client_id": "c", "text": "\\ud800"}',
    b'{"client_id": "c", "text": "\\udfff\\ud800\\u0000"}',
    b'{"client_id": "c", "option_id": "\\ud800"}',
    b'{"client_id": "c", "text": "oi", "locale": "\\ud800"}',
    b'{"client_id": "\\ud800", "text": "oi"}',
    b'{"client_id": "c", "text": "oi", "\\ud800": 1}',
    b'{"client_id": "c", "text": "oi", "' + CPF.encode() + b'": 1}',
    b'{"client_id": "c\\u0000", "text": "oi"}',
    b'{"client_id": "c", "text": "oi", "\\u0000": "' + CPF.encode() + b'"}',
    b'{"client_id": "c", "text": "oi", "locale": ["' + CPF.encode() + b'"]}',
    b'{"client_id": "c", "text": {"cpf": "' + CPF.encode() + b'"}}',
    b'{"client_id": "c", "option_id": 7}',
    b'{"client_id": "c", "text": "oi", "after": 1e400}',
    b'{"client_id": "c", "text": "oi", "after": -1e400}',
    b'{"client_id": "c", "text": "oi", "after": NaN}',
    b'{"client_id": "c", "text": "oi", "after": Infinity}',
    b'{"client_id": "c", "text": "oi", "after": 1.5}',
    b'{"client_id": "c", "text": "oi", "after": 99999999999999999999999999999999}',
    b'{"client_id": "c", "text": "oi", "after": 1' + b"0" * 5000 + b"}",
    b'{"client_id": "c", "text": "oi", "after": true}',
    b'{"client_id": 12, "text": "oi"}',
    b'{"client_id": null, "text": null}',
    b"[" * DEEP + b"]" * DEEP,
    b'{"client_id": "c", "text": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    b'{"client_id": "c", "text": "oi"',
    b'{"client_id": "c", "text": "\xff\xfe"}',
    b"\xef\xbb\xbf{}",
    b"\x00",
    b"",
    b"null",
    b"12",
    b'"' + CPF.encode() + b'"',
]

# Lone surrogates are not text: a field holding one is wrong. NULs and other control
# characters are text, which the engine strips before reading it.
ODD_BUT_VALID_BODIES = [
    b'{"client_id": "c", "text": "\\u0000"}',
    b'{"client_id": "c", "text": "a\\u0000\\u202e\\u0007b"}',
    b'{"client_id": "c", "option_id": "\\u0000"}',
    b'{"client_id": "c", "text": "oi", "locale": "\\u0000"}',
]


def _post(client: TestClient, path: str, body: bytes, auth: dict[str, str]) -> tuple[int, str]:
    headers = {**auth, "Content-Type": "application/json"}
    response = client.post(path, content=body, headers=headers)
    return response.status_code, response.text


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    token = client.post("/chat/api/session", json={}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("body", MALFORMED_BODIES, ids=range(len(MALFORMED_BODIES)))
def test_malformed_messages_get_a_4xx_without_the_input(
    client: TestClient, auth: dict[str, str], body: bytes
) -> None:
    status, text = _post(client, "/chat/api/messages", body, auth)

    assert 400 <= status < 500, text
    assert CPF not in text
    assert "ud800" not in text


@pytest.mark.parametrize("body", MALFORMED_BODIES, ids=range(len(MALFORMED_BODIES)))
def test_malformed_session_requests_get_a_4xx_without_the_input(
    client: TestClient, body: bytes
) -> None:
    status, text = _post(client, "/chat/api/session", body, {})

    assert 400 <= status < 500 or (status == 200 and "token" in text), text
    assert CPF not in text


@pytest.mark.parametrize("body", ODD_BUT_VALID_BODIES, ids=range(len(ODD_BUT_VALID_BODIES)))
def test_odd_characters_in_valid_messages_are_answered(
    client: TestClient, auth: dict[str, str], body: bytes
) -> None:
    status, text = _post(client, "/chat/api/messages", body, auth)

    assert status == 200, text


@pytest.mark.parametrize(
    "path",
    [
        "/chat/api/messages?after=-1",
        "/chat/api/messages?after=1e400",
        "/chat/api/messages?after=" + "9" * 5000,
        "/chat/api/messages?after=%ED%A0%80",
        "/chat/api/messages?after=%00",
        "/chat/api/messages?after=1&after=x",
        "/static/%00",
        "/static/%ED%A0%80",
        "/static/..%2f..%2fetc%2fpasswd",
        "/static/" + "a" * 5000,
        "/chat/%ff",
    ],
)
def test_malformed_urls_get_a_4xx(client: TestClient, auth: dict[str, str], path: str) -> None:
    response = client.get(path, headers=auth)

    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept-Language": b"\x7f\xff" * 1000},
        {"Accept-Language": b";;;,,,q=NaN"},
        {"Authorization": b"Bearer " + b"\xff" * 40},
        {"Authorization": b"Bearer"},
        {"Content-Length": b"-1"},
        {"Content-Length": b"abc"},
    ],
)
def test_malformed_headers_never_get_a_500(
    client: TestClient, auth: dict[str, str], headers: dict[str, bytes]
) -> None:
    page = client.get("/chat", headers=headers)
    api = client.get("/chat/api/messages", headers={**auth, **headers})

    assert page.status_code < 500
    assert api.status_code < 500


def test_a_wrong_field_is_named_with_the_rule_it_breaks(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = b'{"client_id": "c", "text": "oi", "after": -5, "' + CPF.encode() + b'": 1}'

    response = client.post(
        "/chat/api/messages", content=body, headers={**auth, "Content-Type": "application/json"}
    )

    detail = response.json()["detail"]
    assert response.status_code == 422
    assert {"field": "body.after", "problem": "Input should be greater than or equal to 0"} in (
        detail
    )
    assert {"field": "body", "problem": "unexpected field"} in detail


def test_a_bug_is_a_plain_500_logged_without_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = FastAPI()
    app.add_middleware(ContainCrashes)

    @app.get("/boom")
    def boom() -> None:
        raise ValueError(f"could not use {CPF}")

    with TestClient(app) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert "ValueError" in caplog.text
    assert "boom" in caplog.text
    assert CPF not in caplog.text
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
