"""Payments of contracts: written before the provider is called, updated from what it says.

A payment's life (docs/payments.md has the whole table):

    creating ──(provider created it)──> created ──> analysis/authorized ──> paid ──> completed
        │                                  │                                 │
        └──(refused for good)──> failed    └──> expired                      └──> refunded
                                                                                  chargeback

Statuses only move forward (by `RANK`), so a late or repeated report changes nothing; a
status we do not know is recorded, never fatal. Each change calls the `PaymentListener`
inside the same transaction, so what the contract side does with it commits or rolls back
with the payment. The provider's word on a status is the only one we take: a callback
says only which payment to ask about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import Clock
from marketplace.db import transaction
from marketplace.models import Payment, PaymentEvent
from marketplace.picpay import (
    Buyer,
    CreatedPayment,
    PaymentGateway,
    PaymentRequest,
    PaymentStatus,
    PicPayClient,
    PicPayError,
    PicPayProtocolError,
    PicPayRejected,
    exact_reais,
    new_reference_id,
)
from marketplace.picpay_sandbox import SandboxGateway
from marketplace.settings import Settings

logger = logging.getLogger(__name__)

CREATING = "creating"
FAILED = "failed"
CREATED = "created"
ANALYSIS = "analysis"
AUTHORIZED = "authorized"
PAID = "paid"
COMPLETED = "completed"
EXPIRED = "expired"
REFUNDED = "refunded"
CHARGEBACK = "chargeback"

# How far along each status is; a report moves a payment only to a higher rank. Paid beats
# expired: PicPay has the money, whatever arrived first here.
RANK = {
    CREATING: 0,
    FAILED: 0,
    CREATED: 1,
    ANALYSIS: 2,
    AUTHORIZED: 2,
    EXPIRED: 3,
    PAID: 4,
    COMPLETED: 5,
    REFUNDED: 6,
    CHARGEBACK: 6,
}
PROVIDER_STATUSES = frozenset(RANK) - {CREATING, FAILED}
PENDING = (CREATED, ANALYSIS, AUTHORIZED)
SETTLED = (PAID, COMPLETED)
MAX_CREATION_ATTEMPTS = 6
MAX_ERROR = 500
MAX_REASON = 200  # payments.review_reason
# A refund the provider refuses this many times is held for review instead of asked again.
MAX_REFUND_REFUSALS = 3


class PaymentError(Exception):
    """A payment operation could not be done."""


class UnknownPayment(PaymentError):
    """No payment has this reference id (or id)."""


class ProviderMismatch(PaymentError):
    """The provider answered about another payment than the one asked about."""


class NotRefundable(PaymentError):
    """The payment is in no state to be refunded or cancelled."""


class Outcome(StrEnum):
    """What applying a provider's status did to our payment."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"  # a repeat, or a report older than what we know
    UNKNOWN_STATUS = "unknown_status"
    REVIEW = "review"  # paid, but not the amount we asked for


@dataclass(frozen=True)
class PaymentView:
    """A payment as the rest of the product sees it."""

    id: int
    reference_id: str
    contract_id: int
    provider: str
    amount: Decimal
    status: str
    payment_url: str | None
    qr_code_png: bytes | None
    expires_at: datetime
    authorization_id: str | None
    paid: Decimal | None
    needs_review: bool
    last_error: str | None

    @property
    def actual_amount(self) -> Decimal:
        """What the consumer actually paid when the provider said so, else what we asked."""
        return self.paid if self.paid is not None else self.amount

    @property
    def is_sandbox(self) -> bool:
        """Whether this payment lives in the built-in sandbox (no real money)."""
        return self.provider == "sandbox"

    @classmethod
    def of(cls, row: Payment) -> PaymentView:
        """The view of a row."""
        return cls(
            id=row.id,
            reference_id=row.reference_id,
            contract_id=row.contract_id,
            provider=row.provider,
            amount=row.amount_brl,
            status=row.status,
            payment_url=row.payment_url,
            qr_code_png=row.qr_code_png,
            expires_at=row.expires_at,
            authorization_id=row.authorization_id,
            paid=row.paid_brl,
            needs_review=row.needs_review,
            last_error=row.last_error,
        )


class PaymentListener(Protocol):
    """What the contract side does when a payment moves; called inside the same transaction.

    Each method is called once per payment and event, with the session of the transaction
    that records it: write through it (outbox messages, contract status), never commit.
    """

    def payment_ready(self, session: Session, payment: PaymentView) -> None:
        """The provider created the payment: its link and QR code can be sent."""

    def payment_failed(self, session: Session, payment: PaymentView) -> None:
        """The provider refused to create the payment, for good."""

    def payment_paid(self, session: Session, payment: PaymentView) -> None:
        """The consumer paid the amount we asked for."""

    def payment_expired(self, session: Session, payment: PaymentView) -> None:
        """The payment can no longer be paid (expired, or cancelled unpaid)."""

    def payment_refunded(self, session: Session, payment: PaymentView) -> None:
        """A paid payment was given back to the consumer."""

    def payment_chargeback(self, session: Session, payment: PaymentView) -> None:
        """The consumer's card issuer took a paid payment back."""


@dataclass(frozen=True)
class PaymentConfig:
    """The knobs of the payments module, from settings."""

    public_url: str
    link_lifetime: timedelta = timedelta(hours=24)
    check_after: timedelta = timedelta(minutes=10)
    # A creation in flight must not be retried by the periodic check meanwhile.
    creation_grace: timedelta = timedelta(minutes=2)
    # A refund claimed longer ago than this was cut short (a crash): it is asked again.
    # Longer than a refund's calls can take (a status read with its retries, then the
    # cancellation: about a minute and a half with PicPay's timeouts).
    refund_grace: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: Settings) -> PaymentConfig:
        """The config the settings describe."""
        return cls(
            public_url=settings.public_url,
            link_lifetime=timedelta(hours=settings.payment_link_hours),
            check_after=timedelta(minutes=settings.payment_check_minutes),
        )

    @property
    def callback_url(self) -> str:
        """Where PicPay posts its callbacks."""
        return f"{self.public_url}/webhooks/picpay"


@dataclass(frozen=True)
class CheckReport:
    """What one periodic check did."""

    asked: int = 0
    changed: int = 0
    created: int = 0
    failed: int = 0
    refunded: int = 0
    full: bool = False  # as many rows were due as the round could take: more may wait


class Payments:
    """Creates payments, applies what the provider says about them, and refunds them."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: PaymentGateway,
        clock: Clock,
        listener: PaymentListener,
        config: PaymentConfig,
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway
        self.clock = clock
        self.listener = listener
        self.config = config

    # Creation ---------------------------------------------------------------------------

    def open_payment(
        self,
        session: Session,
        *,
        contract_id: int,
        amount: Decimal,
        buyer: Buyer,
        return_url: str | None = None,
        due_now: bool = False,
    ) -> PaymentView:
        """Write a payment to create, in the caller's transaction; nothing is sent yet.

        After the caller commits, `create_at_provider` asks the provider for it; if that
        never happens (a crash), the periodic check does it. `due_now` leaves it to the
        next check at once (for a caller that cannot act after its commit).
        """
        now = self.clock.now()
        row = Payment(
            reference_id=new_reference_id(),
            contract_id=contract_id,
            provider=self.gateway.provider,
            amount_brl=exact_reais(amount),
            status=CREATING,
            buyer=_buyer_json(buyer),
            return_url=return_url or self.config.public_url,
            expires_at=now + self.config.link_lifetime,
            provider_statuses=[],
            needs_review=False,
            creation_attempts=0,
            next_check_at=now if due_now else now + self.config.creation_grace,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        _record(session, row, "opened", source="creation", to_status=CREATING, now=now)
        return PaymentView.of(row)

    def create_at_provider(self, payment_id: int) -> PaymentView:
        """Ask the provider to create a payment opened earlier; idempotent once created.

        A failure is recorded on the payment (and retried by the periodic check when it
        may pass), then raised.

        Raises:
            UnknownPayment: no such payment.
            PicPayError: the provider failed or refused.
        """
        with transaction(self.sessions) as session:
            row = session.get(Payment, payment_id)
            if row is None:
                raise UnknownPayment(str(payment_id))
            if row.status not in (CREATING, FAILED) or row.buyer is None:
                return PaymentView.of(row)
            request = creation_request(row, self.config)

        try:
            created = self.gateway.create_payment(request)
        except PicPayError as error:
            self._note_creation_failure(payment_id, error)
            raise
        return self._note_created(payment_id, created)

    def _note_created(self, payment_id: int, created: CreatedPayment) -> PaymentView:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = _locked(session, payment_id)
            if row.payment_url is not None:
                return PaymentView.of(row)  # recorded by a concurrent attempt
            row.payment_url = created.payment_url
            row.qr_code_content = created.qr_code_content
            row.qr_code_png = created.qr_code_png
            row.expires_at = created.expires_at or row.expires_at
            row.buyer = None  # the provider has it now; we keep no copy we do not need
            row.creation_attempts += 1
            row.last_error = None
            row.next_check_at = now + self.config.check_after
            row.updated_at = now
            before = row.status
            if before in (CREATING, FAILED):
                # A callback may have come first (PicPay calls back as soon as it creates).
                row.status = CREATED
            _record(session, row, "created", source="creation", from_status=before, now=now)
            view = PaymentView.of(row)
            self.listener.payment_ready(session, view)
        logger.info("payment %s created at %s", view.reference_id, view.provider)
        return view

    def _note_creation_failure(self, payment_id: int, error: PicPayError) -> None:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = _locked(session, payment_id)
            if row.status not in (CREATING, FAILED) or row.payment_url is not None:
                return
            row.creation_attempts += 1
            row.last_error = str(error)[:MAX_ERROR]
            row.updated_at = now
            # A refusal would be repeated; an outage or a garbled answer may pass.
            retryable = not isinstance(error, PicPayRejected)
            if retryable and row.creation_attempts < MAX_CREATION_ATTEMPTS:
                row.next_check_at = now + self.config.check_after * row.creation_attempts
                _record(session, row, "creation_error", source="creation", detail=row.last_error)
                logger.warning("payment %s: creation failed, will retry", row.reference_id)
                return
            before, row.status = row.status, FAILED
            row.buyer = None  # never retried now: the personal data has no use left here
            _record(
                session,
                row,
                "status",
                source="creation",
                from_status=before,
                to_status=FAILED,
                detail=row.last_error,
                now=now,
            )
            logger.warning("payment %s: creation failed for good", row.reference_id)
            if before != FAILED:
                self.listener.payment_failed(session, PaymentView.of(row))

    # Statuses ---------------------------------------------------------------------------

    def handle_callback(self, reference_id: str) -> Outcome:
        """What a provider's callback leads to: ask the provider, then apply its answer.

        Raises:
            UnknownPayment: we never opened a payment with this reference id.
            PicPayError: the provider could not say; nothing was changed.
            ProviderMismatch: the provider answered about another payment.
        """
        with transaction(self.sessions) as session:
            found = session.scalar(select(Payment.id).where(Payment.reference_id == reference_id))
        if found is None:
            raise UnknownPayment(reference_id)
        status = self.gateway.payment_status(reference_id)
        if status.reference_id != reference_id:
            raise ProviderMismatch(f"asked about {reference_id}, told about another")
        return self.apply_status(status, source="callback")

    def apply_status(self, status: PaymentStatus, *, source: str) -> Outcome:
        """Apply what the provider says a payment's status is, once, in one transaction.

        Raises:
            UnknownPayment: no payment has the status's reference id.
        """
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.scalar(
                select(Payment)
                .where(Payment.reference_id == status.reference_id)
                # Two callbacks for one payment at once: the second waits here, then sees
                # what the first did.
                .with_for_update()
            )
            if row is None:
                raise UnknownPayment(status.reference_id)
            outcome = self._apply(session, row, status, source, now)
        if outcome is not Outcome.UNCHANGED:
            logger.info(
                "payment %s: %s (%s, from %s)", row.reference_id, outcome, row.status, source
            )
        return outcome

    def _apply(
        self, session: Session, row: Payment, status: PaymentStatus, source: str, now: datetime
    ) -> Outcome:
        reported = status.status.strip().lower()[:40]
        first_time = reported not in row.provider_statuses
        if first_time:
            row.provider_statuses = [*row.provider_statuses, reported]
        if status.authorization_id and row.authorization_id is None:
            row.authorization_id = status.authorization_id[:100]

        if reported not in PROVIDER_STATUSES:
            if first_time:
                _record(session, row, "unknown", source=source, provider=reported, now=now)
                row.updated_at = now
            return Outcome.UNKNOWN_STATUS if first_time else Outcome.UNCHANGED
        if reported in SETTLED and status.paid is not None and status.paid != row.amount_brl:
            return self._hold_for_review(session, row, status.paid, reported, source, now)
        if RANK[reported] <= RANK[row.status]:
            if first_time:
                _record(session, row, "ignored", source=source, provider=reported, now=now)
            return Outcome.UNCHANGED

        before, row.status = row.status, reported
        if status.paid is not None and (reported in SETTLED or row.paid_brl is None):
            row.paid_brl = status.paid
        if row.needs_review and reported in (REFUNDED, CHARGEBACK, EXPIRED):
            # The money went back (or never came): nothing is left to settle by hand.
            row.needs_review = False
            reason = f"{row.review_reason}; resolved: {reported} by the provider"
            row.review_reason = reason[:MAX_REASON]
        row.updated_at = now
        _record(
            session,
            row,
            "status",
            source=source,
            from_status=before,
            to_status=reported,
            provider=reported,
            now=now,
        )
        self._tell_listener(session, PaymentView.of(row), before)
        return Outcome.CHANGED

    def _hold_for_review(
        self,
        session: Session,
        row: Payment,
        paid: Decimal,
        reported: str,
        source: str,
        now: datetime,
    ) -> Outcome:
        if row.needs_review and row.paid_brl == paid:
            return Outcome.UNCHANGED
        row.needs_review = True
        row.paid_brl = paid
        row.review_reason = f"provider reports {paid} paid; we asked for {row.amount_brl}"
        row.updated_at = now
        _record(
            session,
            row,
            "review",
            source=source,
            provider=reported,
            detail=row.review_reason,
            now=now,
        )
        logger.warning("payment %s: paid amount differs; held for review", row.reference_id)
        return Outcome.REVIEW

    def _tell_listener(self, session: Session, view: PaymentView, before: str) -> None:
        if view.status in SETTLED:
            if before not in SETTLED:  # completed after paid is not a second payment
                self.listener.payment_paid(session, view)
        elif view.status == EXPIRED:
            self.listener.payment_expired(session, view)
        elif view.status == REFUNDED:
            self.listener.payment_refunded(session, view)
        elif view.status == CHARGEBACK:
            self.listener.payment_chargeback(session, view)

    # Periodic check ---------------------------------------------------------------------

    def check_due(self, *, limit: int = 50) -> CheckReport:
        """Ask the provider about payments still pending past the delay; retry creations.

        Safe with several processes: each row is claimed (its next check pushed back)
        under a row lock that others skip, before anyone calls the provider about it.
        """
        refunds = self._claim_refunds(limit)
        refunded, failed = self._refund_due(refunds)
        asked = changed = created = 0
        due = self._claim_due(limit)
        for payment_id, reference_id, status in due:
            try:
                if status == CREATING:
                    self.create_at_provider(payment_id)
                    created += 1
                    continue
                asked += 1
                answer = self.gateway.payment_status(reference_id)
                outcome = self.apply_status(answer, source="check")
                changed += outcome is not Outcome.UNCHANGED
            except PicPayError as error:
                failed += 1
                logger.warning("payment check of %s failed: %s", reference_id, error)
        return CheckReport(
            asked=asked,
            changed=changed,
            created=created,
            failed=failed,
            refunded=refunded,
            full=len(refunds) == limit or len(due) == limit,
        )

    def _refund_due(self, payment_ids: list[int]) -> tuple[int, int]:
        """Ask for the refunds withdrawals recorded; a failure is asked again later."""
        refunded = failed = 0
        for payment_id in payment_ids:
            try:
                self.refund(payment_id)
                refunded += 1
            except NotRefundable as refused:
                # Expired or refunded meanwhile: nothing is left to give back.
                logger.info("payment %s: no refund needed: %s", payment_id, refused)
                self._refund_settled(payment_id)
            except PicPayError as error:
                # Due still (asked again later), or held for review after repeated refusals.
                failed += 1
                logger.warning("refund of payment %s failed, will retry: %s", payment_id, error)
        return refunded, failed

    def _claim_refunds(self, limit: int) -> list[int]:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            ids = list(
                session.scalars(
                    select(Payment.id)
                    .where(
                        Payment.refund_due_at.is_not(None),
                        or_(
                            Payment.refund_requested_at.is_(None),
                            Payment.refund_requested_at <= now - self.config.refund_grace,
                        ),
                        Payment.next_check_at <= now,
                    )
                    .order_by(Payment.next_check_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            if ids:
                session.execute(
                    update(Payment)
                    .where(Payment.id.in_(ids))
                    .values(next_check_at=now + self.config.check_after)
                )
        return ids

    def _refund_settled(self, payment_id: int) -> None:
        with transaction(self.sessions) as session:
            _locked(session, payment_id).refund_due_at = None

    def _claim_due(self, limit: int) -> list[tuple[int, str, str]]:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            rows = session.execute(
                select(Payment.id, Payment.reference_id, Payment.status)
                .where(
                    Payment.status.in_((CREATING, *PENDING)),
                    Payment.next_check_at <= now,
                    # A refund due reads the status itself: claimed here, it would wait
                    # for the next check while its link could still be paid.
                    Payment.refund_due_at.is_(None),
                )
                .order_by(Payment.next_check_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                session.execute(
                    update(Payment)
                    .where(Payment.id.in_([row.id for row in rows]))
                    .values(next_check_at=now + self.config.check_after)
                )
        return [(row.id, row.reference_id, row.status) for row in rows]

    # Refunds ----------------------------------------------------------------------------

    def refund(self, payment_id: int) -> PaymentView:
        """Give a contract's payment back in full (a withdrawal), or cancel it if unpaid.

        Asking twice is safe: a refund already asked for is not asked again. Until the
        provider answers the cancellation, the refund stays due (`refund_due_at`): one
        that failed, or was cut short by a crash (claimed longer ago than `refund_grace`),
        is asked again by `check_due`. The provider's status is read and applied first,
        so a payment paid before its callback came is refunded (with its authorization),
        and one the provider already refunded or expired is not asked about again. The
        status the refund leads to is read back and applied like any other.

        Raises:
            UnknownPayment: no such payment.
            NotRefundable: it was never created, or is expired, refunded or charged back.
            PicPayError: the provider failed; the claim is released and the refund stays
                due, so asking again is safe (the periodic check does).
        """
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = _locked(session, payment_id)
            if row.refund_requested_at is not None and (
                row.refund_due_at is None  # the provider answered: done
                or row.refund_requested_at > now - self.config.refund_grace
            ):
                return PaymentView.of(row)
            if row.status not in (*PENDING, *SETTLED):
                raise NotRefundable(f"a payment {row.status} cannot be refunded")
            row.refund_requested_at = now  # claimed: a concurrent refund stops above
            if row.refund_due_at is None:
                row.refund_due_at = now  # due until the provider answers
            reference = row.reference_id

        try:
            # What we know may be behind (a callback not yet applied): a paid payment is
            # refunded with its authorization, a cancelled one is not cancelled again.
            current = self.gateway.payment_status(reference)
            if current.reference_id != reference:
                raise PicPayProtocolError(f"asked about {reference}, told about another")
            self.apply_status(current, source="refund")
            with transaction(self.sessions) as session:
                row = _locked(session, payment_id)
                status, authorization = row.status, row.authorization_id
                if status not in (*PENDING, *SETTLED):
                    row.refund_requested_at = row.refund_due_at = None  # nothing to give back
            if status not in (*PENDING, *SETTLED):
                raise NotRefundable(f"the provider reports the payment {status}")
            paid = status in SETTLED or current.status.strip().lower() in SETTLED
            cancellation = self.gateway.cancel_payment(reference, authorization if paid else None)
        except PicPayError as error:
            self._release_refund(payment_id, error)
            raise
        with transaction(self.sessions) as session:
            row = _locked(session, payment_id)
            row.cancellation_id = cancellation.cancellation_id
            row.refund_due_at = None
            _record(session, row, "refund_requested", source="refund", now=now)
        try:
            self.apply_status(self.gateway.payment_status(reference), source="refund")
        except PicPayError as error:
            # The callback, or the periodic check, brings the new status later.
            logger.warning("payment %s: status after refund unknown: %s", reference, error)
        return self.view(payment_id)

    def _release_refund(self, payment_id: int, error: PicPayError) -> None:
        """The refund failed: it stays due, and the periodic check asks again.

        The provider being down or slow is waited out; a refusal (a 4xx, which the same
        request would meet again) is counted, and at the `MAX_REFUND_REFUSALS`th the
        payment is held for review instead: the money is stuck and a person must act.
        """
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = _locked(session, payment_id)
            row.refund_requested_at = None
            if not isinstance(error, PicPayRejected):
                return
            _record(session, row, "refund_refused", source="refund", detail=str(error), now=now)
            refusals = session.scalar(
                select(func.count())
                .select_from(PaymentEvent)
                .where(
                    PaymentEvent.payment_id == payment_id, PaymentEvent.kind == "refund_refused"
                )
            )
            if (refusals or 0) < MAX_REFUND_REFUSALS:
                return
            row.refund_due_at = None
            row.needs_review = True
            reason = f"the provider refused the refund {refusals} times: {error}"
            row.review_reason = reason[:MAX_REASON]
            row.updated_at = now
            _record(session, row, "review", source="refund", detail=row.review_reason, now=now)
            logger.error(
                "payment %s: refund refused %s times; held for review", row.reference_id, refusals
            )

    # Reading ----------------------------------------------------------------------------

    def view(self, payment_id: int) -> PaymentView:
        """The payment as it is now; raises UnknownPayment."""
        with transaction(self.sessions) as session:
            row = session.get(Payment, payment_id)
            if row is None:
                raise UnknownPayment(str(payment_id))
            return PaymentView.of(row)

    def view_by_reference(self, reference_id: str) -> PaymentView:
        """The payment with this reference id; raises UnknownPayment."""
        with transaction(self.sessions) as session:
            row = session.scalar(select(Payment).where(Payment.reference_id == reference_id))
            if row is None:
                raise UnknownPayment(reference_id)
            return PaymentView.of(row)


def mark_refund_due(session: Session, payment_id: int, now: datetime) -> str:
    """Record, in the caller's transaction, that a payment must be given back or cancelled.

    A payment the provider has not created yet is cancelled here and now (it will never be
    created); one it has is refunded (paid) or cancelled (unpaid) by `Payments.check_due`,
    asked again until the provider confirms. Returns what was done: `cancelled`, `due`,
    or `nothing` (failed, expired, refunded or charged back already).
    """
    row = _locked(session, payment_id)
    if row.status == CREATING:
        before, row.status = row.status, FAILED
        row.buyer = None
        row.last_error = "cancelled before creation: the contract was withdrawn"
        row.updated_at = now
        _record(
            session,
            row,
            "status",
            source="refund",
            from_status=before,
            to_status=FAILED,
            detail=row.last_error,
            now=now,
        )
        return "cancelled"
    if row.status not in (*PENDING, *SETTLED):
        return "nothing"
    if row.refund_due_at is None:
        row.refund_due_at = now
        row.next_check_at = now  # the next check asks for it
        row.updated_at = now
        _record(session, row, "refund_due", source="refund", now=now)
    return "due"


def creation_request(row: Payment, config: PaymentConfig) -> PaymentRequest:
    """What to ask the provider to create for a payment still being created."""
    if row.buyer is None:
        raise ValueError("the payment was already created; its buyer is no longer kept")
    return PaymentRequest(
        reference_id=row.reference_id,
        value=row.amount_brl,
        callback_url=config.callback_url,
        return_url=row.return_url,
        expires_at=row.expires_at,
        buyer=_buyer_of(row.buyer),
    )


def history(session: Session, payment_id: int) -> list[PaymentEvent]:
    """A payment's events, oldest first."""
    return list(
        session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.payment_id == payment_id)
            .order_by(PaymentEvent.id)
        )
    )


def _locked(session: Session, payment_id: int) -> Payment:
    row = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if row is None:
        raise UnknownPayment(str(payment_id))
    return row


def _record(
    session: Session,
    row: Payment,
    kind: str,
    *,
    source: str,
    from_status: str | None = None,
    to_status: str | None = None,
    provider: str | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    session.add(
        PaymentEvent(
            payment_id=row.id,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            provider_status=provider,
            source=source,
            detail=detail[:MAX_ERROR] if detail else None,
            created_at=now or row.updated_at,
        )
    )


def _buyer_json(buyer: Buyer) -> dict[str, Any]:
    return {
        "first_name": buyer.first_name,
        "last_name": buyer.last_name,
        "cpf": buyer.cpf,
        "email": buyer.email,
        "phone": buyer.phone,
    }


def _buyer_of(data: dict[str, Any]) -> Buyer:
    return Buyer(
        first_name=str(data["first_name"]),
        last_name=str(data["last_name"]),
        cpf=str(data["cpf"]),
        email=data.get("email"),
        phone=data.get("phone"),
    )


def gateway_for(
    settings: Settings, sessions: sessionmaker[Session], clock: Clock
) -> PaymentGateway:
    """PicPay when `PICPAY_TOKEN` is set, otherwise the built-in sandbox (no real money)."""
    if settings.picpay_token:
        return PicPayClient(settings.picpay_api_url, settings.picpay_token)
    return SandboxGateway(sessions, clock, settings.public_url)
