"""The payment checker task: it asks about pending payments without being called back."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.payment_checker import PaymentChecker, create_payment_now
from marketplace.clock import FixedClock
from marketplace.picpay import PicPayClient
from marketplace.picpay_sandbox import SandboxGateway
from tests.fakes.picpay import running_picpay
from tests.marketplace.payment_support import CONFIG, heard, make_payments, open_payment


def test_the_checker_applies_a_payment_nobody_called_back_about(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    sandbox = SandboxGateway(sessions, clock, CONFIG.public_url)
    payments = make_payments(sessions, sandbox, clock)
    payment = payments.create_at_provider(open_payment(payments).id)
    sandbox.pay(payment.reference_id)  # paid, but no callback reaches us
    clock.advance(minutes=10)

    async def run_a_while() -> None:
        checker = PaymentChecker(payments, interval=0.01)
        checker.start()
        for _ in range(500):
            if payments.view(payment.id).status == "paid":
                break
            await asyncio.sleep(0.01)
        await checker.stop()

    asyncio.run(run_a_while())

    assert payments.view(payment.id).status == "paid"
    assert heard(sessions, payment.id) == ["ready", "paid"]


def test_a_refused_creation_is_logged_without_the_buyer_picpay_echoed(
    sessions: sessionmaker[Session], clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with running_picpay() as picpay:
        client = PicPayClient(picpay.url, picpay.token, retry_pause=0)
        payments = make_payments(sessions, client, clock)
        opened = open_payment(payments)
        picpay.fail_next(
            400,
            message="Comprador Maria Silva, CPF 529.982.247-25, maria@example.com: recusado",
        )

        create_payment_now(payments, opened.id)
        client.close()

    assert payments.view(opened.id).status == "failed"
    assert "not created yet" in caplog.text
    assert "400" in caplog.text
    for personal in ("Maria", "Silva", "529.982.247-25", "maria@example.com"):
        assert personal not in caplog.text


def test_a_backlog_larger_than_a_batch_is_checked_in_one_round(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    sandbox = SandboxGateway(sessions, clock, CONFIG.public_url)
    payments = make_payments(sessions, sandbox, clock)
    backlog = [payments.create_at_provider(open_payment(payments).id) for _ in range(7)]
    for payment in backlog:
        sandbox.pay(payment.reference_id)  # paid, but no callback reaches us
    clock.advance(minutes=10)

    PaymentChecker(payments, batch=3).round()  # a small batch stands for the real 50

    assert {payments.view(payment.id).status for payment in backlog} == {"paid"}
