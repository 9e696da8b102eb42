"""What the database and the fakes must show after a phase of the notifications benchmark,
so that no figure comes from a run that lost a message, sent one twice or skipped one.

Every notification the phase wrote has its rows, and no other row was written: one for its
chat, one per device the person had, one for the e-mail. Then, for the channels the phase
delivered, each push row is `sent` and the fake FCM accepted exactly one push for its
device's token and text, under the id the row recorded; a row for a token FCM calls dead
is `failed` after one attempt, its device deleted, and nothing arrived for it; each e-mail
row is `sent` and the SMTP server accepted exactly one message for its address and subject.
Rows of channels the phase did not deliver are untouched (`pending`, no attempt), and so
are the chat rows, which no sender here delivers. Nothing arrived that no row asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.notification_fakes import Arrival
from marketplace import outbox
from marketplace.devices import hash_token
from marketplace.models import Device, OutboxMessage
from marketplace.notifications import EMAIL_CHANNEL, PUSH_CHANNEL, Deliveries

SHOWN = 10  # problems listed one by one; past that, counted


@dataclass(frozen=True)
class Written:
    """One notification a phase wrote and when its transaction committed.

    `line` is its first line (the push's body and the e-mail's subject), unique in the run;
    `devices` the ids of the person's devices when it was written.
    """

    line: str
    address: str
    devices: tuple[int, ...]
    deliveries: Deliveries
    committed: float  # time.perf_counter() after the commit


@dataclass(frozen=True)
class Arrived:
    """What the fakes accepted during the phase."""

    push: Sequence[Arrival]
    mail: Sequence[Arrival]


def check_phase(
    sessions: sessionmaker[Session],
    written: Sequence[Written],
    arrived: Arrived,
    *,
    outbox_after: int,
    tokens: Mapping[int, str],
    dead: Collection[str],
    delivered: Collection[str],
    attempts: range = range(1, 2),
) -> list[str]:
    """What went wrong in a phase that wrote `written` after outbox row `outbox_after`.

    `delivered` names the channels whose senders ran until nothing was left (push, e-mail);
    a sent row took a number of attempts in `attempts`; `tokens` gives each device's token,
    `dead` those FCM refuses.
    """
    problems: list[str] = []
    with sessions() as session:
        rows = {
            row.id: row
            for row in session.execute(
                select(OutboxMessage).where(OutboxMessage.id > outbox_after)
            ).scalars()
        }
        hashes = {hash_token(token): token for token in dead}
        registered = {
            hashes[found]
            for found in session.scalars(
                select(Device.token_hash).where(Device.token_hash.in_(hashes))
            )
        }
    expected = {row_id for note in written for row_id in note.deliveries.ids}
    if missing := expected - rows.keys():
        problems.append(f"{len(missing)} rows that notify wrote are gone (ids {_few(missing)})")
    if extra := rows.keys() - expected:
        problems.append(f"{len(extra)} rows nobody wrote (ids {_few(extra)})")

    push_arrived = Counter((a.recipient, a.line) for a in arrived.push)
    mail_arrived = Counter((a.recipient, a.line) for a in arrived.mail)
    names = {(a.recipient, a.line): a.name for a in arrived.push}
    asked_push: set[tuple[str, str]] = set()
    asked_mail: set[tuple[str, str]] = set()
    row_problems: list[str] = []
    for note in written:
        row_problems += _planned(note, rows)
        for row_id in note.deliveries.push:
            row = rows.get(row_id)
            if row is None or not row.recipient.isdigit():
                continue
            key = (tokens.get(int(row.recipient), ""), note.line)
            asked_push.add(key)
            if PUSH_CHANNEL not in delivered:
                outcome = _untouched(row, push_arrived[key])
            elif key[0] in dead:
                outcome = _dead_outcome(row, push_arrived[key], key[0] in registered)
            else:
                outcome = _push_outcome(row, push_arrived[key], names.get(key), attempts)
            row_problems += [f"push row {row_id}: {what}" for what in outcome]
        email = rows.get(note.deliveries.email or 0)
        if email is not None:
            key = (email.recipient, note.line)
            asked_mail.add(key)
            if EMAIL_CHANNEL in delivered:
                outcome = _email_outcome(email, mail_arrived[key], attempts)
            else:
                outcome = _untouched(email, mail_arrived[key])
            row_problems += [f"e-mail row {email.id}: {what}" for what in outcome]
        chat = rows.get(note.deliveries.chat or 0)
        if chat is not None and (chat.status, chat.attempts) != (outbox.PENDING, 0):
            row_problems.append(f"chat row {chat.id}: {chat.status} after {chat.attempts} tries")
    problems += row_problems[:SHOWN]
    if len(row_problems) > SHOWN:
        problems.append(f"... and {len(row_problems) - SHOWN} more such problems")
    if stray := sum(n for key, n in push_arrived.items() if key not in asked_push):
        problems.append(f"{stray} pushes arrived that no row of the phase asked for")
    if stray := sum(n for key, n in mail_arrived.items() if key not in asked_mail):
        problems.append(f"{stray} e-mails arrived that no row of the phase asked for")
    return problems


def _planned(note: Written, rows: Mapping[int, OutboxMessage]) -> list[str]:
    # The rows notify returned are the ones its plan promises: chat, each device, e-mail.
    problems = []
    deliveries = note.deliveries
    if deliveries.chat is None or deliveries.email is None:
        problems.append(f"{note.line!r}: no chat or no e-mail row ({deliveries})")
    pushed = sorted(int(rows[i].recipient) for i in deliveries.push if i in rows)
    if pushed != sorted(note.devices):
        problems.append(f"{note.line!r}: push rows for devices {pushed}, not {note.devices}")
    email = rows.get(deliveries.email or 0)
    if email is not None and email.recipient != note.address:
        problems.append(f"{note.line!r}: e-mail row to another address")
    return problems


def _push_outcome(
    row: OutboxMessage, arrivals: int, name: str | None, attempts: range
) -> list[str]:
    problems = _sent_outcome(row, arrivals, attempts)
    if arrivals == 1 and row.provider_message_id != name:
        problems.append(f"recorded FCM id {row.provider_message_id!r}, FCM said {name!r}")
    return problems


def _email_outcome(row: OutboxMessage, arrivals: int, attempts: range) -> list[str]:
    return _sent_outcome(row, arrivals, attempts)


def _sent_outcome(row: OutboxMessage, arrivals: int, attempts: range) -> list[str]:
    problems = []
    if row.status != outbox.SENT:
        problems.append(f"{row.status} after {row.attempts} tries ({row.last_error})")
    elif row.attempts not in attempts:
        problems.append(f"sent at try {row.attempts}, expected {attempts.start}-{attempts[-1]}")
    if arrivals != 1:
        problems.append(f"arrived {arrivals} times")
    return problems


def _dead_outcome(row: OutboxMessage, arrivals: int, still_registered: bool) -> list[str]:
    problems = []
    if (row.status, row.attempts) != (outbox.FAILED, 1):
        problems.append(f"dead token: {row.status} after {row.attempts} tries, not failed at once")
    if still_registered:
        problems.append("dead token: its device is still registered")
    if arrivals:
        problems.append(f"dead token: arrived {arrivals} times")
    return problems


def _untouched(row: OutboxMessage, arrivals: int) -> list[str]:
    problems = []
    if (row.status, row.attempts) != (outbox.PENDING, 0):
        problems.append(f"{row.status} after {row.attempts} tries with its sender off")
    if arrivals:
        problems.append(f"arrived {arrivals} times with its sender off")
    return problems


def _few(ids: Collection[int]) -> str:
    shown = sorted(ids)[:SHOWN]
    return ", ".join(map(str, shown)) + (", ..." if len(ids) > SHOWN else "")
