"""Leads: the share consent naming the supplier comes first, and a request counts once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.consents import SHARE_WITH_SUPPLIER, MissingConsent
from marketplace.lead_views import load_lead_view
from marketplace.leads import (
    LeadContact,
    LeadRequest,
    LeadStatus,
    OfferUnavailable,
    create_lead,
    find_lead,
)
from marketplace.models import Consent, Lead, Offer
from tests.conftest import TEST_NOW
from tests.marketplace.factories import distributor_id
from tests.support.consumers import new_consumer, offer_id

MARIA = LeadContact(name="Maria Silva", phone="+5585999991234")


@pytest.fixture
def demo_catalog(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)


def request_for(
    session: Session, consumer_id: int, code: str, *, uf: str = "CE", sigla: str = "ENEL CE"
) -> LeadRequest:
    return LeadRequest(
        consumer_id=consumer_id,
        offer_id=offer_id(session, code),
        contact=MARIA,
        uf=uf,
        distributor_id=distributor_id(session, sigla),
        monthly_kwh=Decimal("348.66"),
        bill_brl=Decimal("350"),
        monthly_saving_brl=Decimal("45.93"),
    )


def count(session: Session, model: type[Lead] | type[Consent]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.usefixtures("demo_catalog")
def test_a_lead_rests_on_a_consent_naming_the_offers_supplier(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session)
        record = create_lead(session, request_for(session, consumer, "SN-CE-12M"), TEST_NOW)

    with sessions() as session:
        lead = session.get_one(Lead, record.id)
        consent = session.get_one(Consent, lead.consent_id)
        offer = session.get_one(Offer, lead.offer_id)
    assert record.created
    assert (consent.purpose, consent.supplier_id) == (SHARE_WITH_SUPPLIER, offer.supplier_id)
    assert consent.consumer_id == consumer
    assert (lead.status, lead.supplier_id) == (LeadStatus.NEW, offer.supplier_id)
    assert (lead.contact_name, lead.contact_phone, lead.contact_email) == (
        "Maria Silva",
        "+5585999991234",
        None,
    )
    assert (lead.monthly_kwh, lead.bill_brl, lead.monthly_saving_brl) == (
        Decimal("348.7"),
        Decimal("350.00"),
        Decimal("45.93"),
    )


@pytest.mark.usefixtures("demo_catalog")
def test_the_agent_sees_the_distributor_by_the_name_the_consumer_chose(
    sessions: sessionmaker[Session],
) -> None:
    # ANEEL registers ENEL SP as ELETROPAULO; the consumer's chat offered "ENEL SP".
    with sessions.begin() as session:
        consumer = new_consumer(session)
        request = request_for(session, consumer, "RL-ENELSP-12M", uf="SP", sigla="ELETROPAULO")
        record = create_lead(session, request, TEST_NOW)

    with sessions() as session:
        view = load_lead_view(session, record.id)
    assert view is not None
    assert view.distributor_name == "ENEL SP"


@pytest.mark.usefixtures("demo_catalog")
def test_free_market_leads_wait_on_the_waitlist(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session)
        record = create_lead(session, request_for(session, consumer, "VA-ACL-NE"), TEST_NOW)

    assert record.status == LeadStatus.WAITLIST


@pytest.mark.usefixtures("demo_catalog")
def test_asking_twice_for_one_offer_returns_the_first_lead(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session)
        first = create_lead(session, request_for(session, consumer, "SN-CE-12M"), TEST_NOW)
    with sessions.begin() as session:
        again = create_lead(session, request_for(session, consumer, "SN-CE-12M"), TEST_NOW)
        other = create_lead(session, request_for(session, consumer, "TL-SOLAR-NE"), TEST_NOW)

    assert (again.id, again.created) == (first.id, False)
    assert other.id != first.id
    with sessions() as session:
        assert count(session, Lead) == 2
        assert count(session, Consent) == 3  # privacy terms, then one per supplier asked


@pytest.mark.usefixtures("demo_catalog")
def test_no_lead_without_the_privacy_terms(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session, agreed=False)
        with pytest.raises(MissingConsent):
            create_lead(session, request_for(session, consumer, "SN-CE-12M"), TEST_NOW)
        assert count(session, Lead) == count(session, Consent) == 0


@pytest.mark.usefixtures("demo_catalog")
def test_no_lead_for_a_withdrawn_offer(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session)
        request = request_for(session, consumer, "SN-CE-12M")
        session.execute(update(Offer).where(Offer.id == request.offer_id).values(active=False))
        with pytest.raises(OfferUnavailable):
            create_lead(session, request, TEST_NOW)
        assert find_lead(session, consumer, request.offer_id) is None


@pytest.mark.usefixtures("demo_catalog")
def test_two_transactions_asking_at_once_make_one_lead(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers, so the two requests cannot overlap")
    with sessions.begin() as session:
        consumer = new_consumer(session)
        request = request_for(session, consumer, "SN-CE-12M")
    results = {}

    def second_request() -> None:
        with sessions.begin() as session:
            results["second"] = create_lead(session, request, TEST_NOW)

    with sessions.begin() as session:
        results["first"] = create_lead(session, request, TEST_NOW)
        waiting = threading.Thread(target=second_request)
        waiting.start()  # blocks on the unique key until this transaction commits
        waiting.join(timeout=0.5)
        assert waiting.is_alive()
    waiting.join(timeout=10)

    assert results["second"].id == results["first"].id
    assert not results["second"].created
    with sessions() as session:
        assert count(session, Lead) == 1
        assert count(session, Consent) == 2
