"""Twenty-message conversations with the real consumer flow, as people would have them.

Each persona walks from "oi" to a recorded lead through a different part of the flow, with
the wrong answers and commands people send on the way: a CEP written several ways, states
with one, two or twenty distributors, bills in reais and in kWh, paging the offers,
fact sheets, "como calculou", declining and giving the share consent, help, back, restart,
cancel. Variants (CEPs, amounts, names) are drawn per conversation.

Every persona says where its conversation ends and how many leads it records, so a run can
check that the flow did what the benchmark claims it measured.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from conversations.consumer_data import ConsumerState as S
from conversations.flow import END


@dataclass(frozen=True)
class Tap:
    """A tapped button, by option id (what Telegram's callback data and WhatsApp send)."""

    option_id: str


Message = str | Tap
"""Typed text, or a tapped button."""


@dataclass(frozen=True)
class Persona:
    """A kind of person and the conversation they have with the bot.

    Attributes:
        user_name: the profile name the channel sends, if any.
        phone: the number the channel shares (WhatsApp), if any.
        final_state: the state the conversation is in after the last message.
        leads: how many leads the conversation records.
    """

    name: str
    script: Callable[[random.Random], tuple[Message, ...]]
    final_state: str
    leads: int = 1
    user_name: str | None = None
    phone: str | None = None


def fortaleza(pick: random.Random) -> tuple[Message, ...]:
    """Ceará (one distributor): pages the offers, compares two, corrects name and phone."""
    return (
        "oi",
        "o que é isso?",
        "sim",
        pick.choice(("60110000", "meu cep é 60.115-170", "63010-000")),
        "ajuda",
        pick.choice(("uns 350", "R$ 420,00", "380 reais")),
        Tap("more"),
        Tap("first"),
        "2",
        "como calculou",
        Tap("offers"),
        "1",
        "quero",
        "talvez",
        "sim",
        "Maria 123",
        pick.choice(("Maria Silva", "Maria das Graças", "Mariana Costa")),
        "meu telefone",
        pick.choice(("(85) 99999-1234", "85 98765 4321", "+55 85 98111-2233")),
        Tap("offers"),
    )


def sao_paulo(pick: random.Random) -> tuple[Message, ...]:
    """São Paulo (nineteen distributors): chooses by name, goes back, opens page two."""
    return (
        "Olá",
        Tap("agree"),
        pick.choice(("01.310-100", "04538133", "cep 05422-000")),
        "não sei",
        "enel sp",
        "voltar",
        "Enel SP",
        pick.choice(("R$ 1.234,56", "R$ 980", "1500 reais")),
        Tap("more"),
        "1",
        "como você calculou?",
        Tap("offers"),
        Tap("first"),
        "1",
        Tap("contact"),
        Tap("yes"),
        pick.choice(("Ana Souza", "Fernanda Oliveira", "Juliana Alves")),
        "ana@@email",
        pick.choice(("ana.souza@exemplo.com.br", "fe.oliveira@exemplo.com")),
        "obrigada",
    )


def rio_grande_do_sul(pick: random.Random) -> tuple[Message, ...]:
    """No CEP, a state of twenty distributors: pages them, then declines, then agrees."""
    return (
        "bom dia",
        "Concordo",
        Tap("no-cep"),
        pick.choice(("Rio Grande do Sul", "RS", "moro no rio grande do sul")),
        Tap("other"),
        Tap("more"),
        pick.choice(("RGE", "CEEE-D")),
        pick.choice(("250 kWh", "320 kwh", "400kWh")),
        "1",
        "ajuda",
        "como calculou",
        "quero ser contatado",
        "não",
        "1",
        "quero",
        "sim",
        pick.choice(("João Pereira", "Pedro Henrique Santos")),
        "51 9999",
        pick.choice(("(51) 99876-5432", "51998765432")),
        "recomeçar",
    )


def rio_de_janeiro(pick: random.Random) -> tuple[Message, ...]:
    """A state named instead of a CEP; bad amounts; changes the bill; cancels at the end."""
    return (
        "oi",
        "sim",
        pick.choice(("moro no Rio de Janeiro", "RJ", "20040-002")),
        "Light",
        "0",
        "muito caro",
        pick.choice(("R$ 450", "450,00", "R$ 520")),
        "1",
        "como calculou",
        Tap("offers"),
        Tap("bill"),
        pick.choice(("600 reais", "R$ 700,00")),
        "2",
        "sim",
        Tap("yes"),
        pick.choice(("Carla de Souza", "Rafael Lima")),
        pick.choice(("21 98888-7777", "(21) 3333-4444")),
        Tap("offers"),
        "1",
        "cancelar",
    )


def minas_gerais(pick: random.Random) -> tuple[Message, ...]:
    """WhatsApp (the channel shares the phone): reads the policy, uses the shared phone,
    then looks at a third offer."""
    return (
        "/start",
        Tap("policy"),
        Tap("agree"),
        pick.choice(("30130-010", "30.140-071")),
        "Cemig",
        "uns trezentos",
        pick.choice(("uns 300", "R$ 310,50")),
        Tap("more"),
        "2",
        "como calculou",
        "voltar",
        "1",
        Tap("contact"),
        "sim",
        "Beatriz Lima",
        Tap("use-phone"),
        Tap("offers"),
        Tap("first"),
        "3",
        "quero",
    )


def bahia(pick: random.Random) -> tuple[Message, ...]:
    """Bahia (two distributors, no "other"): a stray sentence at the offers, page two."""
    return (
        "oi, tudo bem?",
        "sim",
        pick.choice(("40.020-000", "41820-021")),
        "Coelba",
        pick.choice(("350 kWh", "R$ 390")),
        "ajuda",
        "quero ver a segunda",
        "1",
        "como calculou",
        "voltar",
        Tap("more"),
        "1",
        Tap("contact"),
        Tap("yes"),
        "12345",
        "Luiza Andrade",
        "luiza.andrade@exemplo.com",
        Tap("offers"),
        "ajuda",
        "2",
    )


PERSONAS = (
    Persona("fortaleza", fortaleza, final_state=S.OFFERS, user_name="Maria"),
    Persona("sao_paulo", sao_paulo, final_state=S.DONE),
    Persona("rio_grande_do_sul", rio_grande_do_sul, final_state=S.CONSENT, user_name="João P."),
    Persona("rio_de_janeiro", rio_de_janeiro, final_state=END),
    Persona("minas_gerais", minas_gerais, final_state=S.SHARE_CONSENT, phone="+55 31 98888-7777"),
    Persona("bahia", bahia, final_state=S.OFFER, user_name="Luiza"),
)
MESSAGES_PER_CONVERSATION = 20
