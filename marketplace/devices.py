"""Devices that receive push notifications: one FCM registration token each, per person.

A token names one app install; registering it again (the app starts, or signs in as someone
else) moves it to the person now signed in and refreshes `last_seen_at`. FCM says when a
token is dead, and its row is then deleted (bot.push_sender).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.models import Device
from marketplace.people import Person, PersonKind

MAX_TOKEN_LENGTH = 4096


class Platform(StrEnum):
    """Where the app runs."""

    ANDROID = "android"
    IOS = "ios"
    WEB = "web"


@dataclass(frozen=True)
class DeviceRecord:
    """A registered device."""

    id: int
    person: Person
    token: str
    platform: Platform


def register_device(
    session: Session, person: Person, token: str, platform: Platform, now: datetime
) -> tuple[DeviceRecord, bool]:
    """Keep this token for `person`; returns the device and whether it is new."""
    token_hash = hash_token(token)
    moved = session.connection().execute(
        update(Device)
        .where(Device.token_hash == token_hash)
        .values(person_kind=person.kind, person_id=person.id, platform=platform, last_seen_at=now)
    )
    created = False
    if moved.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(
                    Device(
                        person_kind=person.kind,
                        person_id=person.id,
                        token=token,
                        token_hash=token_hash,
                        platform=platform,
                        created_at=now,
                        last_seen_at=now,
                    )
                )
            created = True
        except IntegrityError:
            pass  # the same app registered twice at once: the other request's row stands
    found = device_by_token(session, token)
    assert found is not None
    return found, created


def remove_device(session: Session, person: Person, token: str) -> bool:
    """Forget this person's token; False when they had no such device."""
    result = session.connection().execute(
        delete(Device).where(
            Device.token_hash == hash_token(token),
            Device.person_kind == person.kind,
            Device.person_id == person.id,
        )
    )
    return result.rowcount > 0


def delete_device(session: Session, device_id: int) -> bool:
    """Forget a device FCM says is dead; False when it was already gone."""
    result = session.connection().execute(delete(Device).where(Device.id == device_id))
    return result.rowcount > 0


def devices_of(session: Session, person: Person) -> list[DeviceRecord]:
    """The person's devices, oldest first."""
    rows = session.scalars(
        select(Device)
        .where(Device.person_kind == person.kind, Device.person_id == person.id)
        .order_by(Device.id)
    )
    return [_record(row) for row in rows]


def device_by_id(session: Session, device_id: int) -> DeviceRecord | None:
    """The device with this id, if it still exists."""
    row = session.get(Device, device_id)
    return _record(row) if row else None


def device_by_token(session: Session, token: str) -> DeviceRecord | None:
    """The device registered with this token, if any."""
    row = session.scalars(select(Device).where(Device.token_hash == hash_token(token))).first()
    return _record(row) if row else None


def hash_token(token: str) -> str:
    """The SHA-256 of a token, hex: what the unique index holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _record(row: Device) -> DeviceRecord:
    return DeviceRecord(
        id=row.id,
        person=Person(PersonKind(row.person_kind), row.person_id),
        token=row.token,
        platform=Platform(row.platform),
    )
