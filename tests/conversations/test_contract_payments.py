"""The contract's payment in chat: opened at signing, told to both parties, given back.

The payments run in the sandbox gateway (our own, on the test database) with the real
listener; the consumer and the agent talk to the real flows.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from conversations.consumer_flow import CONSUMER
from conversations.contract_payments import ContractPaymentListener
from conversations.contract_signing import Evidence, SignerIdentity, check_link, sign
from conversations.engine import ConversationEngine
from conversations.supplier_flow import SUPPLIER
from marketplace.clock import FixedClock
from marketplace.contract_payments import (
    open_contract_payment,
    picpay_phone,
    withdraw_with_refunds,
)
from marketplace.contract_tokens import ContractLinks, ContractTokens
from marketplace.contracts import ContractStatus
from marketplace.db import transaction
from marketplace.models import Contract, OutboxMessage, Payment
from marketplace.payments import PaymentConfig, Payments, PaymentView
from marketplace.picpay import PaymentStatus
from marketplace.picpay_sandbox import SandboxGateway
from tests.conversations.conftest import CONTRACT_SECRET, PUBLIC_URL, Chat
from tests.conversations.supplier_support import invite_code, notifications_to
from tests.support.contracts import DIRECT_PATH, link_in, only_contract

SUPPLIER_NAME = "Sol Nascente Energia (demo)"


@pytest.fixture
def payments(sessions: sessionmaker[Session], clock: FixedClock) -> Payments:
    """Payments in the sandbox, heard by the contracts' listener."""
    return Payments(
        sessions,
        SandboxGateway(sessions, clock, PUBLIC_URL),
        clock,
        ContractPaymentListener(clock),
        PaymentConfig(public_url=PUBLIC_URL),
    )


@pytest.fixture
def engine(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    consumer_engine: ConversationEngine,
    payments: Payments,
) -> ConversationEngine:
    """The consumer and supplier flows over the demo catalog, taking payments."""
    return ConversationEngine(
        sessions,
        {CONSUMER.name: CONSUMER, SUPPLIER.name: SUPPLIER},
        clock=clock,
        default_flow=CONSUMER.name,
        contract_links=ContractLinks(PUBLIC_URL, ContractTokens(CONTRACT_SECRET)),
        payments=payments,
    )


@pytest.fixture
def agent(engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock) -> Chat:
    """An agent of the supplier whose offer is signed directly."""
    chat = Chat(engine, "9001", channel="telegram", locale="en")
    chat.say(f"/start {invite_code(sessions, clock, SUPPLIER_NAME)}")
    return chat


@pytest.fixture
def consumer(engine: ConversationEngine) -> Chat:
    """A consumer writing in English on the web chat."""
    return Chat(engine, "consumer-7", channel="web", locale="en")


def signed(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock, payments: Payments
) -> int | None:
    """Go from greeting to a signed contract; the payment opened with it, if any."""
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    claims = check_link(ContractTokens(CONTRACT_SECRET), token, clock)
    with sessions() as session:
        digest = session.scalars(select(Contract.text_sha256)).one()
    return sign(
        sessions,
        claims,
        signer=SignerIdentity("Maria da Silva", "52998224725"),
        document_sha256=digest,
        evidence=Evidence("127.0.0.1", "test"),
        clock=clock,
        payments=payments,
    ).payment_id


def texts(sessions: sessionmaker[Session], chat_id: str) -> list[str]:
    """The notification texts this chat was sent, oldest first."""
    return [reply.text for reply in notifications_to(sessions, chat_id)]


def test_signing_opens_the_payment_and_a_crash_before_creation_is_recovered_by_the_check(
    consumer: Chat,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    payments: Payments,
) -> None:
    payment_id = signed(consumer, sessions, clock, payments)

    assert payment_id is not None
    with sessions() as session:
        row = session.get_one(Payment, payment_id)
        contract = session.scalars(select(Contract)).one()
        assert row.status == "creating"
        assert row.amount_brl == contract.amount_due_brl > 0
        assert row.buyer is not None
        assert row.buyer["cpf"] == "52998224725"
        assert row.buyer["phone"] == "+55 85 99999-1234"
    # The process died before asking the provider: nothing was sent yet...
    assert not any("PicPay" in text for text in texts(sessions, consumer.chat_id))
    assert payments.check_due().created == 0  # ...and the check waits for the grace

    clock.advance(minutes=3)
    assert payments.check_due().created == 1

    [link] = [r for r in notifications_to(sessions, consumer.chat_id) if r.image is not None]
    assert "/sandbox/picpay/" in link.text
    assert link.text.startswith("SANDBOX")


def test_nothing_due_at_signing_makes_the_contract_active_at_once(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock, payments: Payments
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    with sessions.begin() as session:
        session.execute(
            update(Contract).values(amount_due_brl=Decimal("0.00"), amount_basis="none")
        )
    claims = check_link(ContractTokens(CONTRACT_SECRET), token, clock)
    with sessions() as session:
        digest = session.scalars(select(Contract.text_sha256)).one()

    done = sign(
        sessions,
        claims,
        signer=SignerIdentity("Maria da Silva", "52998224725"),
        document_sha256=digest,
        evidence=Evidence("127.0.0.1", "test"),
        clock=clock,
        payments=payments,
    )

    assert done.payment_id is None
    assert only_contract(sessions).status == ContractStatus.ACTIVE
    assert any("Nothing is paid at signing" in t for t in texts(sessions, consumer.chat_id))
    with sessions() as session:
        assert session.scalars(select(Payment)).all() == []


def test_one_live_payment_per_contract(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock, payments: Payments
) -> None:
    first = signed(consumer, sessions, clock, payments)
    contract = only_contract(sessions)

    with transaction(sessions) as session:
        again, new = open_contract_payment(session, payments, contract.id)

    assert (again.id, new) == (first, False)


def test_a_refused_creation_tells_the_consumer_and_pagar_opens_a_new_one(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock, payments: Payments
) -> None:
    payment_id = signed(consumer, sessions, clock, payments)
    assert payment_id is not None
    listener = payments.listener
    with transaction(sessions) as session:
        row = session.get_one(Payment, payment_id)
        row.status = "failed"  # as a refusal by the provider leaves it
        listener.payment_failed(session, PaymentView.of(row))

    told = notifications_to(sessions, consumer.chat_id)[-1]
    assert "could not create the payment link" in told.text
    assert told.options[0].id.startswith("pay:")

    answer = consumer.say("pagar")

    assert "on its way" in answer[0].text
    with sessions() as session:
        statuses = session.scalars(select(Payment.status).order_by(Payment.id)).all()
    assert statuses == ["failed", "creating"]
    assert payments.check_due().created == 1
    assert any(r.image is not None for r in notifications_to(sessions, consumer.chat_id))


def test_a_chargeback_is_recorded_and_both_parties_told(
    consumer: Chat,
    agent: Chat,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    payments: Payments,
) -> None:
    payment_id = signed(consumer, sessions, clock, payments)
    assert payment_id is not None
    reference = payments.create_at_provider(payment_id).reference_id
    payments.apply_status(PaymentStatus(reference, "paid", "auth-1"), source="check")
    payments.apply_status(PaymentStatus(reference, "chargeback", "auth-1"), source="check")

    assert payments.view(payment_id).status == "chargeback"
    assert "card issuer took back" in texts(sessions, consumer.chat_id)[-1]
    assert "charged back" in texts(sessions, agent.chat_id)[-1]


def test_a_payment_after_withdrawal_is_refunded_and_a_late_creation_cancelled(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock, payments: Payments
) -> None:
    payment_id = signed(consumer, sessions, clock, payments)
    assert payment_id is not None
    reference = payments.create_at_provider(payment_id).reference_id

    consumer.say("arrependimento")
    consumer.tap("yes")

    with sessions() as session:
        assert session.get_one(Payment, payment_id).refund_due_at is not None
    # The consumer pays the old link before the check cancels it: it goes back.
    payments.apply_status(PaymentStatus(reference, "paid", "auth-9"), source="callback")
    assert only_contract(sessions).status == ContractStatus.WITHDRAWN
    assert "refunded in full" in texts(sessions, consumer.chat_id)[-1]


def test_withdrawing_before_the_provider_created_it_cancels_the_payment(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock, payments: Payments
) -> None:
    payment_id = signed(consumer, sessions, clock, payments)
    assert payment_id is not None

    consumer.say("arrependimento")
    replies = consumer.tap("yes")

    assert "payment link was cancelled" in replies[0].text
    assert payments.view(payment_id).status == "failed"
    clock.advance(minutes=5)
    assert payments.check_due().created == 0  # never created now
    with sessions() as session:
        sent = session.scalars(select(OutboxMessage.payload)).all()
    assert not any("/sandbox/picpay/" in str(payload) for payload in sent)


def test_picpay_phone_format() -> None:
    assert picpay_phone("+5585999991234") == "+55 85 99999-1234"
    assert picpay_phone("+558532341234") == "+55 85 3234-1234"
    assert picpay_phone("+351912345678") is None


def test_withdrawal_waits_for_a_payment_being_applied_before_it_locks_the_contract(
    consumer: Chat,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    payments: Payments,
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: there are no row locks to order")
    payment_id = signed(consumer, sessions, clock, payments)
    assert payment_id is not None
    contract_id = only_contract(sessions).id
    # A payment status being applied holds the payment, and will then activate the contract.
    applying = sessions()
    applying.execute(select(Payment).where(Payment.id == payment_id).with_for_update())
    outcome: list[object] = []

    def withdraw_now() -> None:
        with transaction(sessions) as session:
            outcome.append(withdraw_with_refunds(session, contract_id, clock.now()))

    withdrawing = threading.Thread(target=withdraw_now)
    withdrawing.start()
    try:
        _wait_for_a_lock_wait(sessions)
        # The withdrawal waits on the payment, so the contract is still free for the other.
        with sessions() as other:
            other.execute(
                select(Contract).where(Contract.id == contract_id).with_for_update(nowait=True)
            )
            other.rollback()
    finally:
        applying.rollback()
        applying.close()
        withdrawing.join(timeout=30)

    assert len(outcome) == 1
    assert only_contract(sessions).status == ContractStatus.WITHDRAWN
    assert payments.view(payment_id).status == "failed"  # cancelled before creation


def _wait_for_a_lock_wait(sessions: sessionmaker[Session]) -> None:
    """Until some transaction of this database waits for a row lock (10 s at most)."""
    for _attempt in range(200):
        with sessions() as session:
            waiting = session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the withdrawal never waited for the payment's lock")
