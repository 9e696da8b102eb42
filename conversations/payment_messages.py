"""What the bot says about a payment: the link and QR code to pay, and what became of it.

The contract side calls these from its `PaymentListener` and writes the replies to the
outbox in the same transaction. A sandbox payment says so in every message.
"""

from __future__ import annotations

from conversations.events import Image, Option, Reply
from conversations.i18n import N_, Translator
from marketplace.payments import PaymentView

SANDBOX_NOTE = N_("SANDBOX: this is a test payment, and no real money moves.")
PAY_PROMPT = N_("To pay {amount} with PicPay, open the link or scan the QR code:")
PAY_UNTIL = N_("The link can be paid until {time} (Brasília time).")
QR_ALT = N_("QR code to pay {amount} with PicPay")
PAID = N_("Payment of {amount} received. Thank you!")
EXPIRED = N_("The payment link for {amount} expired before it was paid.")
REFUNDED = N_("The payment of {amount} was refunded.")
NOT_READY = N_("We could not create the payment link yet. We will send it here shortly.")


def payment_message(
    translator: Translator, payment: PaymentView, options: tuple[Option, ...] = ()
) -> Reply:
    """The message that asks for a payment: amount, link, deadline, and the QR code image.

    Raises:
        ValueError: the payment has no link yet (it is still being created).
    """
    if payment.payment_url is None:
        raise ValueError("the payment has no link yet")
    _ = translator.gettext
    amount = translator.format_money(payment.amount)
    lines = [
        _(PAY_PROMPT).format(amount=amount),
        payment.payment_url,
        _(PAY_UNTIL).format(time=translator.format_datetime(payment.expires_at)),
    ]
    image = None
    if payment.qr_code_png:
        image = Image(png=payment.qr_code_png, alt=_(QR_ALT).format(amount=amount))
    return Reply(text=_sandboxed(translator, payment, lines), options=options, image=image)


def payment_paid_message(translator: Translator, payment: PaymentView) -> Reply:
    """The confirmation that the payment arrived."""
    line = translator.gettext(PAID).format(amount=translator.format_money(payment.amount))
    return Reply(text=_sandboxed(translator, payment, [line]))


def payment_expired_message(
    translator: Translator, payment: PaymentView, options: tuple[Option, ...] = ()
) -> Reply:
    """The news that the link expired unpaid; `options` may offer a new one."""
    line = translator.gettext(EXPIRED).format(amount=translator.format_money(payment.amount))
    return Reply(text=_sandboxed(translator, payment, [line]), options=options)


def payment_refunded_message(translator: Translator, payment: PaymentView) -> Reply:
    """The news that the payment was given back (a withdrawal)."""
    amount = translator.format_money(payment.actual_amount)
    line = translator.gettext(REFUNDED).format(amount=amount)
    return Reply(text=_sandboxed(translator, payment, [line]))


def payment_pending_message(translator: Translator) -> Reply:
    """What to say when the link could not be created yet (it is retried)."""
    return Reply(text=translator.gettext(NOT_READY))


def _sandboxed(translator: Translator, payment: PaymentView, lines: list[str]) -> str:
    if payment.is_sandbox:
        lines = [translator.gettext(SANDBOX_NOTE), *lines]
    return "\n".join(lines)
