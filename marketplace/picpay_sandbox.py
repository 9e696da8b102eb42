"""The built-in PicPay sandbox: the same interface as `PicPayClient`, with no money moving.

Used when no `PICPAY_TOKEN` is configured (the embedded default). It keeps its state in
our database (`sandbox_payments`), so it works with several processes, and serves a page
of its own (`webhooks/sandbox.py`) whose "pay" and "let expire" buttons change that state;
the page then runs our PicPay callback handler, which reads the status back from here
exactly as it would from PicPay.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import Clock
from marketplace.db import transaction
from marketplace.models import SandboxPayment
from marketplace.picpay import (
    Cancellation,
    CreatedPayment,
    PaymentRequest,
    PaymentStatus,
    PicPayNotFound,
    PicPayRejected,
)

PROVIDER = "sandbox"
SANDBOX_PATH = "/sandbox/picpay"


@dataclass(frozen=True)
class SandboxView:
    """A sandbox payment as its page shows it."""

    reference_id: str
    value: Decimal
    status: str
    return_url: str | None
    expires_at: datetime


class SandboxGateway:
    """A stand-in for PicPay that keeps its payments in our database."""

    provider = PROVIDER

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, public_url: str) -> None:
        self.sessions = sessions
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    def payment_url(self, reference_id: str) -> str:
        """The sandbox page of one payment."""
        return f"{self.public_url}{SANDBOX_PATH}/{reference_id}"

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        """Record the payment as created; creating the same reference again changes nothing."""
        with transaction(self.sessions) as session:
            row = session.get(SandboxPayment, request.reference_id)
            if row is None:
                row = SandboxPayment(
                    reference_id=request.reference_id,
                    value_brl=request.value,
                    status="created",
                    return_url=request.return_url,
                    expires_at=request.expires_at,
                    created_at=self.clock.now(),
                )
                session.add(row)
        url = self.payment_url(request.reference_id)
        return CreatedPayment(
            reference_id=request.reference_id,
            payment_url=url,
            expires_at=request.expires_at,
            qr_code_content=url,
            qr_code_png=qr_png(url),
        )

    def payment_status(self, reference_id: str) -> PaymentStatus:
        """The sandbox payment's status; one past its expiry is expired."""
        with transaction(self.sessions) as session:
            row = self._row(session, reference_id)
            self._expire_if_due(row)
            return PaymentStatus(
                reference_id=row.reference_id,
                status=row.status,
                authorization_id=row.authorization_id,
                paid=row.value_brl if row.status in ("paid", "completed", "refunded") else None,
            )

    def cancel_payment(self, reference_id: str, authorization_id: str | None) -> Cancellation:
        """Refund a paid payment (its authorization id required, as at PicPay), or expire it."""
        with transaction(self.sessions) as session:
            row = self._row(session, reference_id)
            self._expire_if_due(row)
            if row.status in ("paid", "completed"):
                if authorization_id != row.authorization_id:
                    raise PicPayRejected(422, "authorizationId does not match the payment")
                row.status = "refunded"
            elif row.status == "created":
                row.status = "expired"
            else:
                raise PicPayRejected(422, f"a payment {row.status} cannot be cancelled")
        return Cancellation(reference_id=reference_id, cancellation_id="sandbox-" + _token())

    def pay(self, reference_id: str) -> bool:
        """Pay a created payment, as a consumer would in PicPay's app; False if it cannot be."""
        with transaction(self.sessions) as session:
            row = self._row(session, reference_id)
            self._expire_if_due(row)
            if row.status != "created":
                return False
            row.status = "paid"
            row.authorization_id = "sandbox-" + _token()
            return True

    def let_expire(self, reference_id: str) -> bool:
        """Expire a created payment now; False if it is not waiting to be paid."""
        with transaction(self.sessions) as session:
            row = self._row(session, reference_id)
            if row.status != "created":
                return False
            row.status = "expired"
            return True

    def view(self, reference_id: str) -> SandboxView:
        """The payment for its page, read only (past its time it shows as expired).

        Raises:
            PicPayNotFound: no sandbox payment has this reference id.
        """
        with transaction(self.sessions) as session:
            row = session.get(SandboxPayment, reference_id)
            if row is None:
                raise PicPayNotFound(404, "no sandbox payment with this reference id")
            due = row.status == "created" and self.clock.now() >= row.expires_at
            return SandboxView(
                reference_id=row.reference_id,
                value=row.value_brl,
                status="expired" if due else row.status,
                return_url=row.return_url,
                expires_at=row.expires_at,
            )

    def _row(self, session: Session, reference_id: str) -> SandboxPayment:
        row = session.scalar(
            select(SandboxPayment)
            .where(SandboxPayment.reference_id == reference_id)
            .with_for_update()
        )
        if row is None:
            raise PicPayNotFound(404, "no sandbox payment with this reference id")
        return row

    def _expire_if_due(self, row: SandboxPayment) -> None:
        if row.status == "created" and self.clock.now() >= row.expires_at:
            row.status = "expired"


def qr_png(content: str) -> bytes:
    """A QR code of `content` as a PNG, big enough to scan from a phone screen."""
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def _token() -> str:
    return secrets.token_hex(8)
