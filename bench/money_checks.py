"""What the database must show after a money-path run, so that no figure comes from a run
that skipped work or did it twice.

Each paid payment has exactly one change to `paid` in its history, its contract is active,
and the consumer's chat got exactly one message (the receipt) from the phase that paid
it, the agent one per contract; every payment left unpaid is still pending, its contract
signed, and nobody was told anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.contracts import ContractStatus
from marketplace.models import Contract, Conversation, OutboxMessage, Payment, PaymentEvent
from marketplace.payments import CREATED, PAID


def last_outbox_id(sessions: sessionmaker[Session]) -> int:
    """The newest outbox row's id (0 when none): what a phase's messages come after."""
    with sessions() as session:
        return session.scalar(select(func.max(OutboxMessage.id))) or 0


def check_paid(
    sessions: sessionmaker[Session],
    paid: Collection[int],
    *,
    unpaid: Collection[int] = (),
    agent_chat: str,
    outbox_after: int,
) -> list[str]:
    """What went wrong with payments a phase paid (and those it had to leave alone).

    `paid` and `unpaid` are payment ids; `outbox_after` is the last outbox row before the
    phase, so its messages are exactly the rows after it.
    """
    with sessions() as session:
        problems = _statuses(session, paid, PAID, ContractStatus.ACTIVE)
        problems += _statuses(session, unpaid, CREATED, ContractStatus.SIGNED)
        changes = _paid_changes(session, [*paid, *unpaid])
        problems += [
            f"payment {payment_id}: {changes[payment_id]} changes to paid, expected "
            f"{int(payment_id in paid)}"
            for payment_id in sorted({*paid, *unpaid})
            if changes[payment_id] != int(payment_id in paid)
        ]
        expected = Counter(_chats(session, paid)) + Counter({agent_chat: len(paid)})
        told = _messages_after(session, outbox_after)
    if told != expected:
        extra, missing = told - expected, expected - told
        problems.append(
            f"messages after the phase: {sum(extra.values())} more than one receipt a "
            f"payment and one agent note a contract, {sum(missing.values())} missing"
        )
    return problems


def _statuses(
    session: Session, payment_ids: Collection[int], payment_status: str, contract_status: str
) -> list[str]:
    if not payment_ids:
        return []
    rows = session.execute(
        select(Payment.id, Payment.status, Contract.status.label("contract_status"))
        .join(Contract, Contract.id == Payment.contract_id)
        .where(Payment.id.in_(payment_ids))
    ).all()
    problems = [
        f"payment {row.id} is {row.status} (contract {row.contract_status}), expected "
        f"{payment_status} (contract {contract_status})"
        for row in rows
        if (row.status, row.contract_status) != (payment_status, contract_status)
    ]
    if len(rows) != len(payment_ids):
        problems.append(f"{len(rows)} of {len(payment_ids)} payments found")
    return problems


def _paid_changes(session: Session, payment_ids: list[int]) -> Counter[int]:
    if not payment_ids:
        return Counter()
    rows = session.execute(
        select(PaymentEvent.payment_id, func.count().label("changes"))
        .where(
            PaymentEvent.payment_id.in_(payment_ids),
            PaymentEvent.kind == "status",
            PaymentEvent.to_status == PAID,
        )
        .group_by(PaymentEvent.payment_id)
    )
    return Counter({row.payment_id: row.changes for row in rows})


def _chats(session: Session, payment_ids: Collection[int]) -> list[str]:
    if not payment_ids:
        return []
    return list(
        session.scalars(
            select(Conversation.chat_id)
            .join(Contract, Contract.conversation_id == Conversation.id)
            .join(Payment, Payment.contract_id == Contract.id)
            .where(Payment.id.in_(payment_ids))
        )
    )


def _messages_after(session: Session, outbox_after: int) -> Counter[str]:
    rows = session.execute(
        select(OutboxMessage.recipient, func.count().label("messages"))
        .where(OutboxMessage.id > outbox_after)
        .group_by(OutboxMessage.recipient)
    )
    return Counter({row.recipient: row.messages for row in rows})
