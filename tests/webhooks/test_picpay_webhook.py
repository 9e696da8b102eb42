"""`POST /webhooks/picpay` with the fake PicPay calling it: forged, repeated, out of order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from marketplace.clock import FixedClock
from marketplace.payments import Payments, PaymentView
from marketplace.settings import Settings
from tests.fakes.picpay import FakePicPay, running_picpay
from tests.marketplace.payment_support import ListenerInTheDatabase, heard, open_payment
from webhooks.app import create_app


@dataclass
class PicPayHarness:
    """The app with PicPay configured, the fake behind it, and a way to open payments."""

    client: TestClient
    picpay: FakePicPay

    @property
    def payments(self) -> Payments:
        """The app's payments module."""
        payments: Payments = self.client.app.state.payments  # type: ignore[attr-defined]
        return payments

    def created_payment(self, amount: Decimal = Decimal("149.90")) -> PaymentView:
        """A payment opened and created at the fake PicPay."""
        return self.payments.create_at_provider(open_payment(self.payments, amount).id)

    def status_of(self, payment: PaymentView) -> str:
        """Our status of the payment now."""
        return self.payments.view(payment.id).status


@pytest.fixture
def harness(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> Iterator[PicPayHarness]:
    """The app talking to the fake PicPay, which calls back through the test client."""
    with running_picpay() as picpay:
        configured = settings.model_copy(
            update={
                "picpay_token": picpay.token,
                "picpay_seller_token": picpay.seller_token,
                "picpay_api_url": picpay.url,
            }
        )
        app = create_app(
            runtime=Runtime(configured, engine, sessions, clock),
            payment_listener=ListenerInTheDatabase(),
        )
        with TestClient(app) as client:
            app.state.payments.gateway.retry_pause = 0

            def post(path: str, headers: dict[str, str], body: bytes) -> int:
                answer = client.post(path, headers=headers, content=body)
                return int(answer.status_code)

            picpay.callback_sink = post
            yield PicPayHarness(client, picpay)
        assert picpay.violations == []


def test_a_paid_callback_marks_the_payment_paid(harness: PicPayHarness) -> None:
    payment = harness.created_payment()
    harness.picpay.set_status(payment.reference_id, "paid")

    assert harness.picpay.call_back(payment.reference_id) == 200

    assert harness.status_of(payment) == "paid"
    assert heard(harness.payments.sessions, payment.id) == ["ready", "paid"]


def test_repeated_callbacks_answer_200_and_change_nothing(harness: PicPayHarness) -> None:
    payment = harness.created_payment()
    harness.picpay.set_status(payment.reference_id, "paid")

    answers = [harness.picpay.call_back(payment.reference_id) for _ in range(6)]

    assert answers == [200] * 6
    assert heard(harness.payments.sessions, payment.id) == ["ready", "paid"]


def test_an_expiry_reported_after_payment_changes_nothing(harness: PicPayHarness) -> None:
    payment = harness.created_payment()
    harness.picpay.set_status(payment.reference_id, "paid")
    harness.picpay.call_back(payment.reference_id)

    harness.picpay.set_status(payment.reference_id, "expired")

    assert harness.picpay.call_back(payment.reference_id) == 200
    assert harness.status_of(payment) == "paid"


def test_the_status_in_the_body_is_ignored(harness: PicPayHarness) -> None:
    payment = harness.created_payment()

    answer = harness.picpay.call_back(
        payment.reference_id, body={"referenceId": payment.reference_id, "status": "paid"}
    )

    assert answer == 200
    assert harness.status_of(payment) == "created"


@pytest.mark.parametrize("token", ["", "fake-seller-tokeX", "fake-seller-token-and-more"])
def test_a_wrong_seller_token_is_refused(harness: PicPayHarness, token: str) -> None:
    payment = harness.created_payment()
    harness.picpay.set_status(payment.reference_id, "paid")

    assert harness.picpay.call_back(payment.reference_id, seller_token=token) == 401
    assert harness.status_of(payment) == "created"


def test_a_callback_without_the_header_is_refused(harness: PicPayHarness) -> None:
    payment = harness.created_payment()
    harness.picpay.set_status(payment.reference_id, "paid")

    answer = harness.client.post("/webhooks/picpay", json={"referenceId": payment.reference_id})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert harness.status_of(payment) == "created"


def test_a_callback_before_the_payment_exists_is_not_found(harness: PicPayHarness) -> None:
    assert harness.picpay.call_back("ce-000000000000000000000000") == 404


def test_a_callback_for_a_payment_picpay_does_not_know_is_not_found(
    harness: PicPayHarness,
) -> None:
    opened = open_payment(harness.payments)  # ours, never sent to PicPay

    assert harness.picpay.call_back(opened.reference_id) == 404
    assert harness.status_of(opened) == "creating"


def test_a_payment_of_another_amount_is_not_marked_paid(harness: PicPayHarness) -> None:
    payment = harness.created_payment(Decimal("149.90"))
    harness.picpay.set_status(payment.reference_id, "paid", paid=Decimal("14.99"))

    assert harness.picpay.call_back(payment.reference_id) == 200

    held = harness.payments.view(payment.id)
    assert held.status == "created"
    assert held.needs_review
    assert held.paid == Decimal("14.99")
    assert heard(harness.payments.sessions, payment.id) == ["ready"]


def test_a_failing_status_query_asks_picpay_to_call_again(harness: PicPayHarness) -> None:
    payment = harness.created_payment()
    harness.picpay.set_status(payment.reference_id, "paid")
    harness.picpay.fail_next(500, times=3)

    assert harness.picpay.call_back(payment.reference_id) == 503
    assert harness.status_of(payment) == "created"
    assert harness.picpay.call_back(payment.reference_id) == 200
    assert harness.status_of(payment) == "paid"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"referenceId"',
        b"{}",
        b'{"referenceId": null}',
        b'{"referenceId": ""}',
        b'{"referenceId": "has spaces in it"}',
        b'{"referenceId": "' + b"x" * 65 + b'"}',
        b'{"referenceId": ["ce-1"]}',
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"referenceId": "ce-1", "padding": "x" * 10_000}).encode(),
    ],
)
def test_an_unusable_body_is_a_bad_request(harness: PicPayHarness, body: bytes) -> None:
    answer = harness.client.post(
        "/webhooks/picpay",
        headers={"x-seller-token": harness.picpay.seller_token},
        content=body,
    )

    assert answer.status_code == 400
    assert answer.json()["status"] == 400
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_huge_body_is_refused_before_it_is_read(harness: PicPayHarness) -> None:
    answer = harness.client.post(
        "/webhooks/picpay",
        headers={"x-seller-token": harness.picpay.seller_token},
        content=b"{" + b" " * 300_000 + b"}",
    )

    assert answer.status_code == 413


def test_a_failing_listener_answers_503_and_changes_nothing(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with running_picpay() as picpay:
        configured = settings.model_copy(
            update={
                "picpay_token": picpay.token,
                "picpay_seller_token": picpay.seller_token,
                "picpay_api_url": picpay.url,
            }
        )
        app = create_app(
            runtime=Runtime(configured, engine, sessions, clock),
            payment_listener=ListenerInTheDatabase(fail_on="paid"),
        )
        with TestClient(app) as client:
            payments: Payments = app.state.payments
            payment = payments.create_at_provider(open_payment(payments).id)
            picpay.set_status(payment.reference_id, "paid")

            answer = client.post(
                "/webhooks/picpay",
                json={"referenceId": payment.reference_id},
                headers={"x-seller-token": picpay.seller_token},
            )

            assert answer.status_code == 503
            assert payments.view(payment.id).status == "created"
