"""The benchmark's workloads do what docs/performance.md says they do."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.catalog import BENCH_CATALOG
from bench.personas import MESSAGES_PER_CONVERSATION, PERSONAS
from bench.timed import check
from bench.workloads import CONSUMER_FLOW, SYNTHETIC, build_workload
from conversations.engine import ConversationEngine
from marketplace.catalog import load_catalog, load_demo_catalog
from marketplace.catalog_files import read_catalog_bytes
from marketplace.clock import FixedClock


def test_every_persona_reaches_its_lead_through_the_real_flow(
    engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
        load_catalog(session, read_catalog_bytes(BENCH_CATALOG, catalog_format="json"))
    workload = build_workload(
        CONSUMER_FLOW,
        messages=60 * MESSAGES_PER_CONVERSATION,
        conversations=60,
        seed=7,
        run_id="t",
    )
    chat_engine = ConversationEngine(
        sessions, {workload.flow.name: workload.flow}, clock=clock, default_flow="consumer"
    )

    for events in workload.batches(50):
        chat_engine.handle_batch(events)

    met = {
        conversation.persona.name
        for conversation in workload.conversations
        if conversation.persona
    }
    assert met == {persona.name for persona in PERSONAS}
    assert check(engine, workload, CONSUMER_FLOW) == []


def test_messages_arrive_interleaved_each_conversation_in_order() -> None:
    workload = build_workload(SYNTHETIC, messages=2_000, conversations=100, seed=3, run_id="t")

    order = [message for _, message in workload.arrivals]
    seen: dict[int, int] = {}
    for conversation, message in workload.arrivals:
        assert message == seen.get(conversation, -1) + 1
        seen[conversation] = message
    assert order != sorted(order)  # conversations overlap rather than run one after another
    assert Counter(seen.values()) == {19: 100}


def test_lanes_share_out_whole_conversations() -> None:
    workload = build_workload(SYNTHETIC, messages=400, conversations=40, seed=3, run_id="t")

    lanes = [
        {event.chat_id for batch in workload.batches(25, lane=lane, lanes=3) for event in batch}
        for lane in range(3)
    ]

    assert len(set().union(*lanes)) == sum(len(chats) for chats in lanes) == 40
