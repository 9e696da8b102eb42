"""Payments against the fake PicPay: creation, statuses applied once and forward, refunds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import FixedClock
from marketplace.db import transaction
from marketplace.models import Payment
from marketplace.payments import (
    MAX_REFUND_REFUSALS,
    NotRefundable,
    Outcome,
    Payments,
    PaymentView,
    UnknownPayment,
    creation_request,
    history,
    mark_refund_due,
)
from marketplace.picpay import (
    Cancellation,
    PaymentRequest,
    PaymentStatus,
    PicPayClient,
    PicPayProtocolError,
    PicPayRejected,
    PicPayUnavailable,
)
from marketplace.picpay_sandbox import SandboxGateway
from tests.fakes.picpay import FakePicPay, running_picpay
from tests.marketplace.payment_support import (
    CONFIG,
    ListenerInTheDatabase,
    event_count,
    heard,
    make_payments,
    open_payment,
)


@pytest.fixture
def picpay() -> Iterator[FakePicPay]:
    """The fake PicPay; the test fails if we sent it anything PicPay would refuse."""
    with running_picpay() as fake:
        yield fake
        assert fake.violations == [], "requests to PicPay broke its documented rules"


@pytest.fixture
def client(picpay: FakePicPay) -> Iterator[PicPayClient]:
    """Our PicPay client, pointed at the fake, not pausing between retries."""
    client = PicPayClient(picpay.url, picpay.token, retry_pause=0)
    yield client
    client.close()


@pytest.fixture
def payments(sessions: sessionmaker[Session], client: PicPayClient, clock: FixedClock) -> Payments:
    """The payments module talking to the fake PicPay."""
    return make_payments(sessions, client, clock)


def paid_payment(payments: Payments, picpay: FakePicPay) -> PaymentView:
    """A payment created at PicPay, paid, and its callback applied."""
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")
    payments.handle_callback(payment.reference_id)
    return payments.view(payment.id)


def test_the_payment_row_exists_before_picpay_is_asked(
    payments: Payments, picpay: FakePicPay
) -> None:
    opened = open_payment(payments, Decimal("149.9"))

    assert opened.status == "creating"
    assert picpay.payments == {}

    created = payments.create_at_provider(opened.id)

    sent = picpay.only_payment()
    assert sent.reference_id == opened.reference_id
    assert sent.value == Decimal("149.90")
    assert sent.callback_url == "http://127.0.0.1:8000/webhooks/picpay"
    assert sent.body["buyer"]["document"] == "529.982.247-25"
    assert sent.body["expiresAt"] == "2026-10-16T12:00:00-03:00"  # 24 h, shown in Brasília
    assert created.status == "created"
    assert created.payment_url == f"https://app.picpay.com/checkout/{opened.reference_id}"
    assert created.qr_code_png is not None
    assert created.qr_code_png.startswith(b"\x89PNG")
    assert heard(payments.sessions, opened.id) == ["ready"]


def test_amounts_reach_picpay_as_exact_numbers_with_two_decimals(
    payments: Payments, picpay: FakePicPay
) -> None:
    for amount in (Decimal("0.1"), Decimal("1234.5"), Decimal("99999.99")):
        payments.create_at_provider(open_payment(payments, amount).id)

    assert sorted(p.value for p in picpay.payments.values()) == [
        Decimal("0.10"),
        Decimal("1234.50"),
        Decimal("99999.99"),
    ]


def test_an_amount_that_is_not_whole_centavos_is_refused(payments: Payments) -> None:
    with pytest.raises(ValueError, match="centavos"):
        open_payment(payments, Decimal("10.005"))


def test_a_failed_creation_is_recorded_and_retried_by_the_check(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    opened = open_payment(payments)
    picpay.fail_next(503)

    with pytest.raises(PicPayUnavailable):
        payments.create_at_provider(opened.id)
    failed = payments.view(opened.id)
    assert failed.status == "creating"
    assert failed.last_error == "PicPay answered 503"

    clock.advance(minutes=11)
    report = payments.check_due()

    assert report.created == 1
    assert payments.view(opened.id).status == "created"
    assert heard(payments.sessions, opened.id) == ["ready"]


def test_a_creation_picpay_refuses_fails_for_good(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    opened = open_payment(payments)
    picpay.fail_next(422)

    with pytest.raises(PicPayRejected):
        payments.create_at_provider(opened.id)

    assert payments.view(opened.id).status == "failed"
    assert heard(payments.sessions, opened.id) == ["failed"]
    clock.advance(hours=2)
    assert payments.check_due().created == 0


# A refusal whose body echoes the buyer (PicPay's texts may quote what it was sent).
ECHO = "Maria Silva (CPF 529.982.247-25, maria@example.com) não pode pagar este pedido"
ECHOED_ERRORS = ({"field": "buyer.document", "message": "O CPF 529.982.247-25 é inválido"},)
PERSONAL = ("Maria", "Silva", "529.982.247-25", "52998224725", "maria@example.com")


def test_a_refusal_echoing_the_buyer_keeps_the_buyer_out_of_logs_and_records(
    payments: Payments, picpay: FakePicPay, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    opened = open_payment(payments)
    clock.advance(minutes=11)  # left to the check, as when the process died after opening
    picpay.fail_next(422, message=ECHO, errors=ECHOED_ERRORS)

    assert payments.check_due().failed == 1

    failed = payments.view(opened.id)
    assert failed.status == "failed"
    assert "422" in caplog.text
    assert "buyer.document" in caplog.text  # which field, enough to know what to fix
    with transaction(payments.sessions) as session:
        details = [event.detail or "" for event in history(session, opened.id)]
    for text in (caplog.text, failed.last_error or "", *details):
        assert not [personal for personal in PERSONAL if personal in text], text


def test_a_paid_status_is_applied_once(payments: Payments, picpay: FakePicPay) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")

    first = payments.handle_callback(payment.reference_id)
    events = event_count(payments.sessions, payment.id)
    repeats = [payments.handle_callback(payment.reference_id) for _ in range(5)]

    assert first is Outcome.CHANGED
    assert repeats == [Outcome.UNCHANGED] * 5
    assert event_count(payments.sessions, payment.id) == events
    paid = payments.view(payment.id)
    assert paid.status == "paid"
    assert paid.paid == Decimal("149.90")
    assert paid.authorization_id is not None
    assert heard(payments.sessions, payment.id) == ["ready", "paid"]


@pytest.mark.parametrize("late", ["created", "expired", "analysis"])
def test_a_late_status_after_paid_changes_nothing(
    payments: Payments, picpay: FakePicPay, late: str
) -> None:
    payment = paid_payment(payments, picpay)

    picpay.set_status(payment.reference_id, late)
    outcome = payments.handle_callback(payment.reference_id)

    assert outcome is Outcome.UNCHANGED
    assert payments.view(payment.id).status == "paid"
    assert heard(payments.sessions, payment.id) == ["ready", "paid"]


def test_completed_after_paid_is_not_a_second_payment(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = paid_payment(payments, picpay)

    picpay.set_status(payment.reference_id, "completed")

    assert payments.handle_callback(payment.reference_id) is Outcome.CHANGED
    assert payments.view(payment.id).status == "completed"
    assert heard(payments.sessions, payment.id) == ["ready", "paid"]


def test_expired_then_chargeback_reach_the_listener(
    payments: Payments, picpay: FakePicPay
) -> None:
    expiring = payments.create_at_provider(open_payment(payments).id)
    charged = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(expiring.reference_id, "expired")
    picpay.set_status(charged.reference_id, "paid")
    payments.handle_callback(charged.reference_id)
    picpay.set_status(charged.reference_id, "chargeback")

    payments.handle_callback(expiring.reference_id)
    payments.handle_callback(charged.reference_id)

    assert heard(payments.sessions, expiring.id) == ["ready", "expired"]
    assert heard(payments.sessions, charged.id) == ["ready", "paid", "chargeback"]


def test_an_unknown_status_is_recorded_not_fatal(payments: Payments, picpay: FakePicPay) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "on_hold_for_reasons")

    assert payments.handle_callback(payment.reference_id) is Outcome.UNKNOWN_STATUS
    assert payments.handle_callback(payment.reference_id) is Outcome.UNCHANGED

    with payments.sessions() as session:
        row = session.get_one(Payment, payment.id)
        assert row.status == "created"
        assert row.provider_statuses == ["on_hold_for_reasons"]


def test_a_payment_of_another_amount_is_held_for_review_not_paid(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments, Decimal("149.90")).id)
    picpay.set_status(payment.reference_id, "paid", paid=Decimal("1.49"))

    assert payments.handle_callback(payment.reference_id) is Outcome.REVIEW
    assert payments.handle_callback(payment.reference_id) is Outcome.UNCHANGED

    held = payments.view(payment.id)
    assert held.status == "created"
    assert held.needs_review
    assert held.paid == Decimal("1.49")
    assert heard(payments.sessions, payment.id) == ["ready"]


def test_a_held_payment_picpay_refunds_is_refunded_for_what_was_paid(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments, Decimal("149.90")).id)
    picpay.set_status(payment.reference_id, "paid", paid=Decimal("1.49"))
    payments.handle_callback(payment.reference_id)
    picpay.set_status(payment.reference_id, "refunded")

    assert payments.handle_callback(payment.reference_id) is Outcome.CHANGED

    refunded = payments.view(payment.id)
    assert refunded.status == "refunded"
    assert refunded.actual_amount == Decimal("1.49")
    assert not refunded.needs_review  # the money is back: nothing is left to settle
    assert heard(payments.sessions, payment.id) == ["ready", "refunded"]
    with payments.sessions() as session:
        row = session.get_one(Payment, payment.id)
        assert row.review_reason is not None
        assert "refunded" in row.review_reason


def test_a_listener_failure_leaves_the_payment_unchanged(
    sessions: sessionmaker[Session],
    client: PicPayClient,
    clock: FixedClock,
    picpay: FakePicPay,
) -> None:
    payments = make_payments(sessions, client, clock, ListenerInTheDatabase(fail_on="paid"))
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")

    with pytest.raises(RuntimeError):
        payments.handle_callback(payment.reference_id)

    assert payments.view(payment.id).status == "created"


def test_a_callback_for_a_reference_we_never_opened_is_unknown(payments: Payments) -> None:
    with pytest.raises(UnknownPayment):
        payments.handle_callback("ce-forged")


def test_a_callback_while_creation_is_in_flight_keeps_the_link(
    payments: Payments, picpay: FakePicPay, client: PicPayClient
) -> None:
    opened = open_payment(payments)
    created = client.create_payment(  # PicPay has it; our side has not heard back yet
        payments_request(payments, opened.id)
    )

    assert payments.handle_callback(opened.reference_id) is Outcome.CHANGED
    assert payments.view(opened.id).status == "created"

    payments._note_created(opened.id, created)
    recorded = payments.view(opened.id)
    assert recorded.payment_url == created.payment_url
    assert heard(payments.sessions, opened.id) == ["ready"]


def test_two_callbacks_at_once_apply_once(payments: Payments, picpay: FakePicPay) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")
    outcomes: list[Outcome] = []
    start = threading.Barrier(4)

    def call_back() -> None:
        start.wait()
        outcomes.append(payments.handle_callback(payment.reference_id))

    threads = [threading.Thread(target=call_back) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == sorted([Outcome.CHANGED] + [Outcome.UNCHANGED] * 3)
    assert heard(payments.sessions, payment.id) == ["ready", "paid"]


def test_the_check_finds_a_payment_whose_callback_never_came(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")

    assert payments.check_due().asked == 0  # not yet past the delay
    clock.advance(minutes=10)
    report = payments.check_due()

    assert (report.asked, report.changed) == (1, 1)
    assert payments.view(payment.id).status == "paid"
    assert heard(payments.sessions, payment.id) == ["ready", "paid"]
    assert payments.check_due().asked == 0  # settled: no longer checked


def test_a_claimed_payment_is_not_checked_by_another_process(
    payments: Payments, clock: FixedClock
) -> None:
    payments.create_at_provider(open_payment(payments).id)
    clock.advance(minutes=10)

    first = list(payments._claim_due(10))
    second = list(payments._claim_due(10))

    assert len(first) == 1
    assert second == []


def test_status_reads_are_retried_through_a_passing_outage(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")
    picpay.fail_next(502, times=2)

    assert payments.handle_callback(payment.reference_id) is Outcome.CHANGED


def test_an_outage_longer_than_the_retries_changes_nothing(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")
    picpay.fail_next(503, times=3)

    with pytest.raises(PicPayUnavailable):
        payments.handle_callback(payment.reference_id)
    assert payments.view(payment.id).status == "created"


def test_a_paid_payment_is_refunded_in_full_once(payments: Payments, picpay: FakePicPay) -> None:
    payment = paid_payment(payments, picpay)

    refunded = payments.refund(payment.id)
    again = payments.refund(payment.id)

    assert refunded.status == again.status == "refunded"
    cancellations = [r for r in picpay.requests if r[1].endswith("/cancellations")]
    assert len(cancellations) == 1
    assert heard(payments.sessions, payment.id) == ["ready", "paid", "refunded"]


def test_an_unpaid_payment_is_cancelled_instead(payments: Payments, picpay: FakePicPay) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)

    assert payments.refund(payment.id).status == "expired"
    assert picpay.only_payment().status == "expired"


def test_a_refund_that_fails_can_be_asked_again(payments: Payments, picpay: FakePicPay) -> None:
    payment = paid_payment(payments, picpay)
    picpay.fail_next_cancellation(503)

    with pytest.raises(PicPayUnavailable):
        payments.refund(payment.id)

    assert payments.refund(payment.id).status == "refunded"


def test_a_refund_cut_short_by_a_crash_is_retried_by_the_check(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    payment = paid_payment(payments, picpay)
    with transaction(payments.sessions) as session:
        mark_refund_due(session, payment.id, clock.now())
        # The claim committed, then the process died before PicPay was asked.
        session.get_one(Payment, payment.id).refund_requested_at = clock.now()

    assert payments.refund(payment.id).status == "paid"  # another claim is still fresh
    clock.advance(minutes=11)
    report = payments.check_due()

    assert report.refunded == 1
    assert payments.view(payment.id).status == "refunded"
    assert picpay.only_payment().status == "refunded"
    clock.advance(minutes=30)
    assert payments.check_due().refunded == 0


def test_a_refund_the_provider_failed_is_retried_by_the_check(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    payment = paid_payment(payments, picpay)
    picpay.fail_next_cancellation(422)

    with pytest.raises(PicPayRejected):
        payments.refund(payment.id)
    clock.advance(minutes=11)

    assert payments.check_due().refunded == 1
    assert payments.view(payment.id).status == "refunded"


def test_a_refund_the_provider_keeps_refusing_is_held_for_review_not_asked_for_ever(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    payment = paid_payment(payments, picpay)
    with transaction(payments.sessions) as session:
        mark_refund_due(session, payment.id, clock.now())

    for _round in range(MAX_REFUND_REFUSALS):
        picpay.fail_next_cancellation(422)
        clock.advance(minutes=11)
        assert payments.check_due().failed == 1
    asked = len(picpay.requests)
    clock.advance(minutes=11)
    payments.check_due()

    view = payments.view(payment.id)
    assert view.status == "paid"
    assert view.needs_review
    assert len(picpay.requests) == asked  # no fourth refusal is asked for
    with payments.sessions() as session:
        row = session.get_one(Payment, payment.id)
        assert row.refund_due_at is None
        assert row.review_reason is not None
        assert "refused the refund 3 times" in row.review_reason


def test_a_refund_the_provider_cannot_answer_stays_due_however_often(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    payment = paid_payment(payments, picpay)
    with transaction(payments.sessions) as session:
        mark_refund_due(session, payment.id, clock.now())

    for _round in range(MAX_REFUND_REFUSALS + 1):
        picpay.fail_next_cancellation(503)
        clock.advance(minutes=11)
        payments.check_due()
    assert not payments.view(payment.id).needs_review
    clock.advance(minutes=11)

    assert payments.check_due().refunded == 1
    assert payments.view(payment.id).status == "refunded"


def test_a_payment_paid_before_its_callback_is_refunded_with_its_authorization(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")  # PicPay's callback has not come yet

    refunded = payments.refund(payment.id)

    assert refunded.status == "refunded"
    assert picpay.only_payment().status == "refunded"
    assert refunded.authorization_id == picpay.only_payment().authorization_id
    assert heard(payments.sessions, payment.id) == ["ready", "paid", "refunded"]


def test_a_payment_held_for_review_is_refunded_with_its_authorization(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments, Decimal("149.90")).id)
    picpay.set_status(payment.reference_id, "paid", paid=Decimal("1.49"))
    payments.handle_callback(payment.reference_id)  # held: still `created` here

    refunded = payments.refund(payment.id)

    assert refunded.status == "refunded"
    assert picpay.only_payment().status == "refunded"
    assert not refunded.needs_review


def test_a_refund_picpay_already_made_is_not_asked_again(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    payment = paid_payment(payments, picpay)
    with transaction(payments.sessions) as session:
        mark_refund_due(session, payment.id, clock.now())
        # The claim committed, PicPay refunded, then the process died before recording it.
        session.get_one(Payment, payment.id).refund_requested_at = clock.now()
    picpay.set_status(payment.reference_id, "refunded")
    clock.advance(minutes=11)

    report = payments.check_due()

    assert (report.refunded, report.failed) == (0, 0)
    assert payments.view(payment.id).status == "refunded"
    assert [r for r in picpay.requests if r[1].endswith("/cancellations")] == []
    with transaction(payments.sessions) as session:
        assert session.get_one(Payment, payment.id).refund_due_at is None
    assert heard(payments.sessions, payment.id) == ["ready", "paid", "refunded"]


def test_an_expired_payment_cannot_be_refunded(payments: Payments, picpay: FakePicPay) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "expired")
    payments.handle_callback(payment.reference_id)

    with pytest.raises(NotRefundable):
        payments.refund(payment.id)


def test_our_token_is_checked(
    sessions: sessionmaker[Session], picpay: FakePicPay, clock: FixedClock
) -> None:
    wrong = PicPayClient(picpay.url, "not-our-token", retry_pause=0)
    payments = Payments(sessions, wrong, clock, ListenerInTheDatabase(), CONFIG)
    opened = open_payment(payments)

    with pytest.raises(PicPayRejected) as refused:
        payments.create_at_provider(opened.id)
    assert refused.value.status_code == 401


def test_a_status_answer_parses_money_as_decimal(
    client: PicPayClient, payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments, Decimal("0.30")).id)
    picpay.set_status(payment.reference_id, "paid")

    status = client.payment_status(payment.reference_id)

    assert status == PaymentStatus(
        reference_id=payment.reference_id,
        status="paid",
        authorization_id=status.authorization_id,
        paid=Decimal("0.30"),
    )


def payments_request(payments: Payments, payment_id: int) -> PaymentRequest:
    """The request `create_at_provider` would send for a payment (for in-flight tests)."""
    with payments.sessions() as session:
        return creation_request(session.get_one(Payment, payment_id), CONFIG)


def test_an_answer_that_is_not_json_is_a_protocol_error(
    payments: Payments, picpay: FakePicPay
) -> None:
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid")
    picpay.garble_next()

    with pytest.raises(PicPayProtocolError):
        payments.handle_callback(payment.reference_id)
    assert payments.view(payment.id).status == "created"


def test_a_garbled_creation_answer_is_retried(
    payments: Payments, picpay: FakePicPay, clock: FixedClock
) -> None:
    opened = open_payment(payments)
    picpay.garble_next()

    with pytest.raises(PicPayProtocolError):
        payments.create_at_provider(opened.id)
    assert payments.view(opened.id).status == "creating"


def test_picpay_out_of_reach_is_unavailable(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with running_picpay() as gone:
        url = gone.url  # nothing listens there once stopped
    client = PicPayClient(url, "token", retry_pause=0)

    with pytest.raises(PicPayUnavailable):
        client.payment_status("ce-1")


def test_an_absurd_amount_paid_is_a_protocol_error_not_a_crash(
    payments: Payments, picpay: FakePicPay
) -> None:
    # 1e+30 reais cannot be held to centavos: Decimal raised InvalidOperation, which no
    # caller expects (the periodic check stopped on it).
    payment = payments.create_at_provider(open_payment(payments).id)
    picpay.set_status(payment.reference_id, "paid", paid=Decimal("1E+30"))

    with pytest.raises(PicPayProtocolError):
        payments.handle_callback(payment.reference_id)
    assert payments.view(payment.id).status == "created"


def test_a_withdrawal_while_a_check_refunds_another_is_cancelled_at_the_next_check(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    class WithdrawingMeanwhile(SandboxGateway):
        """While the check cancels one payment, the other's contract is withdrawn."""

        withdrawn: int | None = None

        def cancel_payment(self, reference_id: str, authorization_id: str | None) -> Cancellation:
            if self.withdrawn is not None:
                with transaction(sessions) as session:
                    mark_refund_due(session, self.withdrawn, clock.now())
                self.withdrawn = None
            return super().cancel_payment(reference_id, authorization_id)

    sandbox = WithdrawingMeanwhile(sessions, clock, CONFIG.public_url)
    payments = make_payments(sessions, sandbox, clock)
    first, second = (payments.create_at_provider(open_payment(payments).id) for _ in range(2))
    clock.advance(minutes=11)  # both pending past the delay: due a status check
    with transaction(sessions) as session:
        mark_refund_due(session, first.id, clock.now())
    sandbox.withdrawn = second.id

    payments.check_due()  # refunds the first; the second is withdrawn meanwhile
    payments.check_due()  # a round that comes back full runs the next at once

    # Not checked as a pending payment and left for later: its link is cancelled now.
    assert payments.view(second.id).status == "expired"
    assert sandbox.view(second.reference_id).status == "expired"
