"""The messages about a payment: link, deadline and QR code, in each language, sandbox said."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conversations.events import Option
from conversations.i18n import translator_for
from conversations.payment_messages import (
    payment_expired_message,
    payment_message,
    payment_paid_message,
    payment_refunded_message,
)
from marketplace.payments import PaymentView
from marketplace.picpay_sandbox import qr_png

URL = "https://app.picpay.com/checkout/NWFmMGRj"
PAYMENT = PaymentView(
    id=1,
    reference_id="ce-1",
    contract_id=7,
    provider="picpay",
    amount=Decimal("1234.5"),
    status="created",
    payment_url=URL,
    qr_code_png=qr_png(URL),
    expires_at=datetime(2026, 10, 16, 15, 0, tzinfo=UTC),
    authorization_id=None,
    paid=None,
    needs_review=False,
    last_error=None,
)
SANDBOXED = dataclasses.replace(PAYMENT, provider="sandbox")


@pytest.mark.parametrize(
    ("locale", "prompt", "until", "alt"),
    [
        (
            "pt_BR",
            "Para pagar R$ 1.234,50 com o PicPay, abra o link ou leia o QR code:",
            "O link pode ser pago até 16/10/2026 12:00 (horário de Brasília).",
            "QR code para pagar R$ 1.234,50 com o PicPay",
        ),
        (
            "en",
            "To pay R$ 1,234.50 with PicPay, open the link or scan the QR code:",
            "The link can be paid until 16 Oct 2026, 12:00 (Brasília time).",
            "QR code to pay R$ 1,234.50 with PicPay",
        ),
        (
            "es",
            "Para pagar R$ 1.234,50 con PicPay, abre el enlace o escanea el código QR:",
            "El enlace se puede pagar hasta 16/10/26, 12:00 (hora de Brasilia).",
            "Código QR para pagar R$ 1.234,50 con PicPay",
        ),
    ],
)
def test_the_payment_message_has_link_deadline_and_qr_code(
    locale: str, prompt: str, until: str, alt: str
) -> None:
    reply = payment_message(translator_for(locale), PAYMENT)

    assert reply.text.splitlines() == [prompt, URL, until]
    assert reply.image is not None
    assert reply.image.png == PAYMENT.qr_code_png
    assert reply.image.alt == alt


def test_a_sandbox_payment_says_so_in_every_message() -> None:
    pt = translator_for("pt_BR")
    note = "SANDBOX: este é um pagamento de teste, e nenhum dinheiro de verdade é movimentado."

    for reply in (
        payment_message(pt, SANDBOXED),
        payment_paid_message(pt, SANDBOXED),
        payment_expired_message(pt, SANDBOXED),
    ):
        assert reply.text.splitlines()[0] == note
    assert "SANDBOX" not in payment_paid_message(pt, PAYMENT).text


def test_options_go_with_the_message() -> None:
    again = (Option("new-link", "Novo link"),)

    reply = payment_expired_message(translator_for("pt_BR"), PAYMENT, again)

    assert reply.options == again
    assert "expirou" in reply.text


def test_a_payment_without_its_link_has_no_message_yet() -> None:
    creating = dataclasses.replace(PAYMENT, payment_url=None, status="creating")

    with pytest.raises(ValueError, match="no link"):
        payment_message(translator_for("pt_BR"), creating)


def test_the_message_survives_the_outbox() -> None:
    reply = payment_message(translator_for("pt_BR"), PAYMENT)

    assert type(reply).from_payload(reply.to_payload()) == reply


def test_a_refund_tells_the_amount_actually_paid() -> None:
    held = dataclasses.replace(PAYMENT, status="refunded", paid=Decimal("1.49"))

    text = payment_refunded_message(translator_for("en"), held).text

    assert "R$ 1.49" in text
    assert "1,234.50" not in text
