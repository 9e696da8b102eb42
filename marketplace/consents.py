"""Consents a consumer gives in chat: the privacy terms, and sharing data with one supplier.

LGPD asks that every use of personal data rest on a purpose the person agreed to; sharing
with a supplier is its own purpose and names that supplier.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.models import Consent

PRIVACY_TERMS = "privacy_terms"
SHARE_WITH_SUPPLIER = "share_with_supplier"


class MissingConsent(PermissionError):
    """Personal data was about to be used without the consent its purpose needs."""

    def __init__(self, consumer_id: int, purpose: str) -> None:
        super().__init__(f"consumer {consumer_id} has not agreed to {purpose}")
        self.consumer_id = consumer_id
        self.purpose = purpose


def record_privacy_consent(session: Session, consumer_id: int, now: datetime) -> int:
    """Record that the consumer accepted the privacy terms; returns the consent's id.

    Accepting again while an earlier acceptance stands adds nothing: that one is returned.
    """
    standing = _standing(session, consumer_id, PRIVACY_TERMS, supplier_id=None)
    if standing is not None:
        return standing
    return _add(session, consumer_id, PRIVACY_TERMS, supplier_id=None, now=now)


def has_privacy_consent(session: Session, consumer_id: int) -> bool:
    """Whether the consumer's acceptance of the privacy terms stands (not revoked)."""
    return _standing(session, consumer_id, PRIVACY_TERMS, supplier_id=None) is not None


def record_share_consent(
    session: Session, consumer_id: int, supplier_id: int, now: datetime
) -> int:
    """Record that the consumer lets us send their contact to this one supplier."""
    return _add(session, consumer_id, SHARE_WITH_SUPPLIER, supplier_id=supplier_id, now=now)


def _standing(
    session: Session, consumer_id: int, purpose: str, *, supplier_id: int | None
) -> int | None:
    return session.scalars(
        select(Consent.id)
        .where(
            Consent.consumer_id == consumer_id,
            Consent.purpose == purpose,
            Consent.supplier_id.is_(None)
            if supplier_id is None
            else Consent.supplier_id == supplier_id,
            Consent.revoked_at.is_(None),
        )
        .order_by(Consent.id)
    ).first()


def _add(
    session: Session, consumer_id: int, purpose: str, *, supplier_id: int | None, now: datetime
) -> int:
    consent = Consent(
        consumer_id=consumer_id, purpose=purpose, supplier_id=supplier_id, granted_at=now
    )
    session.add(consent)
    session.flush()
    return consent.id
