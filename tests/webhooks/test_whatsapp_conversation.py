"""WhatsApp conversations end to end: signed webhooks in, Cloud API messages out (to the fake)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.events import Reply
from conversations.i18n import translator_for
from marketplace import outbox
from marketplace.models import ChannelIdentity, TranscriptEntry
from tests.fakes import whatsapp_webhooks as hooks
from tests.webhooks.conftest import TEMPLATE
from tests.webhooks.whatsapp_harness import (
    WhatsAppHarness,
    WhatsAppPerson,
    buttons,
    conversation,
    counts,
    rows,
    texts,
)

PT = translator_for("pt_BR")
ONLY_TEXT = PT.gettext("I can only read text here. Could you type your answer?")


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
