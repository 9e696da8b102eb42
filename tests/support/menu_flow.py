"""A test flow with many options, shaped like the consumer flow's: buttons, lists, a request.

It stands in for the consumer flow in channel tests until that flow is merged: consent with
two buttons, a state among twelve (a paged list), an offer among five with long labels (a
list), a confirmation (buttons), then the request is recorded in the conversation's data.
"""

from __future__ import annotations

from conversations.events import Option, Reply
from conversations.flow import END, AskContext, Flow, Reask, Step, StepContext, Transition

STATES = tuple(
    Option(f"uf-{uf.lower()}", name)
    for uf, name in (
        ("SP", "São Paulo"),
        ("RJ", "Rio de Janeiro"),
        ("MG", "Minas Gerais"),
        ("BA", "Bahia"),
        ("PR", "Paraná"),
        ("RS", "Rio Grande do Sul, capital e interior"),
        ("PE", "Pernambuco"),
        ("CE", "Ceará"),
        ("PA", "Pará"),
        ("SC", "Santa Catarina"),
        ("GO", "Goiás"),
        ("DF", "Distrito Federal"),
    )
)
OFFERS = (
    Option("offer-1", "Sol Nascente Energia Compartilhada: economize R$ 52,50 por mês"),
    Option("offer-2", "Ventos do Sul Mercado Livre: economize R$ 48,10 por mês"),
    Option("offer-3", "Telhado Solar Próprio Financiado em 60 meses sem entrada"),
    Option("offer-4", "Cooperativa Verde"),
    Option("offer-5", "Assinatura Solar Básica"),
)
YES_NO = (Option("yes", "Sim"), Option("no", "Não"))


def ask_consent(context: AskContext) -> Reply:
    """Ask for consent, with two buttons."""
    return Reply("Olá! Posso guardar suas respostas para comparar ofertas?", options=YES_NO)


def handle_consent(context: StepContext) -> Transition | Reask:
    """Yes goes on, no ends."""
    if context.option is None:
        return context.reask_yes_no()
    if context.option.id == "no":
        return Transition(END, replies=(Reply("Tudo bem, não guardei nada."),))
    return Transition("state")


def ask_state(context: AskContext) -> Reply:
    """Twelve states: more than one list holds."""
    return Reply("Em qual estado você mora?", options=STATES)


def handle_state(context: StepContext) -> Transition | Reask:
    """Remember the state picked."""
    if context.option is None:
        return context.reask_choice()
    return Transition("offer", data={"state": context.option.id})


def ask_offer(context: AskContext) -> Reply:
    """Five offers with long labels, after a long explanation."""
    explanation = "Estas são as ofertas para você, da maior economia para a menor. " * 20
    return Reply(explanation.strip(), options=OFFERS)


def handle_offer(context: StepContext) -> Transition | Reask:
    """Remember the offer picked."""
    if context.option is None:
        return context.reask_choice()
    return Transition("confirm", data={"offer": context.option.id})


def ask_confirm(context: AskContext) -> Reply:
    """Ask before sending the request."""
    return Reply("Posso enviar seu pedido ao fornecedor?", options=YES_NO)


def handle_confirm(context: StepContext) -> Transition | Reask:
    """Record the request on yes."""
    if context.option is None:
        return context.reask_yes_no()
    if context.option.id == "no":
        return Transition("offer")
    done = Reply("Pedido registrado! O fornecedor vai falar com você.")
    return Transition(END, replies=(done,), data={"request": "sent"})


MENU_FLOW = Flow(
    name="menu",
    start="consent",
    steps={
        "consent": Step(ask=ask_consent, handle=handle_consent, goes_to=("state", END)),
        "state": Step(ask=ask_state, handle=handle_state, goes_to=("offer",)),
        "offer": Step(ask=ask_offer, handle=handle_offer, goes_to=("confirm",)),
        "confirm": Step(ask=ask_confirm, handle=handle_confirm, goes_to=("offer", END)),
    },
)
