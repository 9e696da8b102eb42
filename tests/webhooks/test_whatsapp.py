"""The WhatsApp channel end to end: signed webhooks in, Cloud API messages out (to the fake)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

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
from marketplace.db import Base
from marketplace.models import ChannelIdentity, Conversation, OutboxMessage, TranscriptEntry
from marketplace.settings import Settings
from tests.fakes import whatsapp_webhooks as hooks
from tests.support.menu_flow import MENU_FLOW
from tests.webhooks.conftest import TEMPLATE
from tests.webhooks.whatsapp_harness import (
    APP_SECRET,
    PATH,
    VERIFY_TOKEN,
    WhatsAppHarness,
    WhatsAppPerson,
    buttons,
    rows,
    texts,
)
from webhooks.app import create_app

PT = translator_for("pt_BR")
ONLY_TEXT = PT.gettext("I can only read text here. Could you type your answer?")


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows in the tables a webhook writes to."""
    tables = ("inbound_messages", "conversations", "consumers", "outbox", "transcript_entries")
    with sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
            for name in tables
        }


def conversation(sessions: sessionmaker[Session], chat_id: str) -> Conversation:
    with sessions() as session:
        return session.scalars(select(Conversation).where(Conversation.chat_id == chat_id)).one()


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


# A whole conversation -------------------------------------------------------------------


def test_a_conversation_reaches_its_request_through_buttons_and_lists(
    ana: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    [consent] = ana.say("oi")
    [first_page] = ana.tap("Sim")
    [second_page] = ana.pick("Mais opções")
    explanation, offers = ana.pick("Distrito Federal")
    [confirm] = ana.pick("Sol Nascente Energia…")
    [done] = ana.tap("Sim")

    assert buttons(consent) == ["Sim", "Não"]
    assert [row["title"] for row in rows(first_page)][-1] == "Mais opções"
    assert len(rows(first_page)) == 10
    assert [row["title"] for row in rows(second_page)] == [
        "Santa Catarina",
        "Goiás",
        "Distrito Federal",
    ]
    assert explanation["type"] == "text"
    assert len(explanation["text"]["body"]) > 1024
    assert rows(offers)[0]["description"].startswith("Sol Nascente Energia Compartilhada")
    assert buttons(confirm) == ["Sim", "Não"]
    assert texts([done]) == ["Pedido registrado! O fornecedor vai falar com você."]
    stored = conversation(sessions, ana.wa_id)
    assert stored.data["values"] == {"state": "uf-df", "offer": "offer-1", "request": "sent"}


def test_a_typed_answer_works_as_well_as_a_tap(ana: WhatsAppPerson) -> None:
    ana.say("oi")

    [states] = ana.say("sim")

    assert states["interactive"]["type"] == "list"


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


# Every kind of message ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        hooks.media("image"),
        hooks.media("audio"),
        hooks.media("video"),
        hooks.media("document"),
        hooks.media("sticker"),
        hooks.reaction("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjA="),
        hooks.unsupported(),
    ],
    ids=["image", "audio", "video", "document", "sticker", "reaction", "unsupported"],
)
def test_media_reactions_and_unknown_types_get_a_polite_reask(
    ana: WhatsAppPerson, content: dict[str, Any]
) -> None:
    ana.say("oi")

    [reask] = ana.send(content)

    assert texts([reask]) == [ONLY_TEXT]
    assert buttons(reask) == ["Sim", "Não"]


def test_locations_and_contacts_reach_the_conversation_as_what_they_are(
    ana: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    ana.say("oi")
    ana.tap("Sim")

    ana.send(hooks.location("Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200"))
    ana.send(hooks.shared_contact("Bia Lima", "+55 11 98888-7777", "5511988887777"))

    with sessions() as session:
        said = [
            entry.body
            for entry in session.scalars(select(TranscriptEntry).order_by(TranscriptEntry.id))
            if entry.direction == "in"
        ]
    assert [(line["kind"], line.get("text")) for line in said[-2:]] == [
        ("location", "Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200"),
        ("contact", "Bia Lima"),
    ]


# One person, with or without the ninth digit --------------------------------------------


def test_the_ninth_digit_keeps_one_person_and_replies_go_to_the_wa_id_given(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session]
) -> None:
    old_form = WhatsAppPerson(whatsapp, "551187654321")
    new_form = WhatsAppPerson(whatsapp, "5511987654321")

    [consent] = old_form.say("oi")
    [states] = new_form.send(
        hooks.button_reply("yes", "Sim", replying_to=old_form.wamid_of(consent))
    )

    assert consent["to"] == "551187654321"
    assert states["to"] == "5511987654321"
    assert states["interactive"]["type"] == "list"
    assert counts(sessions)["conversations"] == 1
    assert counts(sessions)["consumers"] == 1
    assert conversation(sessions, "5511987654321").state == "state"


# The 24-hour window ---------------------------------------------------------------------


def test_a_131047_failure_sends_the_template_and_the_message_follows_the_answer(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson
) -> None:
    ana.say("oi")
    [wamid] = whatsapp.graph.wamids()

    whatsapp.graph.send_status(wamid, "failed", error_code=131047)
    [template] = ana.answers()
    [row] = whatsapp.rows()
    held = row.status
    again, states = ana.tap("Sim")

    assert template["type"] == "template"
    assert template["template"]["name"] == TEMPLATE
    assert held == "held"
    assert buttons(again) == ["Sim", "Não"]  # the held question, first
    assert states["interactive"]["type"] == "list"  # then the answer to the tap


def test_outside_the_window_a_notification_waits_for_the_person_after_one_template(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    ana.say("oi")
    whatsapp.clock.advance(hours=30)
    notices = [
        outbox.OutboxDraft("whatsapp", ana.wa_id, Reply(f"Novidade {n}").to_payload())
        for n in (1, 2)
    ]
    with sessions.begin() as session:
        outbox.add_messages(session, notices, whatsapp.clock.now())

    [template] = ana.answers()
    statuses = [row.status for row in whatsapp.rows()]
    after_answer = ana.say("voltei")

    assert template["type"] == "template"
    assert statuses == ["sent", "held", "held"]
    assert texts(after_answer)[:2] == ["Novidade 1", "Novidade 2"]
    assert len(after_answer) == 3  # and the answer to "voltei"


def test_a_131026_failure_marks_the_person_unreachable_until_they_write_again(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    ana.say("oi")
    [wamid] = whatsapp.graph.wamids()

    whatsapp.graph.send_status(wamid, "failed", error_code=131026)
    whatsapp.settle()
    with sessions() as session:
        unreachable = session.scalars(select(ChannelIdentity.unreachable)).one()
    ana.tap("Sim")

    assert unreachable is True
    assert whatsapp.rows()[0].status == "failed"
    with sessions() as session:
        assert session.scalars(select(ChannelIdentity.unreachable)).one() is False
    assert whatsapp.rows()[-1].status == "sent"


def test_a_rate_limited_delivery_is_sent_again_later(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson
) -> None:
    whatsapp.graph.fail_next(130429)

    nothing = ana.say("oi")
    whatsapp.clock.advance(seconds=30)
    [consent] = ana.answers()

    assert nothing == []
    assert buttons(consent) == ["Sim", "Não"]
    assert [r.answered for r in whatsapp.graph.requests] == [400, 200]


# Paged lists ----------------------------------------------------------------------------


def test_a_repeated_more_options_tap_shows_the_next_page_once(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson
) -> None:
    ana.say("oi")
    [first_page] = ana.tap("Sim")
    more = rows(first_page)[-1]
    payload = hooks.incoming(
        ana.wa_id,
        hooks.list_reply(more["id"], more["title"], replying_to=ana.wamid_of(first_page)),
    )

    responses = [whatsapp.post(payload), whatsapp.post(payload)]
    [second_page] = ana.answers()

    assert [r.status_code for r in responses] == [200, 200]
    assert rows(second_page)[0]["id"] == "uf-sc"


def test_a_more_options_row_naming_someone_elses_list_shows_nothing(
    whatsapp: WhatsAppHarness, ana: WhatsAppPerson
) -> None:
    bruno = WhatsAppPerson(whatsapp, "5521998887777", name="Bruno")
    bruno.say("oi")
    bruno.tap("Sim")
    brunos_list = whatsapp.rows()[-1].id
    ana.say("oi")

    shown = ana.send(hooks.list_reply(f"wa-more:{brunos_list}:1", "Mais opções", replying_to="x"))

    assert shown == []


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
