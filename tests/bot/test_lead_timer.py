"""The lead timer task: it sweeps on its own and stops when asked."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.lead_timer import LeadTimer
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.leads import LeadContact, LeadRequest, create_lead
from marketplace.models import Lead
from tests.marketplace.factories import distributor_id
from tests.support.consumers import new_consumer, offer_id


def test_the_timer_marks_an_overdue_lead_missed_then_stops(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
        request = LeadRequest(
            consumer_id=new_consumer(session),
            offer_id=offer_id(session, "TL-SOLAR-NE"),
            contact=LeadContact("Maria Silva", email="maria@example.com"),
            uf="CE",
            distributor_id=distributor_id(session, "ENEL CE"),
            monthly_kwh=None,
            bill_brl=None,
            monthly_saving_brl=None,
        )
        lead_id = create_lead(session, request, clock.now()).id
    clock.advance(hours=8, seconds=1)

    async def run_briefly() -> None:
        timer = LeadTimer(sessions, clock, interval=0.01)
        timer.start()
        for _ in range(200):
            await asyncio.sleep(0.01)
            with sessions() as session:
                if session.get(Lead, lead_id).status == "missed":  # type: ignore[union-attr]
                    break
        await asyncio.wait_for(timer.stop(), timedelta(seconds=5).total_seconds())

    asyncio.run(run_briefly())

    with sessions() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == "missed"
