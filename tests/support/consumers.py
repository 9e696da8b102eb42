"""Consumers and demo offers written straight to the database, for service tests."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.consents import record_privacy_consent
from marketplace.consumers import ensure_consumers
from marketplace.models import Offer
from tests.conftest import TEST_NOW

_chats = itertools.count(1)


def new_consumer(session: Session, *, agreed: bool = True) -> int:
    """A consumer who wrote on the test channel, having accepted the privacy terms or not."""
    key = ("test", f"person-{next(_chats)}")
    consumer_id = ensure_consumers(session, {key: "pt_BR"}, TEST_NOW)[key]
    if agreed:
        record_privacy_consent(session, consumer_id, TEST_NOW)
    return consumer_id


def offer_id(session: Session, code: str) -> int:
    """The id of the offer with this catalog code (codes are unique in the demo catalog)."""
    return session.scalars(select(Offer.id).where(Offer.code == code)).one()
