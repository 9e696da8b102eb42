"""Lead cards and the supplier's answers: accept (one of two racing agents wins), decline
with the next offer for the consumer, and questions relayed both ways."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.chat_tokens import ChatTokens
from bot.webchat import WebChat
from conversations.consumer_flow import CONSUMER
from conversations.engine import ConversationEngine
from conversations.events import InboundKind, Reply
from conversations.supplier_leads import MAX_QUESTION
from marketplace import outbox
from marketplace.clock import FixedClock
from marketplace.devices import Platform, register_device
from marketplace.lead_responses import lead_transcript
from marketplace.models import (
    Lead,
    LeadMessage,
    Offer,
    OutboxMessage,
    Supplier,
    SupplierAgent,
    TranscriptEntry,
)
from marketplace.people import Person
from marketplace.transcripts import SqlTranscriptStore, TranscriptLine
from tests.conversations.conftest import CONTRACT_SECRET, Chat
from tests.conversations.consumer_support import PATHS
from tests.conversations.supplier_support import (
    SOLAR_SUPPLIER,
    invite_code,
    notifications_to,
    only_lead,
    option_ids,
)

CONSUMER_CHAT = "consumer-chat-42"


@pytest.fixture
def agents_and_consumer(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> tuple[Chat, Chat, Chat]:
    """Two agents of the solar supplier (Telegram and WhatsApp), and a consumer."""
    first = Chat(market_engine, "7001", channel="telegram", locale="en")
    second = Chat(market_engine, "5585988887777", channel="whatsapp", locale="en")
    first.say(f"/start {invite_code(sessions, clock, SOLAR_SUPPLIER)}")
    second.say(invite_code(sessions, clock, SOLAR_SUPPLIER))
    consumer = Chat(market_engine, CONSUMER_CHAT, channel="web", locale="en")
    return first, second, consumer


def leave_lead(consumer: Chat) -> list[Reply]:
    """The consumer flow up to a recorded lead for the solar offer (R$ 350 in Fortaleza)."""
    return consumer.go_through(*PATHS["done"])


def consumer_device(sessions: sessionmaker[Session], lead: Lead, clock: FixedClock) -> None:
    """The lead's consumer installs the app: their pushes are written from now on."""
    with sessions.begin() as session:
        register_device(
            session,
            Person.consumer(lead.consumer_id),
            "consumer-app",
            Platform.ANDROID,
            clock.now(),
        )


def test_every_agent_gets_the_card_with_what_the_consumer_shared(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, second, consumer = agents_and_consumer

    leave_lead(consumer)

    lead = only_lead(sessions)
    [card] = notifications_to(sessions, first.chat_id)
    assert notifications_to(sessions, second.chat_id) == [card]
    assert card.text.startswith(f"New lead #{lead.id}: ")
    assert "Where: Ceará (CE), distributor ENEL CE" in card.text
    assert "Bill: about R$ 350.00 a month" in card.text
    assert "Shared with you by the consumer: Maria Silva, (85) 99999-1234" in card.text
    assert "Please answer within 8 hours." in card.text
    assert CONSUMER_CHAT not in card.text
    assert option_ids(card) == [f"accept:{lead.id}", f"decline:{lead.id}", f"ask:{lead.id}"]


def test_two_agents_racing_to_accept_one_wins_the_other_is_told(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda agent: agent.tap(f"accept:{lead_id}"), (first, second)))

    said = sorted(replies[0].text for replies in answers)
    assert said[0].startswith(f"Lead #{lead_id} was already accepted by a colleague.")
    assert said[1].startswith(f"You accepted lead #{lead_id}. Shared with you by the consumer")
    lead = only_lead(sessions)
    assert lead.status == "accepted"
    told = notifications_to(sessions, CONSUMER_CHAT)
    assert (
        told[0].text == f"Good news: {SOLAR_SUPPLIER} accepted your request and will contact you."
    )
    # One contract, one signing link, however many agents tapped.
    assert len(told) == 2
    assert told[1].text.startswith(f"Your contract with {SOLAR_SUPPLIER} for ")
    assert "http://127.0.0.1:8000/contracts/" in told[1].text


def test_decline_with_a_reason_offers_the_consumer_the_next_best_offer(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    asked = first.tap(f"decline:{lead_id}")
    done = first.tap("area")

    assert asked[0].text.startswith(f"Why are you declining lead #{lead_id}?")
    assert done[0].text == f"You declined lead #{lead_id}; the consumer was told."
    [news] = notifications_to(sessions, CONSUMER_CHAT)
    assert news.text.startswith(
        f"{SOLAR_SUPPLIER} cannot take your request. Their reason: We do not serve this area\n"
        "The next best offer for you: "
    )
    assert SOLAR_SUPPLIER not in news.text.split("\n")[1]
    [see] = news.options
    assert see.id.startswith(f"next:{lead_id}:")

    sheet = consumer.tap(see.id)

    offer_id = int(see.id.rsplit(":", 1)[1])
    assert consumer.state(sessions).state == "offer"
    assert consumer.state(sessions).data["values"]["offer_id"] == offer_id
    assert sheet[0].options  # the fact sheet, with its "contact me" option


def test_a_question_is_relayed_and_the_answer_comes_back_without_chat_addresses(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    first.tap(f"ask:{lead_id}")
    first.say("Is your roof made of ceramic tiles?")
    [question] = notifications_to(sessions, CONSUMER_CHAT)
    consumer.tap(question.options[0].id)
    back = consumer.say("Yes, ceramic.")

    assert question.text == (
        f'{SOLAR_SUPPLIER} asks about your request: "Is your roof made of ceramic tiles?"'
    )
    assert first.chat_id not in question.text
    assert back[0].text == f"Sent to {SOLAR_SUPPLIER}."
    assert consumer.state(sessions).state == "done"  # back where they were
    relayed = notifications_to(sessions, second.chat_id)[-1]
    assert relayed.text == f'The consumer of lead #{lead_id} answers: "Yes, ceramic."'
    assert CONSUMER_CHAT not in relayed.text
    with sessions() as session:
        transcript = lead_transcript(session, lead_id)
    assert [(line.sender, line.body) for line in transcript] == [
        ("supplier", "Is your roof made of ceramic tiles?"),
        ("consumer", "Yes, ceramic."),
    ]


def test_an_agent_cannot_answer_another_suppliers_lead(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    _first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    stranger = Chat(market_engine, "9009", channel="telegram", locale="en")
    stranger.say(invite_code(sessions, clock, "Sol Nascente Energia (demo)"))

    replies = stranger.tap(f"accept:{lead_id}")

    assert replies[0].text == "That lead is not one of your company's, or it no longer exists."
    assert only_lead(sessions).status == "new"


def test_leads_offers_and_pause_commands(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    listed = first.say("/leads")
    card = first.tap(f"lead:{lead_id}")
    first.say("back")
    first.say("back")
    offers = first.say("/ofertas")
    paused = first.say("pausar")

    assert listed[0].text == "Open leads, oldest first:"
    assert option_ids(listed[0])[0] == f"lead:{lead_id}"
    assert card[0].text.startswith(f"New lead #{lead_id}")
    assert "Your offers and the leads each brought:" in offers[0].text
    assert ": 1 lead" in offers[0].text
    assert paused[0].text.startswith("New leads are paused")
    with sessions() as session:
        supplier = session.scalars(select(Supplier).where(Supplier.name == SOLAR_SUPPLIER)).one()
        assert supplier.accepting_leads is False
        assert session.scalar(select(Lead.status)) == "new"


def test_an_agent_of_two_suppliers_answers_the_card_of_the_first(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    _first, _second, consumer = agents_and_consumer
    both = Chat(market_engine, "7003", channel="telegram", locale="en")
    both.say(invite_code(sessions, clock, SOLAR_SUPPLIER))
    both.say(invite_code(sessions, clock, "Sol Nascente Energia (demo)"))
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    [card] = notifications_to(sessions, both.chat_id)

    asked = both.tap(f"ask:{lead_id}")
    both.say("Is the roof yours?")
    accepted = both.tap(f"accept:{lead_id}")

    assert card.text.startswith(f"New lead #{lead_id}: ")
    assert asked[0].text.startswith(f"Type your question for the consumer of lead #{lead_id}")
    assert accepted[0].text.startswith(f"You accepted lead #{lead_id}.")
    assert only_lead(sessions).status == "accepted"
    with sessions() as session:
        assert [line.body for line in lead_transcript(session, lead_id)] == ["Is the roof yours?"]


def test_a_question_or_answer_too_long_to_relay_is_asked_again_not_cut(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.tap(f"ask:{lead_id}")

    too_long = first.say("Is the roof yours? " + "x" * 1200)
    first.say("Is the roof yours?")
    [question] = notifications_to(sessions, CONSUMER_CHAT)
    consumer.tap(question.options[0].id)
    answer_too_long = consumer.say("Yes. " + "y" * 1200)
    consumer.say("Yes.")

    limit = "Could you say it in fewer than 1,000 characters?"
    assert too_long[0].text.endswith(limit)
    assert answer_too_long[0].text.endswith(limit)
    with sessions() as session:
        transcript = lead_transcript(session, lead_id)
    assert [(line.sender, line.body) for line in transcript] == [
        ("supplier", "Is the roof yours?"),
        ("consumer", "Yes."),
    ]


def test_an_agent_tapping_accept_twice_is_not_told_a_colleague_was_faster(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    first.tap(f"accept:{lead_id}")
    told = notifications_to(sessions, CONSUMER_CHAT)
    again = first.tap(f"accept:{lead_id}")

    assert again[0].text == f"You already accepted lead #{lead_id}."
    assert told[0].text.startswith("Good news:")
    assert notifications_to(sessions, CONSUMER_CHAT) == told  # the second tap tells nobody


def test_a_command_typed_as_a_decline_reason_or_question_is_not_sent_to_the_consumer(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    first.tap(f"decline:{lead_id}")
    reason = first.say("/leads")
    left = first.say("back")
    first.tap(f"ask:{lead_id}")
    question = first.say("/ofertas")

    assert reason[0].text.startswith("That looks like a command")
    assert question[0].text.startswith("That looks like a command")
    assert first.state(sessions).state == "question"
    assert left[-1].options  # back on the agent's home, with its buttons
    assert only_lead(sessions).status == "new"
    assert notifications_to(sessions, CONSUMER_CHAT) == []


def test_a_decline_reason_too_long_to_keep_is_asked_again_not_cut(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.tap(f"decline:{lead_id}")

    too_long = first.say("Our roofs team is busy. " + "z" * 300)
    first.say("Our roofs team is busy.")

    assert too_long[0].text.endswith("Could you say it in fewer than 200 characters?")
    lead = only_lead(sessions)
    assert (lead.status, lead.decline_reason) == ("declined", "Our roofs team is busy.")
    [news] = notifications_to(sessions, CONSUMER_CHAT)
    assert "z" * 10 not in news.text


def test_a_forged_next_offer_button_cannot_open_an_offer_outside_the_consumers_area(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    _first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    with sessions() as session:
        elsewhere = session.scalars(
            select(Offer.id).where(Offer.title == "Assinatura solar em Pernambuco e Paraíba")
        ).one()

    replies = consumer.tap(f"next:{lead_id}:{elsewhere}")  # the consumer is in Ceará

    assert replies[0].text == "This offer is no longer available."
    assert consumer.state(sessions).data["values"].get("offer_id") != elsewhere


@pytest.mark.parametrize("number", ["9" * 30, "\u0661"])  # past BIGINT; an Arabic-Indic 1
def test_forged_buttons_with_odd_lead_numbers_get_an_answer_not_a_failure(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session], number: str
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)

    accepted = first.tap(f"accept:{number}")
    asked = first.tap(f"ask:{number}")
    answered = consumer.tap(f"answer:{number}")
    opened = consumer.tap(f"next:{number}:1")

    assert (
        accepted[0].text
        == asked[0].text
        == "That lead is not one of your company's, or it no longer exists."
    )
    assert answered[0].text == opened[0].text == "That request is not yours."
    assert only_lead(sessions).status == "new"


def test_a_reason_tapped_by_a_spanish_agent_reaches_the_consumer_in_their_language(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    agent = Chat(market_engine, "7004", channel="telegram", locale="es")
    agent.say(invite_code(sessions, clock, SOLAR_SUPPLIER))
    consumer = Chat(market_engine, CONSUMER_CHAT, channel="web", locale="en")
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    agent.tap(f"decline:{lead_id}")
    agent.tap("area")

    [news] = notifications_to(sessions, CONSUMER_CHAT)
    assert "Their reason: We do not serve this area\n" in news.text


def test_an_agent_of_two_suppliers_lists_the_open_leads_of_both(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    _first, _second, consumer = agents_and_consumer
    both = Chat(market_engine, "7005", channel="whatsapp", locale="en")
    both.say(invite_code(sessions, clock, SOLAR_SUPPLIER))
    both.say(invite_code(sessions, clock, "Sol Nascente Energia (demo)"))
    leave_lead(consumer)  # a lead for the first supplier
    lead_id = only_lead(sessions).id

    listed = both.say("/leads")
    card = both.tap(f"lead:{lead_id}")

    assert option_ids(listed[0])[0] == f"lead:{lead_id}"
    assert card[0].text.startswith(f"New lead #{lead_id}")


def test_a_consumer_who_declines_the_privacy_terms_later_reaches_no_agent_any_more(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.tap(f"ask:{lead_id}")
    first.say("Is your roof made of ceramic tiles?")
    [question] = notifications_to(sessions, CONSUMER_CHAT)
    consumer.tap(question.options[0].id)
    consumer.say("Yes, ceramic, call me on my other number 85 97777-0000.")
    # The card and the answer wait in the outbox (an agent's e-mail, a closed WhatsApp
    # window) when the consumer starts over and declines the privacy terms.
    consumer.say("/restart")
    consumer.tap("decline")

    with sessions() as session:
        left = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "notification")
        ).all()
    said = "\n".join(str(payload.get("text", "")) for payload in left)
    assert "Maria Silva" not in said  # the shared contact of the card
    assert "99999-1234" not in said
    assert "97777-0000" not in said  # the answer relayed to the agents
    assert "ceramic tiles" not in said  # the question the consumer was sent
    assert notifications_to(sessions, CONSUMER_CHAT) == []


def test_relayed_words_stay_out_of_push_which_only_says_a_message_came(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead = only_lead(sessions)
    with sessions.begin() as session:
        agent_id = session.scalars(
            select(SupplierAgent.id).where(SupplierAgent.chat_id == first.chat_id)
        ).one()
        register_device(session, Person.agent(agent_id), "agent-app", Platform.IOS, clock.now())
        register_device(
            session,
            Person.consumer(lead.consumer_id),
            "consumer-app",
            Platform.ANDROID,
            clock.now(),
        )

    first.tap(f"ask:{lead.id}")
    first.say("Call me at 85 99999-0000?")
    [question] = notifications_to(sessions, CONSUMER_CHAT)
    consumer.tap(question.options[0].id)
    consumer.say("Yes: maria@example.com, 85 98888-1111")

    with sessions() as session:
        pushed = [
            str(row.payload["text"])
            for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "push")
            )
        ]
    assert f"{SOLAR_SUPPLIER} sent you a question about your request." in pushed
    assert f"The consumer of lead #{lead.id} sent you an answer." in pushed
    assert not [text for text in pushed if "9999" in text or "8888" in text or "@" in text]


def answer_a_question(agent: Chat, consumer: Chat, sessions: sessionmaker[Session]) -> str:
    """The agent asks, the consumer answers; what the consumer's chat says last."""
    agent.tap(f"ask:{only_lead(sessions).id}")
    agent.say("Is your roof made of ceramic tiles?")
    question = notifications_to(sessions, CONSUMER_CHAT)[-1]
    consumer.tap(question.options[0].id)
    return consumer.say("Yes, ceramic.")[-1].text


def test_after_the_supplier_accepts_the_consumer_is_not_told_again_to_wait_for_a_call(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    waiting = answer_a_question(first, consumer, sessions)

    first.tap(f"accept:{only_lead(sessions).id}")
    accepted = answer_a_question(first, consumer, sessions)

    assert waiting.startswith(f"Done! {SOLAR_SUPPLIER} will contact you within 8 hours.")
    assert "within 8 hours" not in accepted
    assert accepted.startswith(f"Your contract with {SOLAR_SUPPLIER} is ready")


def test_an_offer_without_leads_says_none_in_portuguese(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # Portuguese counts 0 as singular: "0 contato" read as a mistake.
    agent = Chat(market_engine, "7009", channel="telegram", locale="pt_BR")
    agent.say(f"/start {invite_code(sessions, clock, SOLAR_SUPPLIER)}")

    offers = agent.say("/ofertas")[0].text

    assert ": nenhum contato ainda" in offers
    assert "0 contato" not in offers


def stored_words(sessions: sessionmaker[Session]) -> str:
    """Everything the outbox and the transcripts hold, every chat and every kind, as text."""
    with sessions() as session:
        payloads = session.scalars(select(OutboxMessage.payload)).all()
        bodies = session.scalars(select(TranscriptEntry.body)).all()
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in (*payloads, *bodies))


def lead_transcript_rows(sessions: sessionmaker[Session]) -> int:
    """How many relayed messages are kept, for every lead."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(LeadMessage)) or 0


def test_a_forgotten_consumer_leaves_nothing_in_the_agents_own_chats(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # An agent on the web chat (whose reloaded page rebuilds the chat from what is stored)
    # and one on Telegram.
    first = Chat(market_engine, "agent-web-token", channel="web", locale="en")
    second = Chat(market_engine, "7002", channel="telegram", locale="en")
    first.say(invite_code(sessions, clock, SOLAR_SUPPLIER))
    second.say(f"/start {invite_code(sessions, clock, SOLAR_SUPPLIER)}")
    consumer = Chat(market_engine, CONSUMER_CHAT, channel="web", locale="en")
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    second.say("/leads")
    [card] = second.tap(f"lead:{lead_id}")
    first.tap(f"ask:{lead_id}")
    first.say(f"Maria, {'please ' * (MAX_QUESTION // 5)}")  # too long to relay: asked again
    first.say(f"Maria, {'please ' * MAX_QUESTION}")  # too long even to read
    first.say("Maria, is your roof made of ceramic tiles?")
    [question] = notifications_to(sessions, CONSUMER_CHAT)
    consumer.tap(question.options[0].id)
    consumer.say("Yes, call me on my other number 85 97777-0000.")
    [accepted, *_home] = first.tap(f"accept:{lead_id}")
    assert "Maria Silva, (85) 99999-1234" in card.text
    assert accepted.text == (
        f"You accepted lead #{lead_id}. "
        "Shared with you by the consumer: Maria Silva, (85) 99999-1234"
    )
    assert stored_words(sessions).count("Maria") > 4  # the agents' chats hold copies
    assert lead_transcript_rows(sessions) == 2

    consumer.say("/restart")
    consumer.tap("decline")

    left = stored_words(sessions)
    for said in ("Maria", "99999-1234", "ceramic tiles", "please please", "97777-0000"):
        assert said not in left
    assert "350" not in left  # the bill the card showed
    # What stays of the lead: its number, state and distributor in the `/leads` list.
    assert f'"label": "#{lead_id} CE, ENEL CE"' in left
    assert lead_transcript_rows(sessions) == 0  # the relayed messages went with the lead
    # The agents' chats go on, and the web chat's reloaded history still reads well.
    assert first.say("/leads")[0].text == "No open leads right now."
    assert second.say("back")[-1].text == "No open leads right now."  # it was on the card
    webchat = WebChat(market_engine, sessions, clock, tokens=ChatTokens(CONTRACT_SECRET))
    history = webchat.history(first.chat_id)
    shown = [line["text"] for line in history.lines]
    assert not any("Maria" in text for text in shown)
    assert shown[-2:] == ["/leads", "No open leads right now."]
    assert history.last > 0


def test_a_reason_typed_for_a_forgotten_consumer_is_not_kept_in_the_agents_chat(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.tap(f"decline:{lead_id}")
    first.say("Maria, our crews do not reach Rua das Flores.")
    assert "Rua das Flores" in stored_words(sessions)

    consumer.say("/restart")
    consumer.tap("decline")

    assert "Rua das Flores" not in stored_words(sessions)
    assert first.say("/leads")[0].text == "No open leads right now."


def test_a_consumer_forgotten_in_the_same_batch_as_the_agents_answer_leaves_nothing(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    consumer.say("/restart")

    # The agent accepts (and is shown the contact) first, then the consumer declines.
    accepted, declined = market_engine.handle_batch(
        [
            first.event(kind=InboundKind.OPTION, option_id=f"accept:{lead_id}"),
            consumer.event(kind=InboundKind.OPTION, option_id="decline"),
        ]
    )

    assert "Maria Silva" in accepted.replies[0].text
    assert declined.replies[0].text.startswith("All right: I have erased your answers")
    left = stored_words(sessions)
    assert "Maria" not in left
    assert "99999-1234" not in left
    assert first.say("/leads")[0].text == "No open leads right now."


class PausedTranscripts(SqlTranscriptStore):
    """The SQL store, holding its transaction open after writing until told to go on."""

    def __init__(self) -> None:
        self.written = threading.Event()
        self.go_on = threading.Event()

    def append(self, session: Session, lines: Sequence[TranscriptLine]) -> None:
        super().append(session, lines)
        self.written.set()
        self.go_on.wait(timeout=30)


def test_a_card_opened_while_its_consumer_is_forgotten_is_forgotten_too(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.say("/leads")
    consumer.say("/restart")
    paused = PausedTranscripts()
    agents_engine = ConversationEngine(
        sessions,
        market_engine.runner.flows,
        clock=clock,
        default_flow=CONSUMER.name,
        transcripts=paused,
    )

    agent = Chat(agents_engine, first.chat_id, channel=first.channel, locale="en")

    with ThreadPoolExecutor(max_workers=2) as pool:
        # The agent opens the card; its turn has written it and not committed yet...
        opened = pool.submit(agent.tap, f"lead:{lead_id}")
        assert paused.written.wait(timeout=30)
        # ...when the consumer declines: forgetting them waits for the card to be written.
        declined = pool.submit(consumer.tap, "decline")
        raced = wait([declined], timeout=1).done
        paused.go_on.set()
        [card] = opened.result(timeout=30)
        declined.result(timeout=30)

    assert "Maria Silva" in card.text
    assert not raced
    assert "Maria" not in stored_words(sessions)


def test_after_accepting_the_agent_writes_through_the_bot_and_the_relay_goes_on(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    [accepted, *_home] = first.tap(f"accept:{lead_id}")
    assert [option.label for option in accepted.options] == ["Message the consumer"]
    first.tap(accepted.options[0].id)
    first.say("We can visit your roof on Monday morning.")
    message = notifications_to(sessions, CONSUMER_CHAT)[-1]
    consumer.tap(message.options[0].id)
    consumer.say("Monday works.")

    assert message.text == (
        f'{SOLAR_SUPPLIER} writes about your request: "We can visit your roof on Monday morning."'
    )
    answer = notifications_to(sessions, first.chat_id)[-1]
    assert answer.text == f'The consumer of lead #{lead_id} answers: "Monday works."'
    assert option_ids(answer) == [f"ask:{lead_id}"]  # and so on, both ways
    with sessions() as session:
        transcript = lead_transcript(session, lead_id)
    assert [(line.sender, line.body) for line in transcript] == [
        ("supplier", "We can visit your roof on Monday morning."),
        ("consumer", "Monday works."),
    ]


def test_a_question_typed_after_a_colleague_declined_the_lead_is_not_relayed(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id

    first.tap(f"ask:{lead_id}")  # while the first types, a colleague declines
    second.tap(f"decline:{lead_id}")
    second.tap("area")
    said = first.say("Is your roof made of ceramic tiles?")

    assert said[0].text == f"Lead #{lead_id} was already answered."
    [declined] = notifications_to(sessions, CONSUMER_CHAT)
    assert "cannot take your request" in declined.text
    with sessions() as session:
        assert lead_transcript(session, lead_id) == []


def test_a_typed_decline_reason_stays_out_of_the_consumers_push(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead = only_lead(sessions)
    consumer_device(sessions, lead, clock)

    first.tap(f"decline:{lead.id}")
    first.say("The roof at Rua das Flores 12 is shaded, Maria")

    [news] = notifications_to(sessions, CONSUMER_CHAT)
    assert "Rua das Flores 12" in news.text  # the chat has the agent's words
    with sessions() as session:
        [pushed] = [
            str(row.payload["text"])
            for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "push")
            )
        ]
    assert pushed == f"{SOLAR_SUPPLIER} cannot take your request."


def test_an_answer_to_a_supplier_that_declined_since_is_not_relayed(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.tap(f"ask:{lead_id}")
    first.say("Is your roof made of ceramic tiles?")
    [question] = notifications_to(sessions, CONSUMER_CHAT)
    second.tap(f"decline:{lead_id}")
    second.tap("area")
    to_agents_before = len(notifications_to(sessions, first.chat_id))

    tapped = consumer.tap(question.options[0].id)  # the question's button, after the decline

    assert tapped[0].text == (
        f"{SOLAR_SUPPLIER} no longer takes this request, so there is nothing to answer."
    )
    assert consumer.state(sessions).state == "done"  # where they were
    assert len(notifications_to(sessions, first.chat_id)) == to_agents_before
    with sessions() as session:
        assert [line.sender for line in lead_transcript(session, lead_id)] == ["supplier"]


def test_an_answer_typed_while_the_supplier_declined_is_not_relayed(
    agents_and_consumer: tuple[Chat, Chat, Chat], sessions: sessionmaker[Session]
) -> None:
    first, second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.tap(f"ask:{lead_id}")
    first.say("Is your roof made of ceramic tiles?")
    [question] = notifications_to(sessions, CONSUMER_CHAT)
    consumer.tap(question.options[0].id)  # while the consumer types, the supplier declines
    second.tap(f"decline:{lead_id}")
    second.tap("area")
    to_agents_before = len(notifications_to(sessions, first.chat_id))

    said = consumer.say("Yes, ceramic.")

    assert said[0].text == (
        f"{SOLAR_SUPPLIER} no longer takes this request, so there is nothing to answer."
    )
    assert consumer.state(sessions).state == "done"
    assert len(notifications_to(sessions, first.chat_id)) == to_agents_before
    with sessions() as session:
        assert [line.sender for line in lead_transcript(session, lead_id)] == ["supplier"]


def test_a_message_after_accepting_is_pushed_as_a_message_not_a_question(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead = only_lead(sessions)
    consumer_device(sessions, lead, clock)
    [accepted, *_home] = first.tap(f"accept:{lead.id}")
    first.tap(accepted.options[0].id)

    first.say("We can visit your roof on Monday morning.")

    with sessions() as session:
        pushed = [
            str(row.payload["text"])
            for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "push")
            )
        ]
    assert pushed[-1] == f"{SOLAR_SUPPLIER} sent you a message about your request."


def test_a_question_and_a_colleagues_decline_at_once_reach_the_consumer_in_order(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    first, second, consumer = agents_and_consumer
    leave_lead(consumer)
    lead_id = only_lead(sessions).id
    first.tap(f"ask:{lead_id}")
    second.tap(f"decline:{lead_id}")
    paused = PausedTranscripts()
    asking_engine = ConversationEngine(
        sessions,
        market_engine.runner.flows,
        clock=clock,
        default_flow=CONSUMER.name,
        transcripts=paused,
    )
    asking = Chat(asking_engine, first.chat_id, channel=first.channel, locale="en")

    with ThreadPoolExecutor(max_workers=2) as pool:
        # The question is relayed, not committed yet...
        sent = pool.submit(asking.say, "Is your roof made of ceramic tiles?")
        assert paused.written.wait(timeout=30)
        # ...when the colleague declines: the decline waits for the question.
        declined = pool.submit(second.tap, "area")
        raced = wait([declined], timeout=1).done
        paused.go_on.set()
        sent.result(timeout=30)
        declined.result(timeout=30)

    assert not raced
    told = [note.text for note in notifications_to(sessions, CONSUMER_CHAT)]
    assert len(told) == 2
    assert "asks about your request" in told[0]
    assert "cannot take your request" in told[1]  # the last word: it is over


def test_news_committed_while_a_web_chat_reloads_is_shown_once(
    agents_and_consumer: tuple[Chat, Chat, Chat],
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: ids are taken in commit order")
    _first, _second, consumer = agents_and_consumer
    leave_lead(consumer)
    news = sessions()
    news.begin()  # another conversation's news to this chat, its id taken, not committed
    draft = outbox.OutboxDraft(
        "web", CONSUMER_CHAT, {"text": "Late news", "options": []}, kind="notification"
    )
    outbox.add_messages(news, [draft], clock.now())
    pull_all = outbox.pull_all

    def committed_meanwhile(*args: Any, **kwargs: Any) -> int:
        if news.in_transaction():
            news.commit()  # while the page's history is being read
        return pull_all(*args, **kwargs)

    monkeypatch.setattr(outbox, "pull_all", committed_meanwhile)
    webchat = WebChat(market_engine, sessions, clock, tokens=ChatTokens(CONTRACT_SECRET))

    history = webchat.history(CONSUMER_CHAT)
    pulled = webchat.pull(CONSUMER_CHAT, after=history.last)
    news.close()

    shown = [line["text"] for line in history.lines] + [message.text for message in pulled]
    assert shown.count("Late news") == 1
