"""Forgetting a consumer who declined the privacy terms: nothing personal stays behind.

What goes: the consumer's name, contacts, state, distributor and bill; their consents and
leads; their contracts not signed yet (whose text carries the bill's estimate, and whose
link could otherwise still be signed); their app devices, app links and notification
preferences; the transcript of their conversations and the messages already written to them
or about them (a lead card or a relayed answer on its way to a supplier's agent), sent or
not, and even one a dispatcher is sending at that moment (it finishes that attempt from the
copy it holds, then finds no row to mark sent, hold or retry); and what of them a supplier
agent's own chat keeps, outbox rows and transcript lines alike (the contact the agent was
shown on accepting their lead, a card opened from `/leads`, the questions the agent relayed
to them). Those lines are deleted rather than replaced with a placeholder: the chat's
readers (the web chat's reloaded history, the terminal's last turn) already skip a gap, the
lead they were about is gone too, and a placeholder stored now would speak one language
whatever the agent's.
What stays: the consumer row itself and its channel identity (bare ids the engine needs to
recognise the chat), the conversation row, the inbound message ids that stop a
redelivered message from being answered twice, signed contracts with their evidence, and
in an agent's chat a lead's bare number, with the state and distributor a `/leads` list
showed for it (conversations/supplier_leads.py `ask_leads`): they identify no one once
the lead is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Delete, delete, or_, select, update
from sqlalchemy.orm import Session

from marketplace.contracts import ContractStatus
from marketplace.models import (
    AppAccount,
    AppLinkCode,
    Consent,
    Consumer,
    Contract,
    ContractVersion,
    Conversation,
    Device,
    Lead,
    NotificationPreference,
    OutboxMessage,
)
from marketplace.models import TranscriptEntry as Transcript

logger = logging.getLogger(__name__)

# The consumers forgotten in a session's transaction, in order (`forgotten_so_far`).
_FORGOTTEN = "erasure.forgotten_consumers"


@dataclass(frozen=True)
class Forgotten:
    """A consumer forgotten in the session's transaction, and the conversations that went."""

    consumer_id: int
    conversations: frozenset[int]


@dataclass(frozen=True)
class Erasure:
    """How many rows forgetting a consumer removed, for the log."""

    leads: int
    unsigned_contracts: int
    consents: int
    transcript_lines: int
    messages: int


def forget_consumer(session: Session, consumer_id: int, *, conversation_id: int) -> Erasure:
    """Erase what the consumer told us, in the caller's transaction.

    `conversation_id` is the conversation the person declined in; every other conversation
    of the consumer is forgotten too. The caller clears that conversation's own data, which
    the engine saves after the step.
    """
    conversations = _conversations_of(session, consumer_id) | {conversation_id}

    # Locked first: a signature racing this waits, or was first and its contract stays.
    unsigned = session.scalars(
        select(Contract.id)
        .where(
            Contract.consumer_id == consumer_id,
            Contract.status == ContractStatus.AWAITING_SIGNATURE,
        )
        .with_for_update()
    ).all()
    _delete(session, delete(ContractVersion).where(ContractVersion.contract_id.in_(unsigned)))
    contracts = _delete(session, delete(Contract).where(Contract.id.in_(unsigned)))
    leads = _delete(session, delete(Lead).where(Lead.consumer_id == consumer_id))
    consents = _delete(session, delete(Consent).where(Consent.consumer_id == consumer_id))
    lines, messages = _forget_words(session, {consumer_id}, conversations)
    _clear_personal_fields(session, consumer_id)
    _forget_app(session, consumer_id)
    session.info.setdefault(_FORGOTTEN, []).append(
        Forgotten(consumer_id, frozenset(conversations))
    )

    erasure = Erasure(leads, contracts, consents, lines, messages)
    logger.info("forgot consumer %s: %s", consumer_id, erasure)
    return erasure


def forgotten_so_far(session: Session) -> Sequence[Forgotten]:
    """The consumers forgotten so far in this session's transaction, oldest first."""
    forgotten: list[Forgotten] = session.info.get(_FORGOTTEN, [])
    return forgotten


def forget_later_copies(session: Session) -> int:
    """Delete what this transaction wrote about consumers it forgot before writing it.

    The engine writes a batch's replies and notifications after running all its turns: an
    agent's answer to a lead, earlier in the batch than its consumer declining, is written
    after they were forgotten. Only the rows about them go (`about_consumer_id`): their own
    chat's rows written now are those of turns after the decline, and its farewell, which
    stay as they do outside a batch (the engine does not write the turns before it). Returns
    how many rows went.
    """
    forgotten = {erased.consumer_id for erased in session.info.pop(_FORGOTTEN, [])}
    if not forgotten:
        return 0
    lines, messages = _forget_words(session, forgotten, set())
    if lines or messages:
        logger.info("forgot %s later copies about consumers %s", lines + messages, forgotten)
    return lines + messages


def _forget_words(
    session: Session, consumer_ids: set[int], conversations: set[int]
) -> tuple[int, int]:
    """Delete the transcript lines and messages of these chats and about these consumers."""
    lines = _delete(
        session,
        delete(Transcript).where(
            # Their own chats, and the lines of an agent's chat that carry their data: the
            # contact shown on accepting their lead, its card, the questions relayed to them.
            or_(
                Transcript.conversation_id.in_(conversations),
                Transcript.about_consumer_id.in_(consumer_ids),
            )
        ),
    )
    messages = _delete(
        session,
        delete(OutboxMessage).where(
            # The chat's own messages, and every message about the consumer: news to them,
            # what they shared on its way to a supplier (a lead card, an answer) and the
            # agent's replies that showed it (the contact, on accepting their lead).
            # A row a dispatcher is sending goes too: the dispatcher has its copy in hand and
            # finishes that attempt, then finds nothing to mark sent and nothing to retry.
            or_(
                OutboxMessage.conversation_id.in_(conversations),
                OutboxMessage.about_consumer_id.in_(consumer_ids),
            ),
        ),
    )
    return lines, messages


def _forget_app(session: Session, consumer_id: int) -> None:
    # Devices, app links and preferences name the person; none may outlive the consent.
    for model in (Device, AppAccount, AppLinkCode, NotificationPreference):
        _delete(
            session,
            delete(model).where(model.person_kind == "consumer", model.person_id == consumer_id),
        )


def _conversations_of(session: Session, consumer_id: int) -> set[int]:
    return set(
        session.scalars(select(Conversation.id).where(Conversation.consumer_id == consumer_id))
    )


def _delete(session: Session, statement: Delete) -> int:
    return session.connection().execute(statement).rowcount


def _clear_personal_fields(session: Session, consumer_id: int) -> None:
    session.connection().execute(
        update(Consumer)
        .where(Consumer.id == consumer_id)
        .values(
            name=None,
            phone=None,
            email=None,
            uf=None,
            distributor_id=None,
            bill_brl=None,
            monthly_kwh=None,
        )
    )
