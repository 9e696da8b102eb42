"""The periodic check of pending payments, as a task of the web app's event loop.

A callback PicPay never delivers (our server was down through all its retries, a network
fault) would leave a payment pending for ever; this asks PicPay itself about payments
still pending past `PAYMENT_CHECK_MINUTES`, and retries creations that failed. Several
processes may run it: each payment is claimed before it is checked.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.periodic import Periodic
from marketplace.payments import PaymentError, Payments
from marketplace.picpay import PicPayError

logger = logging.getLogger(__name__)

# TODO: one round of `check_due` (at most 50 payments) a minute checks at most 50 pending
# payments a minute per process, while a round takes under a second (docs/performance.md,
# "The money path"): past about 500 payments pending at once, each is asked less often
# than every PAYMENT_CHECK_MINUTES. Run rounds until one is not full, within the interval.
CHECK_SECONDS = 60.0


class PaymentChecker(Periodic):
    """Runs `Payments.check_due` every `interval` seconds until stopped."""

    name = "payment-checker"

    def __init__(self, payments: Payments, *, interval: float = CHECK_SECONDS) -> None:
        super().__init__(interval=interval)
        self.payments = payments

    def round(self) -> None:
        """Ask the provider about payments due a check; retry creations and refunds."""
        report = self.payments.check_due()
        if report.asked or report.created or report.failed:
            logger.info(
                "payment check: %s asked, %s changed, %s created, %s failed",
                report.asked,
                report.changed,
                report.created,
                report.failed,
            )


def create_payment_now(payments: Payments, payment_id: int) -> None:
    """Ask the provider for a payment just opened (after its transaction committed).

    A failure is already recorded on the payment, which the periodic check retries (as it
    does a payment whose process died before getting here); the consumer gets the link
    from the payment listener once it exists.
    """
    try:
        payments.create_at_provider(payment_id)
    except (PicPayError, PaymentError) as error:
        logger.warning("payment %s not created yet, the check retries: %s", payment_id, error)
    except SQLAlchemyError:
        logger.exception("payment %s not created yet, the check retries", payment_id)
