"""The periodic check of pending payments, as a task of the web app's event loop.

A callback PicPay never delivers (our server was down through all its retries, a network
fault) would leave a payment pending for ever; this asks PicPay itself about payments
still pending past `PAYMENT_CHECK_MINUTES`, and retries creations that failed. Several
processes may run it: each payment is claimed before it is checked.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from bot.periodic import Periodic
from marketplace.payments import CheckReport, PaymentError, Payments
from marketplace.picpay import PicPayError

logger = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
BATCH = 50  # payments claimed at a time (a claim holds their row locks briefly)


class PaymentChecker(Periodic):
    """Runs `Payments.check_due` every `interval` seconds until stopped."""

    name = "payment-checker"

    def __init__(
        self, payments: Payments, *, interval: float = CHECK_SECONDS, batch: int = BATCH
    ) -> None:
        super().__init__(interval=interval)
        self.payments = payments
        self.batch = batch

    def round(self) -> None:
        """Ask the provider about payments due a check; retry creations and refunds.

        A round takes a batch; while batches come back full (more payments are due than one
        takes: a backlog after downtime, or many pending at once) the next follows at once,
        for up to `interval` seconds, so no payment waits for later minutes' rounds.
        """
        started = time.monotonic()
        while True:
            report = self.payments.check_due(limit=self.batch)
            self._log(report)
            if not report.full or self.stopping:
                return
            if time.monotonic() - started >= self.interval:
                return

    @staticmethod
    def _log(report: CheckReport) -> None:
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
