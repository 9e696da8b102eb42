"""The consumer flow on Telegram, from /start to a recorded lead, by webhook and by polling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.flows import build_flows
from bot.runtime import Runtime
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.models import Lead, Supplier
from marketplace.settings import Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import TelegramPerson
from tests.support.telegram_chat import TelegramChat, labels, texts
from webhooks.app import create_app

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret_42"}
TELHADO = "Telhado Limpo Energia Solar (demo)"


@pytest.fixture(params=["webhook", "polling"])
def chat(
    request: pytest.FixtureRequest,
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
) -> Iterator[TelegramChat]:
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    by_webhook = request.param == "webhook"
    settings = telegram_settings
    if not by_webhook:
        settings = settings.model_copy(update={"telegram_webhook_secret": None})
    app = create_app(runtime=Runtime(settings, engine, sessions, clock), flows=build_flows())

    with TestClient(app) as client:

        def post(update: dict[str, object]) -> None:
            assert (
                client.post("/webhooks/telegram", json=update, headers=SECRET).status_code == 200
            )

        deliver = post if by_webhook else fake_telegram.queue_update
        yield TelegramChat(TelegramPerson(first_name="Maria"), fake_telegram, sessions, deliver)


def test_a_consumer_goes_from_start_to_a_lead_with_buttons(
    chat: TelegramChat, sessions: sessionmaker[Session]
) -> None:
    greeting = chat.say("/start")
    asked_cep = chat.tap("Concordo")
    asked_bill = chat.say("60110-000")
    offers = chat.say("uns 350")
    fact_sheet = chat.tap("1. Telhado \u2013 R$ 140/mês")
    asked_share = chat.tap("Pedir contato")
    asked_name = chat.tap("Sim, autorizo")
    asked_contact = chat.say("Maria Silva")
    done = chat.send(chat.person.contact("+5585999991234"))

    assert greeting[0]["text"].startswith("Olá, Maria!")
    assert labels(asked_cep[-1]) == ["Não sei meu CEP"]
    assert "ENEL CE" in asked_bill[-1]["text"]
    assert "1. Telhado \u2013 R$ 140/mês" in labels(offers[-1])
    assert fact_sheet[0]["text"].startswith(TELHADO)
    assert labels(asked_share[-1]) == ["Sim, autorizo", "Não"]
    assert texts(asked_name) == ["Como você se chama?"]
    assert texts(asked_contact)[0].startswith(f"Qual telefone (com DDD) ou e-mail a {TELHADO}")
    assert texts(done)[0].startswith(f"Pronto! A {TELHADO} vai entrar em contato")

    with sessions() as session:
        (lead,) = session.scalars(select(Lead)).all()
        supplier = session.get_one(Supplier, lead.supplier_id)
    assert supplier.name == TELHADO
    assert (lead.contact_name, lead.contact_phone) == ("Maria Silva", "+5585999991234")
