"""The payment checker task: it asks about pending payments without being called back."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from bot.payment_checker import PaymentChecker
from marketplace.clock import FixedClock
from marketplace.picpay_sandbox import SandboxGateway
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
