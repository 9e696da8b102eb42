"""What both parties hear about a contract: the signing link, the signed copy, a withdrawal.

Each message is a notification written in the transaction of the change that causes it:
to the chat where the consumer asked (the contract's conversation), in that chat's
language, and to every agent of the supplier in theirs. The contract text itself is
Portuguese whatever the chat speaks (marketplace.contract_text says why); the words around
it follow the chat.

The signed copy goes in the chat as text: the consumer keeps it where they signed up, and
the supplier's agents get the same text, which names the signer (they are the other
party).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from conversations.events import Option, Reply
from conversations.flow import Notification
from conversations.i18n import Translator, translator_for
from conversations.lead_card import to_agents
from marketplace.contract_tokens import ContractLinks
from marketplace.contracts import AmountBasis, ContractRecord, Withdrawal
from marketplace.conversation_store import chat_of
from marketplace.notifications import NotificationKind
from marketplace.people import Person

CONTRACT = NotificationKind.CONTRACT

WITHDRAW = "withdraw:"
# The deadline is the first instant past the last day; the day shown is the one before it.
_ONE_SECOND = timedelta(seconds=1)


def link_reply(
    translator: Translator, contract: ContractRecord, links: ContractLinks, now: datetime
) -> Reply:
    """The message that carries a fresh signing link for the contract."""
    _ = translator.gettext
    hours = int(links.tokens.ttl.total_seconds() // 3600)
    lines = [
        _("Your contract with {supplier} for {offer} is ready.").format(
            supplier=contract.supplier_name, offer=contract.offer_title
        ),
        translator.ngettext(
            "Read and sign it here (the link works for {hours} hour):",
            "Read and sign it here (the link works for {hours} hours):",
            hours,
        ).format(hours=hours),
        links.link_for(contract.id, now),
        amount_line(translator, contract),
    ]
    return Reply("\n".join(lines))


def amount_line(translator: Translator, contract: ContractRecord) -> str:
    """What is paid at signing, in the chat's words."""
    _ = translator.gettext
    amount = translator.format_money(contract.amount_due_brl)
    if contract.amount_basis == AmountBasis.DEPOSIT:
        return _("To pay at signing: {amount}, a deposit on the system's price.").format(
            amount=amount
        )
    if contract.amount_basis == AmountBasis.FIRST_MONTH:
        return _("To pay at signing: {amount}, the first month's estimated bill.").format(
            amount=amount
        )
    return _("Nothing is paid at signing.")


def link_news(
    session: Session, contract: ContractRecord, links: ContractLinks | None, now: datetime
) -> tuple[Notification, ...]:
    """The signing link, sent to the chat where the consumer asked."""
    chat = chat_of(session, contract.conversation_id) if contract.conversation_id else None
    if chat is None or links is None:
        return ()
    translator = translator_for(chat.locale)
    reply = link_reply(translator, contract, links, now)
    return (
        Notification(
            chat.channel,
            chat.chat_id,
            reply,
            kind=CONTRACT,
            person=Person.consumer(contract.consumer_id),
        ),
    )


def signed_news(
    session: Session, contract: ContractRecord, signed_copy: str
) -> tuple[Notification, ...]:
    """The consumer's confirmation and copy, and the agents' news and copy."""
    notes: list[Notification] = []
    chat = chat_of(session, contract.conversation_id) if contract.conversation_id else None
    if chat is not None:
        translator = translator_for(chat.locale)
        consumer = Person.consumer(contract.consumer_id)
        notes.append(
            Notification(
                chat.channel,
                chat.chat_id,
                _signed_reply(translator, contract),
                kind=NotificationKind.NOTICE,
                person=consumer,
            )
        )
        # The copy is the contract notification: it goes by e-mail too when the consumer
        # gave an address.
        notes.append(
            Notification(
                chat.channel, chat.chat_id, Reply(signed_copy), kind=CONTRACT, person=consumer
            )
        )
    notes.extend(
        to_agents(
            session,
            contract.supplier_id,
            lambda translator: Reply(
                translator.gettext(
                    "Contract #{number} for {offer} was signed by the consumer. Their copy "
                    "follows."
                ).format(number=contract.id, offer=contract.offer_title)
            ),
            kind=NotificationKind.NOTICE,
        )
    )
    notes.extend(
        to_agents(session, contract.supplier_id, lambda _: Reply(signed_copy), kind=CONTRACT)
    )
    return tuple(notes)


def nothing_to_pay_news(session: Session, contract: ContractRecord) -> tuple[Notification, ...]:
    """Tell the consumer a contract with nothing due at signing is active already."""
    chat = chat_of(session, contract.conversation_id) if contract.conversation_id else None
    if chat is None:
        return ()
    translator = translator_for(chat.locale)
    text = translator.gettext(
        "Nothing is paid at signing: your contract #{number} with {supplier} is active now."
    ).format(number=contract.id, supplier=contract.supplier_name)
    reply = Reply(text)
    person = Person.consumer(contract.consumer_id)
    return (
        Notification(
            chat.channel, chat.chat_id, reply, kind=NotificationKind.NOTICE, person=person
        ),
    )


def withdrawn_news(
    session: Session, contract: ContractRecord, withdrawal: Withdrawal
) -> tuple[Notification, ...]:
    """Tell the supplier's agents the consumer withdrew."""

    def write(translator: Translator) -> Reply:
        text = translator.gettext(
            "The consumer withdrew from contract #{number} for {offer} within the 7 days the "
            "law allows (CDC art. 49)."
        ).format(number=contract.id, offer=contract.offer_title)
        if withdrawal.was_paid:
            refund = translator.gettext("{amount} paid at signing is refunded in full.").format(
                amount=translator.format_money(withdrawal.refund_brl)
            )
            text = f"{text}\n{refund}"
        return Reply(text)

    return to_agents(session, contract.supplier_id, write, kind=CONTRACT)


def direct_signing_news(session: Session, contract: ContractRecord) -> tuple[Notification, ...]:
    """Tell the agents a consumer is signing an offer that skips their acceptance."""
    return to_agents(
        session,
        contract.supplier_id,
        lambda translator: Reply(
            translator.gettext(
                "Lead #{lead} asked to sign {offer} directly: contract #{number} was sent to "
                "the consumer. You will get their signed copy here."
            ).format(lead=contract.lead_id, offer=contract.offer_title, number=contract.id)
        ),
        kind=NotificationKind.NOTICE,
    )


def _signed_reply(translator: Translator, contract: ContractRecord) -> Reply:
    _ = translator.gettext
    deadline = contract.withdrawal_deadline
    lines = [
        _(
            "Signed! Your contract #{number} with {supplier} is recorded. Your copy follows."
        ).format(number=contract.id, supplier=contract.supplier_name),
    ]
    if deadline is not None:
        lines.append(
            _(
                'You may withdraw until {date} by typing "arrependimento" here; anything paid '
                "is refunded in full."
            ).format(date=translator.format_date(deadline - _ONE_SECOND))
        )
    withdraw = Option(f"{WITHDRAW}{contract.id}", _("Withdraw"))
    return Reply("\n".join(lines), options=(withdraw,))
