"""The built-in sandbox: its page, its buttons, and the same callback path as PicPay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.payment_checker import PaymentChecker
from bot.runtime import Runtime
from marketplace.clock import FixedClock
from marketplace.models import SandboxPayment
from marketplace.payments import Payments, PaymentView
from marketplace.picpay_sandbox import SandboxGateway
from marketplace.settings import Settings
from tests.marketplace.payment_support import ListenerInTheDatabase, heard, open_payment
from webhooks.app import create_app

ENGLISH = {"accept-language": "en"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
TOKEN = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class Sandbox:
    """The app on the embedded default's payments: no PicPay token, the sandbox."""

    client: TestClient

    @property
    def payments(self) -> Payments:
        """The app's payments module."""
        payments: Payments = self.client.app.state.payments  # type: ignore[attr-defined]
        return payments

    def created_payment(self) -> PaymentView:
        """A payment opened and created in the sandbox."""
        return self.payments.create_at_provider(open_payment(self.payments).id)

    def page_path(self, payment: PaymentView) -> str:
        """The sandbox page of a payment, as the link the consumer gets names it."""
        assert payment.payment_url is not None
        return payment.payment_url.removeprefix("http://127.0.0.1:8000")

    def press(self, payment: PaymentView, action: str, *, csrf: str | None = None) -> int:
        """Press a button of the payment's page, as a browser would post its form."""
        page = self.client.get(self.page_path(payment), headers=ENGLISH)
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        token = csrf if csrf is not None else (found[1] if found else "")
        answer = self.client.post(
            f"{self.page_path(payment)}/{action}",
            content=f"csrf={token}",
            headers={"content-type": "application/x-www-form-urlencoded", **ENGLISH},
            follow_redirects=False,
        )
        return int(answer.status_code)

    def status_of(self, payment: PaymentView) -> str:
        """Our status of the payment now."""
        return self.payments.view(payment.id).status


@pytest.fixture
def sandbox(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> Iterator[Sandbox]:
    """The app with payments in the sandbox."""
    assert settings.payments_sandboxed
    app = create_app(
        runtime=Runtime(settings, engine, sessions, clock),
        payment_listener=ListenerInTheDatabase(),
    )
    with TestClient(app) as client:
        yield Sandbox(client)


def test_without_a_picpay_token_payments_go_to_the_sandbox(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()

    assert isinstance(sandbox.payments.gateway, SandboxGateway)
    assert payment.is_sandbox
    assert payment.payment_url == (f"http://127.0.0.1:8000/sandbox/picpay/{payment.reference_id}")
    assert payment.qr_code_png is not None
    assert payment.qr_code_png.startswith(b"\x89PNG")


def test_the_page_says_it_is_a_sandbox(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()

    english = sandbox.client.get(sandbox.page_path(payment), headers=ENGLISH)
    portuguese = sandbox.client.get(sandbox.page_path(payment))

    assert english.status_code == 200
    assert "Sandbox: this is not PicPay, and no real money moves." in english.text
    assert "R$ 149.90" in english.text
    assert "Sandbox: isto não é o PicPay" in portuguese.text
    assert "R$ 149,90" in portuguese.text


def test_pay_walks_the_callback_path_to_paid(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()

    assert sandbox.press(payment, "pay") == 303

    assert sandbox.status_of(payment) == "paid"
    assert heard(sandbox.payments.sessions, payment.id) == ["ready", "paid"]
    page = sandbox.client.get(sandbox.page_path(payment), headers=ENGLISH)
    assert 'id="recorded">paid (simulated)' in page.text
    assert "Pay (simulated)" not in page.text


def test_pressing_pay_twice_pays_once(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()

    sandbox.press(payment, "pay")
    sandbox.press(payment, "pay")

    assert heard(sandbox.payments.sessions, payment.id) == ["ready", "paid"]


def test_let_expire_walks_the_callback_path_to_expired(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()

    assert sandbox.press(payment, "expire") == 303
    sandbox.press(payment, "pay")

    assert sandbox.status_of(payment) == "expired"
    assert heard(sandbox.payments.sessions, payment.id) == ["ready", "expired"]
    page = sandbox.client.get(sandbox.page_path(payment), headers=ENGLISH).text
    assert "Go back to the chat: you can ask for a new link there." in page


@pytest.mark.parametrize("csrf", ["", "0" * 64, "not-hex"])
def test_a_form_without_its_token_changes_nothing(sandbox: Sandbox, csrf: str) -> None:
    payment = sandbox.created_payment()

    assert sandbox.press(payment, "pay", csrf=csrf) == 403
    assert sandbox.status_of(payment) == "created"


def test_another_payments_token_does_not_fit(sandbox: Sandbox) -> None:
    mine, theirs = sandbox.created_payment(), sandbox.created_payment()
    page = sandbox.client.get(sandbox.page_path(theirs))
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None

    assert sandbox.press(mine, "pay", csrf=found[1]) == 403


def test_a_form_token_works_only_in_the_browser_it_was_given_to(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()
    theirs = TOKEN.search(sandbox.client.get(sandbox.page_path(payment)).text)
    sandbox.client.cookies.clear()  # another browser opens the same page
    mine = TOKEN.search(sandbox.client.get(sandbox.page_path(payment)).text)
    assert theirs is not None
    assert mine is not None

    assert mine[1] != theirs[1]
    assert sandbox.press(payment, "pay", csrf=theirs[1]) == 403
    assert sandbox.status_of(payment) == "created"
    assert sandbox.press(payment, "pay", csrf=mine[1]) == 303
    assert sandbox.status_of(payment) == "paid"


def test_every_answer_has_the_signing_pages_security_headers(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()
    path = sandbox.page_path(payment)
    page = sandbox.client.get(path)
    found = TOKEN.search(page.text)
    assert found is not None

    answers = [
        page,
        sandbox.client.get("/sandbox/picpay/ce-nothing"),
        sandbox.client.post(f"{path}/pay", content="csrf=0", headers=FORM),
        sandbox.client.post(
            f"{path}/pay", content=f"csrf={found[1]}", headers=FORM, follow_redirects=False
        ),
    ]

    assert [answer.status_code for answer in answers] == [200, 404, 403, 303]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
    assert "<style" not in page.text  # the policy allows no inline style: it is a file
    assert sandbox.client.get("/static/sandbox.css").status_code == 200


def test_head_answers_like_get_and_changes_nothing(
    sandbox: Sandbox, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # The app's periodic check would expire the payment, rightly, once its time is past;
    # stopped here, only the page could have written.
    checker: PaymentChecker = sandbox.client.app.state.payment_checker  # type: ignore[attr-defined]
    assert sandbox.client.portal is not None
    sandbox.client.portal.call(checker.stop)
    payment = sandbox.created_payment()
    clock.advance(hours=25)  # past its time: reading the page must not expire it

    head = sandbox.client.head(sandbox.page_path(payment), headers=ENGLISH)
    get = sandbox.client.get(sandbox.page_path(payment), headers=ENGLISH)

    assert head.status_code == get.status_code == 200
    for name in ("content-type", "content-security-policy", "cache-control", "x-frame-options"):
        assert head.headers[name] == get.headers[name]
    assert 'id="status">expired' in get.text  # as it reads, without being written
    with sessions() as session:
        assert session.get_one(SandboxPayment, payment.reference_id).status == "created"
    assert sandbox.status_of(payment) == "created"
    assert heard(sandbox.payments.sessions, payment.id) == ["ready"]


def test_an_unknown_sandbox_payment_is_not_found(sandbox: Sandbox) -> None:
    answer = sandbox.client.get("/sandbox/picpay/ce-nothing", headers=ENGLISH)

    assert answer.status_code == 404
    assert "There is no sandbox payment at this address." in answer.text


def test_the_sandbox_refuses_outside_callbacks(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()

    answer = sandbox.client.post(
        "/webhooks/picpay",
        json={"referenceId": payment.reference_id},
        headers={"x-seller-token": ""},
    )

    assert answer.status_code == 401


def test_a_sandbox_payment_is_refunded_like_a_real_one(sandbox: Sandbox) -> None:
    payment = sandbox.created_payment()
    sandbox.press(payment, "pay")

    refunded = sandbox.payments.refund(payment.id)

    assert refunded.status == "refunded"
    assert heard(sandbox.payments.sessions, payment.id) == ["ready", "paid", "refunded"]


def test_a_sandbox_payment_past_its_time_expires(sandbox: Sandbox, clock: FixedClock) -> None:
    payment = sandbox.created_payment()
    clock.advance(hours=25)

    sandbox.payments.check_due()

    assert sandbox.status_of(payment) == "expired"


def test_with_picpay_configured_there_is_no_sandbox_page(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    real = settings.model_copy(update={"picpay_token": "a-real-token"})
    app = create_app(runtime=Runtime(real, engine, sessions, clock))
    with TestClient(app) as client:
        assert client.get("/sandbox/picpay/ce-anything").status_code == 404


def test_pressing_pay_past_its_time_reports_the_expiry_at_once(
    sandbox: Sandbox, clock: FixedClock
) -> None:
    payment = sandbox.created_payment()
    page = sandbox.client.get(sandbox.page_path(payment))
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None  # the page was opened while the payment could be paid
    clock.advance(hours=25)

    assert sandbox.press(payment, "pay", csrf=found[1]) == 303

    assert sandbox.status_of(payment) == "expired"
    assert heard(sandbox.payments.sessions, payment.id) == ["ready", "expired"]
