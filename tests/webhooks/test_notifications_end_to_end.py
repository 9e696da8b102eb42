"""Issue 6 end to end: a consumer on the web chat, a supplier agent on Telegram, push and
e-mail at local fakes, and nothing personal for the supplier before the consumer's yes.

Everything runs as `serve` runs it: the web app with its Telegram channel (webhook mode,
against the fake Bot API), the notification senders (aiosmtpd on 127.0.0.1, the fake FCM
reached through firebase-admin), and the device route trusting a local JWKS.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.flows import build_flows
from bot.runtime import Runtime
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.models import Lead
from marketplace.settings import Settings
from tests.conversations.consumer_support import SOLAR
from tests.conversations.supplier_support import SOLAR_SUPPLIER, invite_code
from tests.fakes.fcm import FakeFcm
from tests.fakes.identity import FakeIdentityProvider
from tests.fakes.smtp import Mailbox, free_port, start_smtp_server
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import TelegramPerson
from tests.support.telegram_chat import TelegramChat, texts
from webhooks.app import create_app

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret_42"}
MARIA_EMAIL = "maria@example.com"
MARIA_PHONE = "(85) 99999-1234"
ANA_EMAIL = "ana@telhado.example"
MARIA_DEVICE = "maria-phone:APA91b-consumer"
ANA_DEVICE = "ana-phone:APA91b-agent"
WAIT_SECONDS = 15.0


@dataclass
class World:
    """The running app and every fake around it."""

    client: TestClient
    telegram: FakeTelegram
    fcm: FakeFcm
    mailbox: Mailbox
    identity: FakeIdentityProvider
    sessions: sessionmaker[Session]


@pytest.fixture
def world(
    telegram_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    fake_telegram: FakeTelegram,
    tmp_path: Path,
) -> Iterator[World]:
    """The app as `serve` runs it, with Telegram, e-mail, push and the device route on."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    fcm, identity, mailbox, port = (
        FakeFcm().start(),
        FakeIdentityProvider().start(),
        Mailbox(),
        free_port(),
    )
    smtp = start_smtp_server(mailbox, port)
    settings = telegram_settings.model_copy(
        update={
            "smtp_url": f"smtp://127.0.0.1:{port}",
            "email_from": "Connect Energy <bot@connect-energy.test>",
            "fcm_credentials": str(fcm.write_credentials(tmp_path)),
            "fcm_api_url": fcm.url,
            "identity_jwks_url": identity.jwks_url,
            "identity_issuer": identity.issuer,
            "identity_audience": identity.audience,
        }
    )
    app = create_app(runtime=Runtime(settings, engine, sessions, clock), flows=build_flows())
    try:
        with TestClient(app) as client:
            yield World(client, fake_telegram, fcm, mailbox, identity, sessions)
    finally:
        smtp.stop()
        fcm.stop()
        identity.stop()
    assert fcm.violations == []


class WebConsumer:
    """The consumer, typing in the web chat and reading everything the bot sent there."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        token = client.post("/chat/api/session", json={"locale": "pt-BR"}).json()["token"]
        self.auth = {"Authorization": f"Bearer {token}"}
        self.seen: list[dict[str, Any]] = []
        self.sent = 0

    def say(self, text: str) -> list[dict[str, Any]]:
        self.sent += 1
        body = {"client_id": f"m{self.sent}", "text": text, "after": self._last()}
        answer = self.client.post("/chat/api/messages", json=body, headers=self.auth)
        assert answer.status_code == 200, answer.text
        new: list[dict[str, Any]] = answer.json()["messages"]
        self.seen.extend(new)
        return new

    def tap(self, label: str) -> list[dict[str, Any]]:
        option = next(
            option
            for message in reversed(self.seen)
            for option in message["options"]
            if option["label"] == label
        )
        self.sent += 1
        body = {"client_id": f"m{self.sent}", "option_id": option["id"], "after": self._last()}
        answer = self.client.post("/chat/api/messages", json=body, headers=self.auth)
        assert answer.status_code == 200, answer.text
        new: list[dict[str, Any]] = answer.json()["messages"]
        self.seen.extend(new)
        return new

    def news(self) -> list[str]:
        """Pull what arrived without being asked (the page polls the same way)."""
        answer = self.client.get(f"/chat/api/messages?after={self._last()}", headers=self.auth)
        new: list[dict[str, Any]] = answer.json()["messages"]
        self.seen.extend(new)
        return [message["text"] for message in new]

    def _last(self) -> int:
        return int(self.seen[-1]["id"]) if self.seen else 0


def wait_for(what: str, found: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not arrive")


def register_device(world: World, subject: str, device: str, code: str) -> dict[str, Any]:
    answer = world.client.post(
        "/devices",
        json={"token": device, "platform": "android", "link_code": code},
        headers={"Authorization": f"Bearer {world.identity.token(subject)}"},
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def app_code(text: str) -> str:
    found = re.search(r"APP-[A-Z0-9]+", text)
    assert found is not None, text
    return found.group()


def supplier_side(world: World, agent: TelegramChat) -> str:
    """Everything that reached the supplier: its chat, its e-mail and its pushes, as text."""
    parts = texts(agent.received)
    parts += [str(mail.get_payload()) for mail in world.mailbox.to(ANA_EMAIL)]
    parts += [
        f"{push.title} {push.body} {push.data}"
        for push in world.fcm.sent
        if push.token == ANA_DEVICE
    ]
    return "\n".join(parts)


def test_a_web_consumer_and_a_telegram_agent_work_a_lead_with_push_and_email(
    world: World, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    client = world.client

    def post(update: dict[str, object]) -> None:
        assert client.post("/webhooks/telegram", json=update, headers=SECRET).status_code == 200

    # The agent links Telegram with an invite, gives an e-mail, and links the app for push.
    agent = TelegramChat(
        TelegramPerson(7001, first_name="Ana", language_code="en"), world.telegram, sessions, post
    )
    agent.say(f"/start {invite_code(sessions, clock, SOLAR_SUPPLIER)}")
    agent.say(f"/email {ANA_EMAIL}")
    linked = register_device(world, "auth0|ana", ANA_DEVICE, app_code(texts(agent.say("/app"))[0]))
    assert linked["person"] == "agent"

    # The consumer, on the web chat, gives an e-mail for news and links her app too.
    maria = WebConsumer(client)
    maria.say("oi")
    maria.say("sim")  # the privacy terms
    maria.say(f"/email {MARIA_EMAIL}")
    code = app_code(maria.say("/app")[0]["text"])
    assert register_device(world, "auth0|maria", MARIA_DEVICE, code)["person"] == "consumer"

    # She asks for the solar offer's contact but first says no to sharing: nothing leaves.
    for text in ("60110-000", "350", SOLAR, "quero"):
        maria.say(text)
    refused = maria.say("não")
    assert refused[0]["text"].startswith("Tudo bem, nada foi enviado")
    time.sleep(1.0)  # a dispatcher pass or two: nothing may be on its way to the supplier
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 0
    before_yes = supplier_side(world, agent)
    assert "New lead #" not in before_yes
    assert "Maria" not in before_yes
    assert "99999" not in before_yes
    assert world.mailbox.to(ANA_EMAIL) == []
    assert world.fcm.sent == []

    # Then she says yes, with her name and phone: the card reaches the agent three ways.
    for text in (SOLAR, "quero", "sim", "Maria Silva"):
        maria.say(text)
    done = maria.say(MARIA_PHONE)
    assert done[0]["text"].startswith("Pronto! A Telhado Limpo")

    card = wait_for(
        "the lead card on Telegram",
        lambda: [m for m in agent.received if str(m["text"]).startswith("New lead #")],
    )[0]
    assert "Maria Silva" in card["text"]  # shared with her yes, with this supplier only
    assert "99999-1234" in card["text"]
    [card_mail] = wait_for("the lead card e-mail", lambda: world.mailbox.to(ANA_EMAIL))
    assert card_mail["Subject"].strip().startswith("New lead #")
    agent_push = wait_for(
        "the agent's push", lambda: [p for p in world.fcm.sent if p.token == ANA_DEVICE]
    )[0]
    assert str(agent_push.body).startswith("New lead #")
    assert "Maria Silva" not in str(agent_push.body)  # the push carries the first line only

    # The agent accepts: the consumer reads it in her chat, and by push and e-mail.
    agent.tap("Accept")
    accepted = wait_for("the acceptance in the web chat", maria.news)
    assert accepted[0].startswith("Boa notícia: a Telhado Limpo")
    maria_push = wait_for(
        "the consumer's push", lambda: [p for p in world.fcm.sent if p.token == MARIA_DEVICE]
    )
    assert str(maria_push[0].body).startswith("Boa notícia")
    [news_mail] = wait_for(
        "the consumer's e-mail",
        lambda: [
            mail
            for mail in world.mailbox.to(MARIA_EMAIL)
            if mail["Subject"].strip().startswith("Boa notícia")
        ],
    )
    assert "Telhado Limpo" in news_mail["Subject"]
    # The signing link that follows the acceptance is a contract notification: e-mailed too.
    [link_mail] = wait_for(
        "the contract link's e-mail",
        lambda: [
            mail
            for mail in world.mailbox.to(MARIA_EMAIL)
            if mail["Subject"].strip().startswith("Seu contrato com a Telhado Limpo")
        ],
    )
    assert "/contracts/" in str(link_mail.get_payload())

    # The agent asks a question; the consumer answers it in the same conversation.
    agent.tap("Ask a question")
    agent.say("Qual a área do seu telhado?")
    question = wait_for("the question in the web chat", maria.news)
    assert "Qual a área do seu telhado?" in question[0]
    maria.tap("Responder")
    maria.say("Uns 40 m²")
    relayed = wait_for(
        "the answer on Telegram",
        lambda: [m for m in agent.received if "Uns 40 m²" in str(m["text"])],
    )
    assert relayed

    # Nothing the consumer did not give this supplier ever reached it.
    assert MARIA_EMAIL not in supplier_side(world, agent)
    with sessions() as session:
        assert session.scalars(select(Lead.status)).one() == "accepted"
