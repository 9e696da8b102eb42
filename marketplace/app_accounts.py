"""App accounts: which person an identity provider's signed-in user is.

The app signs its user in with an identity provider (Auth0 or any OIDC), whose tokens name
the user by issuer and subject, which mean nothing to us. The person asks the bot for a
link code in chat (`/app`) and types it into the app once; the app sends it with its first
device registration, and from then on the subject stands for that person. A code works once
and for a short while; only its hash is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.models import AppAccount, AppLinkCode
from marketplace.people import Person, PersonKind

LINK_CODE_LIFETIME = timedelta(minutes=15)
LINK_PREFIX = "APP-"
# The invite codes' alphabet: no 0/O, 1/I/L, so a code can be read off one screen and typed.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
_CODE_SHAPE = re.compile(rf"^APP-?([{CODE_ALPHABET}]{{{CODE_LENGTH}}})$")


class LinkCodeRejected(Exception):
    """The code is unknown, used or expired (which one is not told: it would help guessing)."""


def create_link_code(
    session: Session, person: Person, now: datetime, *, lifetime: timedelta = LINK_CODE_LIFETIME
) -> str:
    """A new one-time code that links an app account to `person`."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(
        AppLinkCode(
            code_hash=_hash(body),
            person_kind=person.kind,
            person_id=person.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return f"{LINK_PREFIX}{body}"


def person_of_subject(session: Session, issuer: str, subject: str) -> Person | None:
    """The person this subject was linked to, if it was."""
    row = session.execute(
        select(AppAccount.person_kind, AppAccount.person_id).where(
            AppAccount.issuer == issuer, AppAccount.subject == subject
        )
    ).first()
    return Person(PersonKind(row.person_kind), row.person_id) if row else None


def link_subject(session: Session, issuer: str, subject: str, code: str, now: datetime) -> Person:
    """Redeem a link code for this subject; returns the person it now stands for.

    Raises:
        LinkCodeRejected: the code is malformed, unknown, used or expired.
    """
    match = _CODE_SHAPE.match(code.strip().upper())
    if match is None:
        raise LinkCodeRejected
    redeemed = session.execute(
        update(AppLinkCode)
        .where(
            AppLinkCode.code_hash == _hash(match.group(1)),
            AppLinkCode.used_at.is_(None),
            AppLinkCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(AppLinkCode.person_kind, AppLinkCode.person_id)
    ).first()
    if redeemed is None:
        raise LinkCodeRejected
    person = Person(PersonKind(redeemed.person_kind), redeemed.person_id)
    try:
        with session.begin_nested():
            session.add(
                AppAccount(
                    issuer=issuer,
                    subject=subject,
                    person_kind=person.kind,
                    person_id=person.id,
                    created_at=now,
                )
            )
    except IntegrityError:
        # Linked meanwhile (two requests at once); the code now moves it to this person.
        session.execute(
            update(AppAccount)
            .where(AppAccount.issuer == issuer, AppAccount.subject == subject)
            .values(person_kind=person.kind, person_id=person.id)
        )
    return person


def _hash(body: str) -> str:
    return hashlib.sha256(body.encode("ascii")).hexdigest()
