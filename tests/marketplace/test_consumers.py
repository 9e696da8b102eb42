"""What a consumer told the bot is kept only once they accepted the privacy terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.consents import (
    MissingConsent,
    has_privacy_consent,
    record_privacy_consent,
)
from marketplace.consumers import ConsumptionProfile, update_consumption
from marketplace.models import Consumer
from tests.conftest import TEST_NOW
from tests.marketplace.factories import distributor_id
from tests.support.consumers import new_consumer


def test_consumption_is_kept_rounded_as_stored(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session)
        enel_ce = distributor_id(session, "ENEL CE")
        profile = ConsumptionProfile("CE", enel_ce, Decimal("350.005"), Decimal("348.6617"))
        update_consumption(session, consumer, profile)

    with sessions() as session:
        person = session.get_one(Consumer, consumer)
    assert (person.uf, person.distributor_id) == ("CE", enel_ce)
    assert (person.bill_brl, person.monthly_kwh) == (Decimal("350.01"), Decimal("348.7"))


def test_nothing_is_kept_before_the_privacy_terms(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session, agreed=False)
        profile = ConsumptionProfile("CE", distributor_id(session, "ENEL CE"), None, None)
        with pytest.raises(MissingConsent):
            update_consumption(session, consumer, profile)


def test_accepting_the_terms_twice_keeps_one_consent(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        consumer = new_consumer(session, agreed=False)
        assert not has_privacy_consent(session, consumer)
        first = record_privacy_consent(session, consumer, TEST_NOW)
        again = record_privacy_consent(session, consumer, TEST_NOW)

        assert first == again
        assert has_privacy_consent(session, consumer)
