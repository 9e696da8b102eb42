"""The response-time timer: stored on the lead, so it fires after a restart, once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine import ConversationEngine
from conversations.lead_timers import sweep_overdue_leads
from marketplace.clock import FixedClock
from marketplace.db import make_engine, make_session_factory
from marketplace.models import Supplier
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import PATHS
from tests.conversations.supplier_support import (
    SOLAR_SUPPLIER,
    invite_code,
    notifications_to,
    only_lead,
)


def leave_lead_with_agent(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> Chat:
    """An agent of the solar supplier, and a consumer's lead to it (8 h response time)."""
    agent = Chat(market_engine, "7001", channel="telegram", locale="en")
    agent.say(invite_code(sessions, clock, SOLAR_SUPPLIER))
    Chat(market_engine, "consumer-7", channel="web", locale="en").go_through(*PATHS["done"])
    return agent


def missed_leads(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalars(
            select(Supplier.missed_leads).where(Supplier.name == SOLAR_SUPPLIER)
        ).one()


def test_nothing_is_missed_before_the_response_time(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    leave_lead_with_agent(market_engine, sessions, clock)
    clock.advance(hours=7, minutes=59)

    assert sweep_overdue_leads(sessions, clock) == 0
    assert only_lead(sessions).status == "new"


def test_the_timer_fires_after_a_restart_and_offers_the_next_offer(
    market_engine: ConversationEngine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    database_url: str,
) -> None:
    leave_lead_with_agent(market_engine, sessions, clock)
    clock.advance(hours=8, seconds=1)
    # Another process, with its own connections and nothing in memory, does the sweep.
    restarted_engine = make_engine(database_url)
    restarted = make_session_factory(restarted_engine)

    try:
        assert sweep_overdue_leads(restarted, clock) == 1
    finally:
        restarted_engine.dispose()

    lead = only_lead(sessions)
    assert (lead.status, lead.missed_at) == ("missed", clock.now())
    assert missed_leads(sessions) == 1
    [news] = notifications_to(sessions, "consumer-7")
    assert news.text.startswith(
        f"{SOLAR_SUPPLIER} did not answer your request in time.\nThe next best offer for you:"
    )
    assert news.options[0].id.startswith(f"next:{lead.id}:")


def test_an_agent_answering_after_the_miss_is_told(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    agent = leave_lead_with_agent(market_engine, sessions, clock)
    lead_id = only_lead(sessions).id
    clock.advance(hours=9)
    sweep_overdue_leads(sessions, clock)

    replies = agent.tap(f"accept:{lead_id}")

    assert replies[0].text == (
        f"Lead #{lead_id} passed its response time; the consumer was offered another."
    )
    assert only_lead(sessions).status == "missed"


def test_sweeps_in_several_processes_miss_a_lead_once(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    leave_lead_with_agent(market_engine, sessions, clock)
    clock.advance(hours=9)

    with ThreadPoolExecutor(max_workers=3) as pool:
        counts = list(pool.map(lambda _: sweep_overdue_leads(sessions, clock), range(3)))

    assert sorted(counts) == [0, 0, 1]
    assert missed_leads(sessions) == 1
    assert len(notifications_to(sessions, "consumer-7")) == 1
