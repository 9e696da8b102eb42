"""What a contract's payment means to both parties, told in the chat where the consumer asked.

`ContractPaymentListener` is the `PaymentListener` of the product: the payments module
calls it inside the transaction that records a payment's change, so the contract going
active, the messages and the receipt commit with the payment or not at all. The payments
module calls it once per real change (a repeated callback changes nothing and calls
nothing).

- ready: the link and QR code (payment_message) in the consumer's chat;
- paid: the contract becomes active; the confirmation with the *Withdraw* button, as a
  receipt (so it is e-mailed too when the consumer gave an address); the agents told;
- expired or failed: the consumer is told plainly, with a button for a new link;
- refunded: both parties told; chargeback: both parties told, the payment keeps it.

A payment that arrives for a contract no longer awaiting one (withdrawn, or paid through
another link) is given back at once, so nobody pays twice or for nothing.

`pay:` buttons and `pagar` in the chat open a new payment for a signed, unpaid contract
(one live payment per contract); the periodic check creates it at the provider.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from conversations.consumer_data import ConsumerState
from conversations.contract_news import WITHDRAW
from conversations.events import Option, Reply
from conversations.flow import END, StepContext, Transition
from conversations.i18n import N_, Translator, translator_for
from conversations.lead_card import agent_translator
from conversations.parsing import parse_record_id
from conversations.payment_messages import (
    payment_expired_message,
    payment_message,
    payment_paid_message,
    payment_refunded_message,
)
from marketplace.agents import agents_of
from marketplace.clock import Clock
from marketplace.contract_payments import NoPaymentNeeded, open_contract_payment
from marketplace.contracts import (
    ContractRecord,
    ContractStatus,
    consumer_contracts,
    load_contract,
    mark_paid,
)
from marketplace.conversation_store import chat_of
from marketplace.notifications import ChatTarget, NotificationKind, notify
from marketplace.notifications import Notification as ServiceNotification
from marketplace.payments import PENDING, SETTLED, PaymentView, mark_refund_due
from marketplace.people import Person

logger = logging.getLogger(__name__)

PAY_AGAIN = "pay:"
PAY_WORDS = frozenset({"pagar", "pagamento", "pay", "payment", "pago"})
_ONE_SECOND = timedelta(seconds=1)

NEW_LINK = N_("New payment link")
ACTIVE = N_("Your contract #{number} with {supplier} is active.")
WITHDRAW_UNTIL = N_(
    'You may still withdraw until {date} by typing "arrependimento" here; the payment is '
    "refunded in full."
)


class ContractPaymentListener:
    """Hears what happens to contract payments and tells the consumer and the supplier."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def payment_ready(self, session: Session, payment: PaymentView) -> None:
        """Send the link and QR code, unless the contract no longer awaits this payment."""
        contract = load_contract(session, payment.contract_id)
        if contract is None or contract.status != ContractStatus.SIGNED:
            # Withdrawn (or paid another way) while the provider created it: cancel it.
            mark_refund_due(session, payment.id, self.clock.now())
            return
        translator = self._consumer_translator(session, contract)
        reply = payment_message(translator, payment)
        self._tell_consumer(session, contract, reply, NotificationKind.CONTRACT)

    def payment_failed(self, session: Session, payment: PaymentView) -> None:
        """Say the link could not be made, with a button to try again."""
        contract = load_contract(session, payment.contract_id)
        if contract is None or contract.status != ContractStatus.SIGNED:
            return
        translator = self._consumer_translator(session, contract)
        text = translator.gettext(
            "We could not create the payment link for contract #{number}. Tap the button, "
            'or type "pagar", to try again.'
        ).format(number=contract.id)
        reply = Reply(text, options=(_new_link_option(translator, contract),))
        self._tell_consumer(session, contract, reply, NotificationKind.NOTICE)

    def payment_paid(self, session: Session, payment: PaymentView) -> None:
        """Activate the contract, confirm in the chat with a receipt, tell the agents."""
        now = self.clock.now()
        contract = load_contract(session, payment.contract_id)
        if contract is None:
            return
        if not mark_paid(session, contract.id, now):
            self._give_back_unwanted(session, contract, payment)
            return
        translator = self._consumer_translator(session, contract)
        paid = payment_paid_message(translator, payment)
        _ = translator.gettext
        lines = [
            paid.text,
            _(ACTIVE).format(number=contract.id, supplier=contract.supplier_name),
        ]
        deadline = contract.withdrawal_deadline
        if deadline is not None:
            lines.append(
                _(WITHDRAW_UNTIL).format(date=translator.format_date(deadline - _ONE_SECOND))
            )
        withdraw = Option(f"{WITHDRAW}{contract.id}", _("Withdraw"))
        reply = Reply("\n".join(lines), options=(withdraw,))
        self._tell_consumer(session, contract, reply, NotificationKind.RECEIPT)
        self._tell_agents(
            session,
            contract,
            N_(
                "Contract #{number} for {offer} was paid ({amount} at signing): it is active. "
                "Please start the connection."
            ),
            payment,
        )

    def payment_expired(self, session: Session, payment: PaymentView) -> None:
        """Offer a new link; a cancelled link of a withdrawn contract needs no words."""
        contract = load_contract(session, payment.contract_id)
        if contract is None or contract.status != ContractStatus.SIGNED:
            return
        translator = self._consumer_translator(session, contract)
        reply = payment_expired_message(
            translator, payment, options=(_new_link_option(translator, contract),)
        )
        self._tell_consumer(session, contract, reply, NotificationKind.NOTICE)

    def payment_refunded(self, session: Session, payment: PaymentView) -> None:
        """Tell the consumer the money is back, and the agents."""
        contract = load_contract(session, payment.contract_id)
        if contract is None:
            return
        translator = self._consumer_translator(session, contract)
        reply = payment_refunded_message(translator, payment)
        self._tell_consumer(session, contract, reply, NotificationKind.RECEIPT)
        self._tell_agents(
            session,
            contract,
            N_("The {amount} paid for contract #{number} ({offer}) was refunded to the consumer."),
            payment,
        )

    def payment_chargeback(self, session: Session, payment: PaymentView) -> None:
        """Tell both parties the card issuer took the payment back."""
        contract = load_contract(session, payment.contract_id)
        if contract is None:
            return
        translator = self._consumer_translator(session, contract)
        text = translator.gettext(
            "Your card issuer took back the payment of {amount} for contract #{number}. "
            "{supplier} was told and may contact you about it."
        ).format(
            amount=translator.format_money(payment.actual_amount),
            number=contract.id,
            supplier=contract.supplier_name,
        )
        self._tell_consumer(session, contract, Reply(text), NotificationKind.NOTICE)
        self._tell_agents(
            session,
            contract,
            N_(
                "The {amount} paid for contract #{number} ({offer}) was charged back by the "
                "consumer's card issuer."
            ),
            payment,
        )

    # ------------------------------------------------------------------------------------

    def _give_back_unwanted(
        self, session: Session, contract: ContractRecord, payment: PaymentView
    ) -> None:
        """A payment for a contract withdrawn, or paid already: it goes back in full."""
        mark_refund_due(session, payment.id, self.clock.now())
        logger.warning(
            "payment %s paid for contract %s in status %s: refunding it",
            payment.reference_id,
            contract.id,
            contract.status,
        )
        translator = self._consumer_translator(session, contract)
        text = translator.gettext(
            "We received {amount} for contract #{number}, which needs no payment now: it "
            "will be refunded in full."
        ).format(amount=translator.format_money(payment.actual_amount), number=contract.id)
        self._tell_consumer(session, contract, Reply(text), NotificationKind.RECEIPT)

    def _consumer_translator(self, session: Session, contract: ContractRecord) -> Translator:
        chat = chat_of(session, contract.conversation_id) if contract.conversation_id else None
        return translator_for(chat.locale if chat else "pt_BR")

    def _tell_consumer(
        self, session: Session, contract: ContractRecord, reply: Reply, kind: NotificationKind
    ) -> None:
        chat = chat_of(session, contract.conversation_id) if contract.conversation_id else None
        notification = ServiceNotification(
            kind=kind,
            text=reply.text,
            chat_payload=reply.to_payload(),
            chat=ChatTarget(chat.channel, chat.chat_id) if chat else None,
            data={"contract_id": str(contract.id)},
        )
        notify(session, Person.consumer(contract.consumer_id), notification, self.clock.now())

    def _tell_agents(
        self, session: Session, contract: ContractRecord, message: str, payment: PaymentView
    ) -> None:
        for agent in agents_of(session, contract.supplier_id):
            translator = agent_translator(session, agent)
            text = translator.gettext(message).format(
                number=contract.id,
                offer=contract.offer_title,
                amount=translator.format_money(payment.actual_amount),
            )
            notification = ServiceNotification(
                kind=NotificationKind.CONTRACT,
                text=text,
                chat=ChatTarget(agent.channel, agent.chat_id),
                data={"contract_id": str(contract.id)},
            )
            notify(session, Person.agent(agent.id), notification, self.clock.now())


def _new_link_option(translator: Translator, contract: ContractRecord) -> Option:
    return Option(f"{PAY_AGAIN}{contract.id}", translator.gettext(NEW_LINK))


# In the chat ---------------------------------------------------------------------------


def act_pay_again(context: StepContext) -> Transition:
    """The "New payment link" button; the conversation stays where it was."""
    number = context.option.id.split(":", 1)[1] if context.option else ""
    chosen = parse_record_id(number)
    here = context.state if context.state in set(ConsumerState) else END
    return Transition(here, replies=(Reply(new_payment_text(context, chosen)),))


def new_payment_text(context: StepContext, contract_id: int | None) -> str:
    """Open a new payment for the consumer's signed, unpaid contract; what to say about it."""
    _ = context.gettext
    signed = [
        contract
        for contract in _signed_contracts(context)
        if contract_id is None or contract.id == contract_id
    ]
    if not signed:
        return _("You have no contract waiting for payment.")
    if context.payments is None:
        return _("Payments are not available right now. Please try again later.")
    contract = signed[0]
    try:
        payment, new = open_contract_payment(
            context.session, context.payments, contract.id, create_by_check=True
        )
    except NoPaymentNeeded:
        return _("You have no contract waiting for payment.")
    if new or payment.payment_url is None:
        return _(
            "A new payment link for contract #{number} is on its way: it arrives here shortly."
        ).format(number=contract.id)
    if payment.status in SETTLED:
        return _("Contract #{number} is paid already.").format(number=contract.id)
    assert payment.status in PENDING
    return _("Your payment link for contract #{number} is still valid: {url}").format(
        number=contract.id, url=payment.payment_url
    )


def _signed_contracts(context: StepContext) -> list[ContractRecord]:
    return consumer_contracts(
        context.session, context.consumer_id, statuses=(ContractStatus.SIGNED,)
    )
