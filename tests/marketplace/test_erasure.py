"""Forgetting a consumer who declined: personal data, consents, leads, transcript, messages."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace import outbox
from marketplace.catalog import load_demo_catalog
from marketplace.consumers import ConsumptionProfile, update_consumption
from marketplace.erasure import forget_consumer
from marketplace.leads import LeadContact, LeadRequest, create_lead
from marketplace.models import (
    ChannelIdentity,
    Consent,
    Consumer,
    Conversation,
    Lead,
    OutboxMessage,
    TranscriptEntry,
)
from marketplace.transcripts import SqlTranscriptStore, TranscriptLine
from tests.conftest import TEST_NOW
from tests.marketplace.factories import distributor_id
from tests.support.consumers import new_consumer, offer_id


def add_conversation(session: Session, consumer_id: int, chat_id: str) -> int:
    conversation = Conversation(
        channel="test",
        chat_id=chat_id,
        consumer_id=consumer_id,
        flow="consumer",
        state="cep",
        data={},
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
    )
    session.add(conversation)
    session.flush()
    return conversation.id


def add_history(session: Session, conversation_id: int, text: str) -> None:
    SqlTranscriptStore().append(
        session, [TranscriptLine(conversation_id, "in", {"text": text}, TEST_NOW)]
    )
    draft = outbox.OutboxDraft(
        channel="test",
        recipient="chat",
        payload={"text": text, "options": []},
        conversation_id=conversation_id,
    )
    outbox.add_messages(session, [draft], TEST_NOW)


def test_forgetting_leaves_no_personal_data_of_that_consumer(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        load_demo_catalog(session)
        consumer, neighbour = new_consumer(session), new_consumer(session)
        enel_ce = distributor_id(session, "ENEL CE")
        profile = ConsumptionProfile("CE", enel_ce, Decimal("350"), Decimal("348.7"))
        update_consumption(session, consumer, profile)
        create_lead(
            session,
            LeadRequest(
                consumer_id=consumer,
                offer_id=offer_id(session, "SN-CE-12M"),
                contact=LeadContact("Maria Silva", email="maria@example.com"),
                uf="CE",
                distributor_id=enel_ce,
                monthly_kwh=None,
                bill_brl=Decimal("350"),
                monthly_saving_brl=None,
            ),
            TEST_NOW,
        )
        mine = add_conversation(session, consumer, "maria")
        theirs = add_conversation(session, neighbour, "joao")
        add_history(session, mine, "Olá, Maria!")
        add_history(session, theirs, "Olá, João!")

    with sessions.begin() as session:
        erasure = forget_consumer(session, consumer, conversation_id=mine)

    assert (erasure.leads, erasure.consents, erasure.transcript_lines, erasure.messages) == (
        1,
        2,
        1,
        1,
    )
    with sessions() as session:
        person = session.get_one(Consumer, consumer)
        assert (person.name, person.phone, person.email) == (None, None, None)
        assert (person.uf, person.distributor_id, person.bill_brl, person.monthly_kwh) == (
            None,
            None,
            None,
            None,
        )
        assert session.scalar(select(func.count()).select_from(Lead)) == 0
        assert {c.consumer_id for c in session.scalars(select(Consent))} == {neighbour}
        assert {e.conversation_id for e in session.scalars(select(TranscriptEntry))} == {theirs}
        assert {m.conversation_id for m in session.scalars(select(OutboxMessage))} == {theirs}
        assert session.scalars(select(ChannelIdentity.consumer_id)).all().count(consumer) == 1


def test_a_message_being_sent_goes_too_and_is_never_sent_again(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session)
        conversation = add_conversation(session, consumer, "maria")
        add_history(session, conversation, "Olá, Maria!")
        add_history(session, conversation, "Qual o seu CEP?")
        # A dispatcher holds the first one, and dies (or is still sending it).
        [claimed] = outbox.claim_due(session, "test", TEST_NOW, limit=1)

    with sessions.begin() as session:
        erasure = forget_consumer(session, consumer, conversation_id=conversation)

    assert erasure.messages == 2
    later = TEST_NOW + 10 * outbox.DEFAULT_LEASE  # its lease long run out
    with sessions.begin() as session:
        assert session.scalars(select(OutboxMessage.id)).all() == []
        assert outbox.claim_due(session, "test", later, limit=10) == []
        # What its dispatcher does once that attempt ends finds nothing to keep or retry.
        assert not outbox.note_parts_sent(session, claimed.id, 1)
        assert not outbox.mark_sent(session, claimed.id, later)
        assert outbox.mark_failed(session, claimed.id, "timeout", later) == outbox.FAILED
        assert not outbox.hold(session, claimed.id)
        assert not outbox.is_stored(session, claimed.id)


def test_what_an_agents_chat_keeps_of_the_consumer_goes_with_them(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        consumer, neighbour, agent = (new_consumer(session) for _ in range(3))
        mine = add_conversation(session, consumer, "maria")
        agents = add_conversation(session, agent, "agent")
        SqlTranscriptStore().append(
            session,
            [
                TranscriptLine(agents, "in", {"text": "accept"}, TEST_NOW),
                TranscriptLine(agents, "out", {"text": "Maria Silva"}, TEST_NOW, consumer),
                TranscriptLine(agents, "out", {"text": "João Souza"}, TEST_NOW, neighbour),
                TranscriptLine(agents, "out", {"text": "Home"}, TEST_NOW),
            ],
        )
        replies = [
            outbox.OutboxDraft(
                "test", "agent", {"text": text}, conversation_id=agents, about_consumer_id=about
            )
            for text, about in (("Maria Silva", consumer), ("João Souza", neighbour))
        ]
        sent, _pending = outbox.add_messages(session, replies, TEST_NOW)
        assert outbox.claim_due(session, "test", TEST_NOW, limit=1)[0].id == sent
        outbox.mark_sent(session, sent, TEST_NOW)  # already delivered: it goes all the same

    with sessions.begin() as session:
        erasure = forget_consumer(session, consumer, conversation_id=mine)

    assert (erasure.transcript_lines, erasure.messages) == (1, 1)
    with sessions() as session:
        lines = SqlTranscriptStore().history(session, agents)
        left = session.scalars(select(OutboxMessage.payload)).all()
    assert [(line.body["text"], line.about_consumer) for line in lines] == [
        ("accept", None),
        ("João Souza", neighbour),
        ("Home", None),
    ]
    assert left == [{"text": "João Souza"}]
