"""The consumer's contract in chat: a new signing link on request, and withdrawal.

`/arrependimento` (or `arrependimento`, `withdraw`, or the button on the signed copy) in
any state asks to confirm, then withdraws the newest contract still within its 7 days (CDC
art. 49); after them the answer says until when it was possible. `contrato` (or
`contract`) sends a fresh signing link for a contract still awaiting its signature, and
`pagar` (or `pay`) a new payment link for a signed contract whose link expired.
Confirming or not, the conversation goes back to where it was.
"""

from __future__ import annotations

from datetime import timedelta

from conversations.consumer_data import RETURN_TO, ConsumerState
from conversations.contract_news import link_reply, withdrawn_news
from conversations.contract_payments import PAY_WORDS, new_payment_text
from conversations.events import Option, Reply
from conversations.flow import END, AskContext, Reask, StepContext, Transition
from conversations.parsing import normalize, parse_record_id, parse_yes_no
from marketplace.contract_payments import withdraw_with_refunds
from marketplace.contracts import (
    ContractStatus,
    WithdrawalProblem,
    WithdrawalRefused,
    consumer_contracts,
    load_contract,
    withdrawable_contract,
)

WITHDRAW_CONTRACT = "withdraw_contract"
YES, NO = "yes", "no"
WITHDRAW_WORDS = frozenset({"arrependimento", "arrepentimiento", "withdraw", "desistir"})
LINK_WORDS = frozenset({"contrato", "contract"})
# A deadline is the first instant past the last day; the day shown is the one before it.
_ONE_SECOND = timedelta(seconds=1)


def enter_contract_command(context: StepContext) -> Transition | Reask | None:
    """Claim `/arrependimento` and `contrato` from any state; None for anything else."""
    word = normalize(context.text).removeprefix("/").split("@", 1)[0].strip(" !.?")
    if word in WITHDRAW_WORDS:
        return _start_withdrawal(context, None)
    if word in LINK_WORDS:
        return _send_new_link(context)
    if word in PAY_WORDS:
        return Reask(new_payment_text(context, None))
    return None


def act_withdraw(context: StepContext) -> Transition | Reask:
    """The "Withdraw" button of the signed copy."""
    number = context.option.id.split(":", 1)[1] if context.option else ""
    chosen = parse_record_id(number)
    outcome = _start_withdrawal(context, chosen)
    if isinstance(outcome, Reask):
        return Transition(_back_to(context), replies=(Reply(outcome.text),))
    return outcome


def ask_withdraw(context: AskContext) -> Reply:
    """Ask to confirm, saying what is refunded."""
    _ = context.gettext
    contract = load_contract(context.session, int(context.data[WITHDRAW_CONTRACT]))
    if contract is None:
        return Reply(_("This contract no longer exists."))
    text = _("Do you want to withdraw from contract #{number} with {supplier}?").format(
        number=contract.id, supplier=contract.supplier_name
    )
    if contract.status == ContractStatus.ACTIVE:
        refund = _("The {amount} you paid will be refunded in full.").format(
            amount=context.translator.format_money(contract.amount_due_brl)
        )
        text = f"{text}\n{refund}"
    options = (Option(YES, _("Yes, withdraw")), Option(NO, _("No, keep it")))
    return Reply(text, options=options)


def handle_withdraw(context: StepContext) -> Transition | Reask:
    """Withdraw with a yes, keep the contract with a no; back to where the chat was."""
    agreed = context.option.id == YES if context.option else parse_yes_no(context.text)
    if agreed is None:
        return context.reask_yes_no()
    _ = context.gettext
    back = _back_to(context)
    if not agreed:
        kept = Reply(_("All right, your contract stays as it is."))
        return Transition(back, replies=(kept,), forget=(WITHDRAW_CONTRACT, RETURN_TO))
    contract_id = int(context.data[WITHDRAW_CONTRACT])
    now = context.clock.now()
    try:
        # In this transaction: the payment is refunded (or its unpaid link cancelled) by the
        # periodic check, asked again until the provider confirms; the refund's news follows.
        withdrawal, done = withdraw_with_refunds(context.session, contract_id, now)
    except WithdrawalRefused as refused:
        said = Reply(_refusal(context, refused))
        return Transition(back, replies=(said,), forget=(WITHDRAW_CONTRACT, RETURN_TO))
    contract = load_contract(context.session, contract_id)
    assert contract is not None
    lines = [_("Done: contract #{number} is withdrawn.").format(number=contract_id)]
    if withdrawal.was_paid:
        lines.append(
            _(
                "The {amount} you paid will be refunded in full; you will be told here when "
                "the refund is confirmed."
            ).format(amount=context.translator.format_money(withdrawal.refund_brl))
        )
    elif any(outcome != "nothing" for outcome in done):
        lines.append(_("The payment link was cancelled: nothing will be charged."))
    lines.append(_("{supplier} was told.").format(supplier=contract.supplier_name))
    return Transition(
        back,
        replies=(Reply("\n".join(lines)),),
        forget=(WITHDRAW_CONTRACT, RETURN_TO),
        notify=withdrawn_news(context.session, contract, withdrawal),
    )


def _start_withdrawal(context: StepContext, contract_id: int | None) -> Transition | Reask:
    now = context.clock.now()
    contract = withdrawable_contract(
        context.session, context.consumer_id, now, contract_id=contract_id
    )
    if contract is None:
        return Reask(_no_withdrawal(context, contract_id))
    data = {**context.data, WITHDRAW_CONTRACT: contract.id}
    if context.state in set(ConsumerState) and context.state != ConsumerState.WITHDRAW:
        data[RETURN_TO] = context.state
    return Transition(ConsumerState.WITHDRAW, data=data)


def _no_withdrawal(context: StepContext, contract_id: int | None) -> str:
    _ = context.gettext
    signed = consumer_contracts(
        context.session,
        context.consumer_id,
        statuses=(ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.WITHDRAWN),
    )
    chosen = [c for c in signed if contract_id is None or c.id == contract_id]
    if not chosen:
        return _("You have no signed contract to withdraw from.")
    contract = chosen[0]
    if contract.status == ContractStatus.WITHDRAWN:
        return _("Contract #{number} was already withdrawn.").format(number=contract.id)
    deadline = contract.withdrawal_deadline
    assert deadline is not None
    return _(
        "The 7 days to withdraw from contract #{number} ended on {date}. To end it now, "
        "follow its cancellation terms with {supplier}."
    ).format(
        number=contract.id,
        date=context.translator.format_date(deadline - _ONE_SECOND),
        supplier=contract.supplier_name,
    )


def _send_new_link(context: StepContext) -> Reask:
    awaiting = consumer_contracts(
        context.session, context.consumer_id, statuses=(ContractStatus.AWAITING_SIGNATURE,)
    )
    if not awaiting or context.contract_links is None:
        return Reask(context.gettext("You have no contract waiting for your signature."))
    reply = link_reply(
        context.translator, awaiting[0], context.contract_links, context.clock.now()
    )
    return Reask(reply.text)


def _refusal(context: StepContext, refused: WithdrawalRefused) -> str:
    _ = context.gettext
    if refused.problem is WithdrawalProblem.TOO_LATE and refused.deadline is not None:
        return _("The 7 days to withdraw ended on {date}.").format(
            date=context.translator.format_date(refused.deadline - _ONE_SECOND)
        )
    if refused.problem is WithdrawalProblem.ALREADY_WITHDRAWN:
        return _("Contract #{number} was already withdrawn.").format(number=refused.contract_id)
    return _("You have no signed contract to withdraw from.")


def _back_to(context: AskContext) -> str:
    back = context.data.get(RETURN_TO)
    return str(back) if back in set(ConsumerState) else END
