"""Meta's OpenAPI file, repaired as loaded: the repairs fix what is broken and loosen nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes import meta_spec
from tests.fakes.graph_api import FakeGraphApi, running_graph_api
from tests.fakes.whatsapp_webhooks import envelope

ENVELOPE = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511987654321"}
TEXT = {**ENVELOPE, "type": "text", "text": {"body": "Olá!"}}
WEBHOOK_EXAMPLES = (
    "TextMessage_2",
    "ReactionMessage_1",
    "ImageMessage_1",
    "LocationMessage_1",
    "ContactSharingMessage",
    "UnsupportedMessage",
    "ButtonMessage",
    "InteractiveMessageReply",
)


def metas_example(schema: str) -> dict[str, Any]:
    """The example message Meta gives with one of its webhook message schemas."""
    branches = meta_spec.raw_spec()["components"]["schemas"][schema]["allOf"]
    example: dict[str, Any] = next(branch["example"] for branch in branches if "example" in branch)
    return example


def in_a_webhook(message: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": message["from"]}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def test_a_real_text_message_fails_the_raw_schema_and_passes_the_repaired_one() -> None:
    raw = list(meta_spec.validator_for("Message", repaired=False).iter_errors(TEXT))

    assert raw != []
    assert meta_spec.problems("Message", TEXT) == []


@pytest.mark.parametrize(
    "broken",
    [
        {**TEXT, "surprise": True},
        {key: value for key, value in TEXT.items() if key != "recipient_type"},
        {**TEXT, "text": {"body": "Olá!", "bold": True}},
        {**TEXT, "type": "interactive"},
    ],
)
def test_the_repaired_schema_still_refuses_what_meta_refuses(broken: dict[str, Any]) -> None:
    assert meta_spec.problems("Message", broken) != []


@pytest.mark.parametrize("schema", WEBHOOK_EXAMPLES)
def test_metas_own_webhook_examples_validate_once_refs_name_the_webhook_copies(
    schema: str,
) -> None:
    payload = in_a_webhook(metas_example(schema))

    raw = list(meta_spec.validator_for("WebhookPayload", repaired=False).iter_errors(payload))

    assert raw != []
    assert meta_spec.problems("WebhookPayload", payload) == []


def test_webhook_fixtures_that_meta_would_not_send_are_refused() -> None:
    message = {"from": "5511987654321", "id": "wamid.X", "timestamp": "1", "type": "text"}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": "2"},
        "contacts": [{"profile": {"name": "A"}, "wa_id": "1"}],
        "messages": [message],
    }

    with pytest.raises(AssertionError, match="not a webhook body Meta would send"):
        envelope(value)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({**TEXT, "text": {"body": "x" * 4097}}, "4097 characters"),
        (
            {
                **ENVELOPE,
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "body": {"text": "Escolha"},
                    "action": {
                        "button": "Ver",
                        "sections": [
                            {
                                "title": "A",
                                "rows": [{"id": f"a{n}", "title": "A"} for n in range(6)],
                            },
                            {
                                "title": "B",
                                "rows": [{"id": f"b{n}", "title": "B"} for n in range(6)],
                            },
                        ],
                    },
                },
            },
            "12 list rows",
        ),
        (
            {
                **ENVELOPE,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "Escolha"},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": "a", "title": "Igual"}},
                            {"type": "reply", "reply": {"id": "b", "title": "Igual"}},
                        ]
                    },
                },
            },
            "button titles repeat",
        ),
        ({**TEXT, "type": "interactive"}, "is not valid"),
    ],
)
def test_the_fake_refuses_what_meta_would_refuse_and_remembers_it(
    body: dict[str, Any], problem: str
) -> None:
    fake = FakeGraphApi().start()
    try:
        response = httpx.post(
            f"{fake.url}/{fake.version}/{fake.phone_number_id}/messages",
            content=json.dumps(body),
            headers={"Authorization": f"Bearer {fake.access_token}"},
        )
    finally:
        fake.stop()

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100
    assert any(problem in violation for violation in fake.violations), fake.violations


def test_the_fake_answers_like_the_cloud_api() -> None:
    with running_graph_api() as fake:
        url = f"{fake.url}/{fake.version}/{fake.phone_number_id}/messages"
        accepted = httpx.post(
            url, json=TEXT, headers={"Authorization": f"Bearer {fake.access_token}"}
        )
        refused = httpx.post(url, json=TEXT, headers={"Authorization": "Bearer wrong"})

    assert accepted.status_code == 200
    assert meta_spec.problems("MessageResponse", accepted.json()) == []
    assert refused.status_code == 401
    assert meta_spec.problems("GraphAPIError", refused.json()) == []
    assert refused.json()["error"]["code"] == 190
