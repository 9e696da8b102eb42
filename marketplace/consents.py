"""Consents a consumer gives in chat: the privacy terms, and sharing data with one supplier.

LGPD asks that every use of personal data rest on a purpose the person agreed to; sharing
with a supplier is its own purpose and names that supplier. Being written to by e-mail and
receiving marketing are purposes of their own too, each given and withdrawn in chat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Exists, exists, insert, literal, select, update
from sqlalchemy.orm import Session

from marketplace.models import Consent

PRIVACY_TERMS = "privacy_terms"
SHARE_WITH_SUPPLIER = "share_with_supplier"
EMAIL_CONTACT = "email_contact"  # we may write to the e-mail the consumer gave us
MARKETING = "marketing"  # news and offers we push unasked: never without this


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
    # One statement in the usual case (a first acceptance): insert unless one stands.
    values = select(
        literal(consumer_id), literal(PRIVACY_TERMS), literal(now, Consent.granted_at.type)
    ).where(~privacy_consent_standing(consumer_id))
    statement = (
        insert(Consent)
        .from_select(["consumer_id", "purpose", "granted_at"], values)
        .returning(Consent.id)
    )
    created = session.execute(statement).scalar()
    if created is not None:
        return created
    standing = session.execute(
        select(Consent.id).where(_standing(consumer_id)).order_by(Consent.id).limit(1)
    )
    return standing.scalar_one()


def has_privacy_consent(session: Session, consumer_id: int) -> bool:
    """Whether the consumer's acceptance of the privacy terms stands (not revoked)."""
    return bool(session.execute(select(privacy_consent_standing(consumer_id))).scalar())


def privacy_consent_standing(consumer_id: int) -> Exists:
    """`EXISTS` a standing acceptance of the privacy terms, to check within a statement."""
    return exists().where(_standing(consumer_id))


def record_share_consent(
    session: Session, consumer_id: int, supplier_id: int, now: datetime
) -> int:
    """Record that the consumer lets us send their contact to this one supplier."""
    statement = (
        insert(Consent)
        .values(
            consumer_id=consumer_id,
            purpose=SHARE_WITH_SUPPLIER,
            supplier_id=supplier_id,
            granted_at=now,
        )
        .returning(Consent.id)
    )
    created: int = session.execute(statement).scalar_one()
    return created


def _standing(consumer_id: int) -> ColumnElement[bool]:
    return (
        (Consent.consumer_id == consumer_id)
        & (Consent.purpose == PRIVACY_TERMS)
        & Consent.supplier_id.is_(None)
        & Consent.revoked_at.is_(None)
    )


def record_purpose_consent(
    session: Session, consumer_id: int, purpose: str, now: datetime
) -> None:
    """Record a consent to a purpose without a supplier (e-mail contact, marketing), once."""
    if has_purpose_consent(session, consumer_id, purpose):
        return
    session.execute(
        insert(Consent).values(consumer_id=consumer_id, purpose=purpose, granted_at=now)
    )


def revoke_purpose_consent(
    session: Session, consumer_id: int, purpose: str, now: datetime
) -> bool:
    """Withdraw a standing consent to a purpose without a supplier; whether one stood."""
    result = session.connection().execute(
        update(Consent).where(_standing_purpose(consumer_id, purpose)).values(revoked_at=now)
    )
    return result.rowcount > 0


def has_purpose_consent(session: Session, consumer_id: int, purpose: str) -> bool:
    """Whether the consumer's consent to this purpose (without a supplier) stands."""
    statement = select(exists().where(_standing_purpose(consumer_id, purpose)))
    return bool(session.execute(statement).scalar())


def _standing_purpose(consumer_id: int, purpose: str) -> ColumnElement[bool]:
    return (
        (Consent.consumer_id == consumer_id)
        & (Consent.purpose == purpose)
        & Consent.supplier_id.is_(None)
        & Consent.revoked_at.is_(None)
    )
