"""The WhatsApp webhook at the edge: verification, signatures, repeats, statuses, bad bodies."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from bot.whatsapp.service import TASK_NAME
from conversations.events import Option, Reply
from conversations.flow import AskContext, Flow, Reask, Step, StepContext, Transition
from conversations.i18n import translator_for
from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.models import OutboxMessage
from marketplace.settings import Settings
from tests.fakes import whatsapp_webhooks as hooks
from tests.support.menu_flow import MENU_FLOW
from tests.webhooks.whatsapp_harness import (
    APP_SECRET,
    PATH,
    VERIFY_TOKEN,
    WhatsAppHarness,
    WhatsAppPerson,
    buttons,
    conversation,
    counts,
    texts,
)
from webhooks.app import create_app

PT = translator_for("pt_BR")
ONLY_TEXT = PT.gettext("I can only read text here. Could you type your answer?")


# Verification ---------------------------------------------------------------------------


def test_metas_subscription_check_gets_the_challenge_back(whatsapp: WhatsAppHarness) -> None:
    response = whatsapp.client.get(
        PATH,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )

    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {},
    ],
)
def test_anything_else_on_the_subscription_check_is_403(
    whatsapp: WhatsAppHarness, params: dict[str, str]
) -> None:
    response = whatsapp.client.get(PATH, params=params)

    assert response.status_code == 403


def test_without_whatsapp_settings_nothing_runs_and_the_routes_say_404(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    app = create_app(
        runtime=Runtime(settings, engine, sessions, clock),
        flows={MENU_FLOW.name: MENU_FLOW},
        default_flow=MENU_FLOW.name,
    )
    body, headers = hooks.signed(hooks.incoming("5511987654321", hooks.text("oi")), APP_SECRET)

    with TestClient(app) as client:
        posted = client.post(PATH, content=body, headers=headers)
        checked = client.get(PATH, params={"hub.mode": "subscribe"})
        tasks = client.portal.call(_task_names)  # type: ignore[union-attr]

    assert (posted.status_code, checked.status_code) == (404, 404)
    assert TASK_NAME not in tasks
    assert counts(sessions)["inbound_messages"] == 0


def test_with_whatsapp_settings_the_dispatcher_runs_as_a_named_task(
    whatsapp: WhatsAppHarness,
) -> None:
    assert TASK_NAME in whatsapp.client.portal.call(_task_names)  # type: ignore[union-attr]


async def _task_names() -> set[str]:
    return {task.get_name() for task in asyncio.all_tasks()}


# Signatures -----------------------------------------------------------------------------


def test_a_missing_signature_is_401_and_records_nothing(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session]
) -> None:
    body = json.dumps(hooks.incoming("5511987654321", hooks.text("oi"))).encode()

    response = whatsapp.client.post(
        PATH, content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401
    assert counts(sessions)["inbound_messages"] == 0


@pytest.mark.parametrize(
    "forge",
    ["wrong secret", "body changed after signing", "sha1 prefix", "empty digest", "not hex"],
)
def test_a_forged_signature_is_403_and_records_nothing(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session], forge: str
) -> None:
    payload = hooks.incoming("5511987654321", hooks.text("oi"))
    body, headers = hooks.signed(payload, APP_SECRET)
    if forge == "wrong secret":
        body, headers = hooks.signed(payload, "not-the-app-secret")
    elif forge == "body changed after signing":
        body = body.replace(b'"oi"', b'"ol"')
    elif forge == "sha1 prefix":
        headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].replace("sha256=", "sha1=")
    elif forge == "empty digest":
        headers["X-Hub-Signature-256"] = "sha256="
    else:
        headers["X-Hub-Signature-256"] = "sha256=" + "zz" * 32

    response = whatsapp.client.post(PATH, content=body, headers=headers)

    assert response.status_code == 403
    assert counts(sessions)["inbound_messages"] == 0
    assert whatsapp.graph.requests == []


# Deliveries Meta repeats, statuses, mixed bodies ----------------------------------------


def test_a_repeated_delivery_is_answered_once(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    payload = hooks.incoming(ana.wa_id, hooks.text("oi"))

    first = whatsapp.post(payload)
    again = whatsapp.post(payload)
    whatsapp.settle()

    assert (first.status_code, again.status_code) == (200, 200)
    assert len(whatsapp.graph.accepted()) == 1
    assert counts(sessions)["inbound_messages"] == 1
    assert counts(sessions)["outbox"] == 1


def test_a_status_only_body_updates_the_outbox_and_never_the_conversation(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    ana.say("oi")
    before = counts(sessions), conversation(sessions, ana.wa_id).data
    [wamid] = whatsapp.graph.wamids()

    delivered = whatsapp.graph.send_status(wamid, "delivered")
    read = whatsapp.graph.send_status(wamid, "read")
    late = whatsapp.graph.send_status(wamid, "delivered")  # statuses arrive in any order
    whatsapp.settle()

    assert [r.status_code for r in (delivered, read, late)] == [200, 200, 200]
    [row] = whatsapp.rows()
    assert (row.status, row.delivery_status) == ("sent", "read")
    assert (counts(sessions), conversation(sessions, ana.wa_id).data) == before
    assert len(whatsapp.graph.requests) == 1


def test_a_status_for_a_message_that_is_not_ours_is_acknowledged(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session]
) -> None:
    payload = hooks.status_payload(
        [{"id": "wamid.SOMEONE-ELSE", "status": "read", "recipient_id": "5511987654321"}]
    )

    assert whatsapp.post(payload).status_code == 200
    assert counts(sessions)["inbound_messages"] == 0


def test_a_body_with_statuses_and_messages_handles_both(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    ana.say("oi")
    [wamid] = whatsapp.graph.wamids()
    bruno = "5521998887777"
    payload = hooks.envelope(
        hooks.statuses_value([{"id": wamid, "status": "read", "recipient_id": ana.wa_id}]),
        hooks.messages_value(ana.wa_id, hooks.text("sim")),
        hooks.messages_value(bruno, hooks.text("olá"), name="Bruno"),
    )

    response = whatsapp.post(payload)
    whatsapp.settle()

    assert response.status_code == 200
    assert whatsapp.rows()[0].delivery_status == "read"
    assert whatsapp.graph.accepted(to=ana.wa_id)[-1]["interactive"]["type"] == "list"
    assert buttons(whatsapp.graph.accepted(to=bruno)[0]) == ["Sim", "Não"]
    assert counts(sessions)["consumers"] == 2


# Bodies that are not Meta's -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'"whatsapp"',
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": "all"}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"messages": []}}]}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"metadata": {"phone_number_id": "106540352242922"}, "messages":'
        b' [{"from": "5511987654321", "type": "text", "text": {"body": "oi"}}]}}]}]}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
        b' "value": {"metadata": {"phone_number_id": "106540352242922"}, "messages":'
        b' [{"from": "x; DROP TABLE", "id": "w", "timestamp": "1", "type": "text"}]}}]}]}',
    ],
)
def test_malformed_bodies_are_4xx_and_record_nothing(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session], body: bytes
) -> None:
    response = whatsapp.post(body)

    assert 400 <= response.status_code < 500
    assert counts(sessions)["inbound_messages"] == 0


@pytest.mark.parametrize("row_id", ["wa-more:\u00b2:1", "wa-more:1:\u00b2"])
def test_a_more_options_row_with_odd_digits_is_an_answer_not_a_500(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session], row_id: str
) -> None:
    # "²" is a digit to str.isdigit() but not to int(): reading the page number raised
    # ValueError, a 500 for the whole batch, which Meta delivers again and again.
    payload = hooks.incoming(
        "5511987654321", hooks.list_reply(row_id, "Mais", replying_to=hooks.new_wamid())
    )

    response = whatsapp.post(payload)

    assert response.status_code == 200
    assert counts(sessions)["inbound_messages"] == 1


def test_a_huge_body_is_413(whatsapp: WhatsAppHarness) -> None:
    assert whatsapp.post(b"{" + b" " * (300 * 1024) + b"}").status_code == 413


def test_a_body_for_another_number_is_acknowledged_and_ignored(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session]
) -> None:
    payload = hooks.incoming("5511987654321", hooks.text("oi"))
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999"

    response = whatsapp.post(payload)

    assert response.status_code == 200
    assert counts(sessions)["inbound_messages"] == 0


# A step that fails ----------------------------------------------------------------------

_BROKEN = {"failing": True}


def _ask(context: AskContext) -> Reply:
    return Reply("Diga algo.", options=(Option("ok", "Ok"),))


def _handle(context: StepContext) -> Transition | Reask:
    if _BROKEN["failing"] and context.text == "quebra":
        raise RuntimeError("a bug in a step")
    return Reask("Recebido.")


FLAKY_FLOW = Flow(name="flaky", start="ask", steps={"ask": Step(ask=_ask, handle=_handle)})


@pytest.mark.parametrize("conversation_flow", [FLAKY_FLOW], indirect=True)
def test_a_failing_step_is_503_and_meta_s_redelivery_is_answered_once(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session]
) -> None:
    ana, bruno = "5511987654321", "5521998887777"
    for wa_id in (ana, bruno):
        WhatsAppPerson(whatsapp, wa_id).say("oi")
    payload = hooks.envelope(
        hooks.messages_value(ana, hooks.text("quebra"), hooks.text("depois")),
        hooks.messages_value(bruno, hooks.text("olá"), name="Bruno"),
    )

    _BROKEN["failing"] = True
    failed = whatsapp.post(payload)
    whatsapp.settle()
    after_failure = counts(sessions)["inbound_messages"]
    _BROKEN["failing"] = False
    redelivered = whatsapp.post(payload)
    whatsapp.settle()

    assert (failed.status_code, redelivered.status_code) == (503, 200)
    assert after_failure == 3  # the two "oi" and Bruno's message; none of Ana's
    assert counts(sessions)["inbound_messages"] == 5
    assert texts(whatsapp.graph.accepted(to=ana)) == ["Diga algo.", "Recebido.", "Recebido."]
    assert texts(whatsapp.graph.accepted(to=bruno)) == ["Diga algo.", "Recebido."]
    with sessions() as session:
        assert session.scalar(select(func.count()).where(OutboxMessage.status != outbox.SENT)) == 0
