"""The consumer flow on WhatsApp: from "oi" to a recorded lead, through signed webhooks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.consumer_flow import CONSUMER
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.models import Lead, Supplier
from tests.webhooks.whatsapp_harness import (
    WhatsAppHarness,
    WhatsAppPerson,
    buttons,
    counts,
    rows,
    texts,
)

TELHADO = "Telhado Limpo Energia Solar (demo)"


@pytest.fixture
def maria(
    whatsapp: WhatsAppHarness, sessions: sessionmaker[Session], clock: FixedClock
) -> WhatsAppPerson:
    """Someone in Fortaleza whose WhatsApp account predates the ninth digit."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    return WhatsAppPerson(whatsapp, "558599991234", name="Maria Silva")


@pytest.mark.parametrize("conversation_flow", [CONSUMER], indirect=True)
def test_from_oi_to_a_lead_with_buttons_and_lists(
    maria: WhatsAppPerson, sessions: sessionmaker[Session]
) -> None:
    [consent] = maria.say("oi")
    [cep] = maria.tap("Concordo")
    distributor, bill = maria.say("60110-000")
    [offers] = maria.say("350")
    [fact_sheet] = maria.pick("1. Telhado \u2013 R$ 140/mês")
    [share] = maria.tap("Pedir contato")
    [name] = maria.tap("Sim, autorizo")
    [contact] = maria.say("Maria Silva")
    [done] = maria.tap("Usar (85) 99999-1234")

    assert consent["interactive"]["body"]["text"].startswith("Olá, Maria! Sou o Connect Energy.")
    assert buttons(consent) == ["Concordo", "Não, obrigado", "Ler a política"]
    assert buttons(cep) == ["Não sei meu CEP"]
    assert texts([distributor]) == ["Sua distribuidora é a ENEL CE."]
    assert bill["type"] == "text"
    assert offers["interactive"]["type"] == "list"
    assert rows(offers)[0]["title"] == "1. Telhado \u2013 R$ 140/mês"
    assert texts([fact_sheet])[0].startswith(f"{TELHADO}: Energia solar no seu telhado")
    assert buttons(share) == ["Sim, autorizo", "Não"]
    assert texts([name]) == ["Como você se chama?"]
    assert buttons(contact) == ["Usar (85) 99999-1234"]
    assert texts([done])[0].startswith(f"Pronto! A {TELHADO} vai entrar em contato")
    assert {message["to"] for message in maria.harness.graph.accepted()} == {"558599991234"}

    with sessions() as session:
        [lead] = session.scalars(select(Lead)).all()
        supplier = session.get(Supplier, lead.supplier_id)
    assert supplier is not None
    assert supplier.name == TELHADO
    assert (lead.contact_name, lead.contact_phone) == ("Maria Silva", "+5585999991234")
    assert (lead.uf, lead.bill_brl) == ("CE", Decimal("350.00"))
    assert counts(sessions)["consumers"] == 1
