"""What consumer-flow tests share: the way to each state, the questions, database looks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.events import Reply
from marketplace.models import Consent, Lead, Supplier
from tests.conversations.conftest import Chat

GREETING_START = "Olá! Sou o Connect Energy."
CEP_QUESTION = "Qual o seu CEP? Por exemplo 60110-000. Se preferir, me diga só o seu estado."
BILL_QUESTION_CE = (
    "Quanto você paga por mês, em média, na conta da ENEL CE? Digite o valor em reais (por "
    "exemplo 350) ou o consumo em kWh (por exemplo 250 kWh)."
)
ENEL_CE_FOUND = "Sua distribuidora é a ENEL CE."
OFFERS_HEADER_CE = "Ofertas para a sua conta da ENEL CE (estimativa):"
SHARE_QUESTION = (
    "Para a Telhado Limpo Energia Solar (demo) entrar em contato, vamos enviar a ela seu nome "
    "e o contato que você informar. Você autoriza?"
)
NAME_QUESTION = "Como você se chama?"
HELP_COMMANDS = "Você pode responder à pergunta ou enviar, a qualquer momento:"

# At R$ 350 in Fortaleza the demo catalog ranks: 1 solar (Telhado Limpo), 2 and 3
# subscriptions (Sol Nascente, 12 months then none), 4 free market (Vento Alísio).
SOLAR, SUBSCRIPTION, SUBSCRIPTION_FREE, FREE_MARKET = "1", "2", "3", "4"

# What to type to reach each state of the consumer flow.
PATHS: dict[str, tuple[str, ...]] = {
    "consent": ("oi",),
    "cep": ("oi", "sim"),
    "state": ("oi", "sim", "Não sei meu CEP"),
    "distributor": ("oi", "sim", "01310-100"),
    "distributor_other": ("oi", "sim", "01310-100", "Outra"),
    "bill": ("oi", "sim", "60110-000"),
    "offers": ("oi", "sim", "60110-000", "350"),
    "offer": ("oi", "sim", "60110-000", "350", SOLAR),
    "share_consent": ("oi", "sim", "60110-000", "350", SOLAR, "Pedir contato"),
    "name": ("oi", "sim", "60110-000", "350", SOLAR, "Pedir contato", "sim"),
    "contact": ("oi", "sim", "60110-000", "350", SOLAR, "quero", "sim", "Maria Silva"),
    "done": (
        *("oi", "sim", "60110-000", "350", SOLAR, "quero", "sim", "Maria Silva"),
        "(85) 99999-1234",
    ),
}
STATES = list(PATHS)


def texts(replies: Sequence[Reply]) -> list[str]:
    """The text of each reply."""
    return [reply.text for reply in replies]


def labels(reply: Reply) -> list[str]:
    """The labels of a reply's options."""
    return [option.label for option in reply.options]


def reach(person: Chat, state: str) -> list[Reply]:
    """Type the way to `state`; the replies to the last message."""
    return person.go_through(*PATHS[state])


def leads(sessions: sessionmaker[Session]) -> list[Lead]:
    """Every lead recorded."""
    with sessions() as session:
        return list(session.scalars(select(Lead).order_by(Lead.id)))


def consents(sessions: sessionmaker[Session]) -> list[Consent]:
    """Every consent recorded."""
    with sessions() as session:
        return list(session.scalars(select(Consent).order_by(Consent.id)))


def supplier_id(sessions: sessionmaker[Session], name: str) -> int:
    """The id of the supplier with this name."""
    with sessions() as session:
        return session.scalars(select(Supplier.id).where(Supplier.name == name)).one()
