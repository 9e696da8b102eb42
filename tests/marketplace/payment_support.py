"""What payment tests share: a listener that writes to the database, and a set-up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import FixedClock
from marketplace.db import transaction
from marketplace.models import Payment, PaymentEvent
from marketplace.payments import PaymentConfig, Payments, PaymentView
from marketplace.picpay import Buyer, PaymentGateway
from tests.support.contracts import new_contract

BUYER = Buyer(
    first_name="Maria",
    last_name="Silva",
    cpf="52998224725",
    email="maria@example.com",
    phone="+55 85 99999-1234",
)
CONFIG = PaymentConfig(public_url="http://127.0.0.1:8000")


@dataclass
class ListenerInTheDatabase:
    """Writes what it hears as payment events, through the transaction it is handed.

    So a test sees only what committed, and `fail_on` proves the listener's work and the
    payment's change commit or roll back together.
    """

    fail_on: str | None = None

    def _hear(self, session: Session, event: str, payment: PaymentView) -> None:
        if event == self.fail_on:
            raise RuntimeError(f"the listener fails on {event}")
        row = session.get_one(Payment, payment.id)
        session.add(
            PaymentEvent(
                payment_id=payment.id,
                kind="heard_" + event,
                source="listener",
                to_status=payment.status,
                created_at=row.updated_at,
            )
        )

    def payment_ready(self, session: Session, payment: PaymentView) -> None:
        """Note it."""
        self._hear(session, "ready", payment)

    def payment_failed(self, session: Session, payment: PaymentView) -> None:
        """Note it."""
        self._hear(session, "failed", payment)

    def payment_paid(self, session: Session, payment: PaymentView) -> None:
        """Note it."""
        self._hear(session, "paid", payment)

    def payment_expired(self, session: Session, payment: PaymentView) -> None:
        """Note it."""
        self._hear(session, "expired", payment)

    def payment_refunded(self, session: Session, payment: PaymentView) -> None:
        """Note it."""
        self._hear(session, "refunded", payment)

    def payment_chargeback(self, session: Session, payment: PaymentView) -> None:
        """Note it."""
        self._hear(session, "chargeback", payment)


def heard(sessions: sessionmaker[Session], payment_id: int) -> list[str]:
    """What the listener heard about a payment, in order."""
    with transaction(sessions) as session:
        kinds = session.scalars(
            select(PaymentEvent.kind)
            .where(PaymentEvent.payment_id == payment_id, PaymentEvent.source == "listener")
            .order_by(PaymentEvent.id)
        )
        return [kind.removeprefix("heard_") for kind in kinds]


def event_count(sessions: sessionmaker[Session], payment_id: int) -> int:
    """How many events a payment has, of any kind."""
    with transaction(sessions) as session:
        return len(
            list(
                session.scalars(
                    select(PaymentEvent.id).where(PaymentEvent.payment_id == payment_id)
                )
            )
        )


def make_payments(
    sessions: sessionmaker[Session],
    gateway: PaymentGateway,
    clock: FixedClock,
    listener: ListenerInTheDatabase | None = None,
) -> Payments:
    """The payments module on this test's database."""
    return Payments(sessions, gateway, clock, listener or ListenerInTheDatabase(), CONFIG)


def open_payment(
    payments: Payments, amount: Decimal = Decimal("149.90"), contract_id: int | None = None
) -> PaymentView:
    """Open a payment in its own committed transaction, as the signing page would; for a
    new signed contract unless told which."""
    with transaction(payments.sessions) as session:
        if contract_id is None:
            contract_id = new_contract(session, payments.clock.now())
        return payments.open_payment(session, contract_id=contract_id, amount=amount, buyer=BUYER)
