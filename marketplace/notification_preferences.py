"""What each person wants: push and e-mail on or off, and the e-mail address we may use.

Without a row both deliveries are on: they carry what the person asked for (their lead,
their receipt). A consumer's address is used only while their consent to be written to by
e-mail stands; an agent's is the one they gave for their work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.consents import (
    EMAIL_CONTACT,
    has_purpose_consent,
    record_purpose_consent,
    revoke_purpose_consent,
)
from marketplace.models import Consumer, NotificationPreference, SupplierAgent
from marketplace.people import Person, PersonKind


@dataclass(frozen=True)
class Preferences:
    """Which deliveries besides the chat a person accepts."""

    push: bool = True
    email: bool = True


def preferences_of(session: Session, person: Person) -> Preferences:
    """The person's preferences (both on when they never changed them)."""
    row = session.execute(
        select(NotificationPreference.push, NotificationPreference.email).where(
            NotificationPreference.person_kind == person.kind.value,
            NotificationPreference.person_id == person.id,
        )
    ).first()
    return Preferences(push=row.push, email=row.email) if row else Preferences()


def set_preferences(
    session: Session,
    person: Person,
    now: datetime,
    *,
    push: bool | None = None,
    email: bool | None = None,
) -> Preferences:
    """Change the named preferences, keep the others; returns the new ones."""
    current = preferences_of(session, person)
    wanted = Preferences(
        push=current.push if push is None else push,
        email=current.email if email is None else email,
    )
    key = (NotificationPreference.person_kind == person.kind.value) & (
        NotificationPreference.person_id == person.id
    )
    values = {"push": wanted.push, "email": wanted.email, "updated_at": now}
    changed = session.connection().execute(
        update(NotificationPreference).where(key).values(**values)
    )
    if changed.rowcount:
        return wanted
    try:
        with session.begin_nested():
            session.add(
                NotificationPreference(
                    person_kind=person.kind.value, person_id=person.id, **values
                )
            )
    except IntegrityError:
        session.execute(update(NotificationPreference).where(key).values(**values))
    return wanted


def email_address(session: Session, person: Person) -> str | None:
    """Where this person may be e-mailed, if anywhere."""
    if person.kind is PersonKind.AGENT:
        return session.scalar(select(SupplierAgent.email).where(SupplierAgent.id == person.id))
    if not has_purpose_consent(session, person.id, EMAIL_CONTACT):
        return None
    return session.scalar(select(Consumer.email).where(Consumer.id == person.id))


def set_email_address(
    session: Session, person: Person, address: str | None, now: datetime
) -> None:
    """Keep the address the person gave for notifications, or forget it (None).

    For a consumer, giving it is also the consent to be written to there, and forgetting it
    withdraws that consent.
    """
    if person.kind is PersonKind.AGENT:
        session.execute(
            update(SupplierAgent).where(SupplierAgent.id == person.id).values(email=address)
        )
        return
    session.execute(update(Consumer).where(Consumer.id == person.id).values(email=address))
    if address is None:
        revoke_purpose_consent(session, person.id, EMAIL_CONTACT, now)
    else:
        record_purpose_consent(session, person.id, EMAIL_CONTACT, now)
