"""Invite codes in chat: a code makes its sender an agent, once, until it expires."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine import ConversationEngine
from marketplace.clock import FixedClock
from marketplace.models import SupplierInvite, TranscriptEntry
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import GREETING_START, PATHS, texts
from tests.conversations.supplier_support import SOLAR_SUPPLIER, agents, invite_code


def test_telegram_start_with_a_code_makes_the_sender_an_agent(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    code = invite_code(sessions, clock, SOLAR_SUPPLIER)
    agent = Chat(market_engine, "7001", channel="telegram", locale="en")

    replies = agent.say(f"/start {code}")

    # One message says whom the agent now answers for, with what they can do: no second
    # greeting repeating it.
    assert texts(replies) == [f"You answer for {SOLAR_SUPPLIER}. New leads arrive here as cards."]
    assert [option.id for option in replies[0].options] == ["leads", "offers", "pause"]
    assert agent.state(sessions).flow == "supplier"
    [linked] = agents(sessions)
    assert (linked.channel, linked.chat_id) == ("telegram", "7001")


def test_a_supplier_may_have_agents_on_several_channels(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    first = Chat(market_engine, "7001", channel="telegram", locale="en")
    second = Chat(market_engine, "5585988887777", channel="whatsapp", locale="en")
    second.say("oi")  # already talking to the consumer flow

    first.say(f"/start {invite_code(sessions, clock, SOLAR_SUPPLIER)}")
    second.say(invite_code(sessions, clock, SOLAR_SUPPLIER).lower())

    assert [(a.channel, a.supplier_id) for a in agents(sessions)] == [
        ("telegram", agents(sessions)[0].supplier_id),
        ("whatsapp", agents(sessions)[0].supplier_id),
    ]
    assert second.state(sessions).flow == "supplier"


def test_a_used_code_is_refused_and_links_nobody(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    code = invite_code(sessions, clock, SOLAR_SUPPLIER)
    Chat(market_engine, "7001", channel="telegram", locale="en").say(f"/start {code}")
    intruder = Chat(market_engine, "7002", channel="telegram", locale="en")

    replies = intruder.say(f"/start {code}")

    assert replies[0].text == (
        "This invite code was already used; each code works once. Ask for a new one."
    )
    assert len(agents(sessions)) == 1
    assert intruder.state(sessions).flow == "consumer"


def test_an_expired_code_is_refused(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    code = invite_code(sessions, clock, SOLAR_SUPPLIER)
    clock.advance(hours=72, seconds=1)
    late = Chat(market_engine, "7001", channel="telegram", locale="en")

    replies = late.say(code)

    assert replies[0].text == "This invite code has expired. Ask for a new one."
    assert agents(sessions) == []


def test_an_unknown_code_in_portuguese_then_the_consumer_flow_goes_on(
    market_engine: ConversationEngine,
) -> None:
    person = Chat(market_engine, "7001", channel="telegram", locale="pt_BR")

    replies = person.say("CE-ABCDEFGHJKMN")

    assert texts(replies)[0] == (
        "Não conheço este código de convite. Confira o código ou peça um novo."
    )
    assert replies[1].text.startswith(GREETING_START)


def test_only_a_hash_of_the_code_is_stored(
    sessions: sessionmaker[Session], clock: FixedClock, market_engine: ConversationEngine
) -> None:
    code = invite_code(sessions, clock, SOLAR_SUPPLIER)

    with sessions() as session:
        stored = session.scalars(select(SupplierInvite.code_hash)).one()
    assert code not in stored
    assert len(stored) == 64


def test_a_long_or_garbled_profile_name_does_not_stop_the_code(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # WhatsApp profile names may be up to 256 characters, and hold anything.
    code = invite_code(sessions, clock, SOLAR_SUPPLIER)
    agent = Chat(market_engine, "5585988887777", channel="whatsapp", locale="en")

    replies = list(agent.send(agent.event(code, user_name="Ana\x00 " + "ã" * 250)).replies)

    assert replies[0].text.startswith(f"You answer for {SOLAR_SUPPLIER}")
    [linked] = agents(sessions)
    assert linked.name is not None
    assert linked.name.startswith("Ana ã")
    assert "\x00" not in linked.name
    assert len(linked.name) <= 200


def test_a_chat_that_asked_a_supplier_as_a_consumer_keeps_that_role(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    consumer = Chat(market_engine, "7001", channel="telegram", locale="en")
    consumer.go_through(*PATHS["done"])  # a lead: its news will need consumer answers here
    code = invite_code(sessions, clock, SOLAR_SUPPLIER)

    refused = consumer.say(f"/start {code}")
    colleague = Chat(market_engine, "7002", channel="telegram", locale="en")
    welcome = colleague.say(f"/start {code}")

    assert refused[0].text.startswith("This chat holds your own requests as a consumer")
    assert consumer.state(sessions).flow == "consumer"
    assert welcome[0].text.startswith("You answer for")  # the refusal did not spend the code
    assert [(a.channel, a.chat_id) for a in agents(sessions)] == [("telegram", "7002")]


def test_a_reloaded_chat_shows_the_welcome_of_an_agent_who_joined_before_any_consent(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    code = invite_code(sessions, clock, SOLAR_SUPPLIER)
    agent = Chat(market_engine, "web-agent", channel="web", locale="en")
    agent.say("/start")  # the web chat opens on the consumer's greeting

    replies = agent.say(code)

    with sessions() as session:
        lines = session.execute(select(TranscriptEntry.direction, TranscriptEntry.body)).all()
    assert [body["text"] for _direction, body in lines] == [reply.text for reply in replies]
    assert replies[0].text.startswith(f"You answer for {SOLAR_SUPPLIER}")
    assert code not in repr(lines)
