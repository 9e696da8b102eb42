"""What ties a contract to its payments: who pays, one open payment at a time, refunds.

A signed contract with an amount due gets a payment in the transaction that signs it; a
new one only when the last expired or failed (the consumer asks in the chat). A withdrawal
records, in its own transaction, that the payment must be refunded (paid) or cancelled
(unpaid); `Payments.check_due` asks the provider until it is done.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.contracts import ContractStatus, Withdrawal, withdraw
from marketplace.models import Contract, ContractSignature, Lead, Payment
from marketplace.notification_preferences import email_address
from marketplace.payments import (
    CREATING,
    PENDING,
    SETTLED,
    Payments,
    PaymentView,
    mark_refund_due,
)
from marketplace.people import Person
from marketplace.picpay import Buyer

logger = logging.getLogger(__name__)

# A payment in one of these is still (or already) good for the contract: no second one.
LIVE = (CREATING, *PENDING, *SETTLED)
BRAZIL_PREFIX = "+55"


class NoPaymentNeeded(Exception):
    """The contract is not awaiting a payment: not signed, paid, withdrawn, or free."""


def open_contract_payment(
    session: Session, payments: Payments, contract_id: int, *, create_by_check: bool = False
) -> tuple[PaymentView, bool]:
    """The contract's live payment, or a new one for its amount due (True when new).

    Runs in the caller's transaction and holds the contract's row lock, so two requests
    at once open one payment. The provider is asked after commit (`create_at_provider`,
    or, with `create_by_check`, the next periodic check).

    Raises:
        NoPaymentNeeded: the contract is not signed-and-unpaid, or its amount is zero.
    """
    contract = session.scalar(select(Contract).where(Contract.id == contract_id).with_for_update())
    if contract is None or contract.status != ContractStatus.SIGNED:
        raise NoPaymentNeeded(f"contract {contract_id} awaits no payment")
    if contract.amount_due_brl <= 0:
        raise NoPaymentNeeded(f"contract {contract_id} has nothing to pay")
    live = live_payment(session, contract_id)
    if live is not None:
        return PaymentView.of(live), False
    buyer = buyer_of(session, contract)
    if buyer is None:
        raise NoPaymentNeeded(f"contract {contract_id} has no signature")
    view = payments.open_payment(
        session,
        contract_id=contract_id,
        amount=contract.amount_due_brl,
        buyer=buyer,
        due_now=create_by_check,
    )
    logger.info("contract %s: payment %s opened", contract_id, view.reference_id)
    return view, True


def live_payment(session: Session, contract_id: int) -> Payment | None:
    """The contract's newest payment that is being created, pending or paid."""
    return session.scalar(
        select(Payment)
        .where(Payment.contract_id == contract_id, Payment.status.in_(LIVE))
        .order_by(Payment.id.desc())
        .limit(1)
    )


def withdraw_with_refunds(
    session: Session, contract_id: int, now: datetime
) -> tuple[Withdrawal, list[str]]:
    """Withdraw a contract and record that its live payments go back, in one transaction.

    The contract's payments are locked before the contract: a payment status being applied
    holds its payment and then activates the contract, and taking the locks in that same
    order means a withdrawal and a confirmation at the same moment wait for each other
    instead of deadlocking (which PostgreSQL would break by failing one of them).

    Raises:
        WithdrawalRefused: as `withdraw`; nothing is changed.
    """
    session.scalars(
        select(Payment.id)
        .where(Payment.contract_id == contract_id)
        .order_by(Payment.id)
        .with_for_update()
    ).all()
    withdrawal = withdraw(session, contract_id, now)
    return withdrawal, refund_contract_payments(session, contract_id, now)


def refund_contract_payments(session: Session, contract_id: int, now: datetime) -> list[str]:
    """Record that every live payment of a withdrawn contract goes back; what each got."""
    ids = session.scalars(
        select(Payment.id).where(Payment.contract_id == contract_id, Payment.status.in_(LIVE))
    )
    return [mark_refund_due(session, payment_id, now) for payment_id in list(ids)]


def buyer_of(session: Session, contract: Contract) -> Buyer | None:
    """Who pays: the signer's name and CPF, with the e-mail and phone the consumer gave."""
    signature = session.scalar(
        select(ContractSignature).where(ContractSignature.contract_id == contract.id)
    )
    if signature is None:
        return None
    first, _, last = signature.signer_name.partition(" ")
    lead = session.get(Lead, contract.lead_id) if contract.lead_id else None
    email = (lead.contact_email if lead else None) or email_address(
        session, Person.consumer(contract.consumer_id)
    )
    phone = picpay_phone(lead.contact_phone) if lead and lead.contact_phone else None
    return Buyer(
        first_name=first,
        last_name=last or first,
        cpf=signature.signer_cpf,
        email=email,
        phone=phone,
    )


def picpay_phone(e164: str) -> str | None:
    """A Brazilian number as PicPay shows it (`+55 85 99999-1234`); None for any other."""
    digits = e164.removeprefix(BRAZIL_PREFIX)
    if not e164.startswith(BRAZIL_PREFIX) or not digits.isdigit() or len(digits) not in (10, 11):
        return None
    area, number = digits[:2], digits[2:]
    return f"{BRAZIL_PREFIX} {area} {number[:-4]}-{number[-4:]}"
