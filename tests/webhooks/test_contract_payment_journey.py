"""The whole journey on the web chat API: greeting, contract, signature, payment, withdrawal.

On the embedded default (payments in the sandbox) and with PicPay (the fake): the payment
link and QR code, the confirmation and the refund all reach the conversation where the
consumer asked, and the supplier's agents hear of each.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from marketplace.contracts import ContractStatus
from marketplace.models import Contract, OutboxMessage, Payment, Supplier, SupplierAgent
from marketplace.payments import Payments
from marketplace.settings import Settings
from tests.fakes.picpay import FakePicPay, running_picpay
from tests.support.contracts import DIRECT_PATH, VALID_CPF, only_contract
from webhooks.app import create_app

HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
SIGNING_LINK = re.compile(r"https?://\S+(/contracts/\S+)")
AGENT_CHAT = "agent-of-sol-nascente"
PORTUGUESE = {"accept-language": "pt-BR"}


@dataclass
class Consumer:
    """A person on the web chat page of the app, and what the bot sent them so far."""

    client: TestClient
    auth: dict[str, str] = field(default_factory=dict)
    seen: list[dict[str, Any]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def payments(self) -> Payments:
        """The app's payments module."""
        payments: Payments = self.client.app.state.payments  # type: ignore[attr-defined]
        return payments

    def open(self) -> None:
        """Open the chat page's conversation."""
        token = self.client.post("/chat/api/session", json={"locale": "pt-BR"}).json()["token"]
        self.auth = {"Authorization": f"Bearer {token}"}

    def say(self, text: str | None = None, option_id: str | None = None) -> list[dict[str, Any]]:
        """Send a message (typed, or a tapped option); the bot's answers."""
        body: dict[str, Any] = {"client_id": f"c{next(self._ids)}", "after": self._last()}
        if text is not None:
            body["text"] = text
        if option_id is not None:
            body["option_id"] = option_id
        answer = self.client.post("/chat/api/messages", json=body, headers=self.auth)
        assert answer.status_code == 200, answer.text
        messages: list[dict[str, Any]] = answer.json()["messages"]
        self.seen.extend(messages)
        return messages

    def poll(self) -> list[dict[str, Any]]:
        """What arrived since the last look, as the page polls it."""
        answer = self.client.get(
            "/chat/api/messages", params={"after": self._last()}, headers=self.auth
        )
        assert answer.status_code == 200, answer.text
        messages: list[dict[str, Any]] = answer.json()["messages"]
        self.seen.extend(messages)
        return messages

    def sign(self) -> str:
        """Open the signing link the chat gave and sign with name and CPF; the page's text."""
        link = next(
            found[1] for message in self.seen if (found := SIGNING_LINK.search(message["text"]))
        )
        page = self.client.get(link)
        assert page.status_code == 200
        form = dict(HIDDEN.findall(page.text)) | {
            "full_name": "Maria da Silva",
            "cpf": VALID_CPF,
            "agree": "yes",
        }
        signed = self.client.post(link, data=form)
        assert signed.status_code == 200, signed.text
        return str(signed.text)

    def press(self, payment_url: str, action: str) -> None:
        """Press a button of the sandbox's payment page, as the browser posts its form."""
        path = "/" + payment_url.split("/", 3)[3]
        page = self.client.get(path, headers=PORTUGUESE)
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert found, page.text
        answer = self.client.post(
            f"{path}/{action}",
            content=f"csrf={found[1]}",
            headers={"content-type": "application/x-www-form-urlencoded", **PORTUGUESE},
            follow_redirects=False,
        )
        assert answer.status_code < 400, answer.text

    def _last(self) -> int:
        return int(self.seen[-1]["id"]) if self.seen else 0


def greet_and_sign(consumer: Consumer) -> str:
    """From "oi" to a signed contract; the signed page's text."""
    consumer.open()
    for text in DIRECT_PATH:
        consumer.say(text)
    return consumer.sign()


def payment_message(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The one message with a QR code."""
    with_image = [message for message in messages if "image" in message]
    assert len(with_image) == 1, [message["text"] for message in messages]
    return with_image[0]


def link_in(message: dict[str, Any]) -> str:
    """The payment link in a message."""
    found = re.search(r"https?://\S+", message["text"])
    assert found, message["text"]
    return found[0]


def agent_texts(sessions: sessionmaker[Session]) -> list[str]:
    """What the supplier's agent was sent, in order."""
    with sessions() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == AGENT_CHAT)
            .order_by(OutboxMessage.id)
        )
        return [str(row.payload["text"]) for row in rows]


def texts(messages: list[dict[str, Any]]) -> str:
    """Every message's text, one after the other."""
    return "\n".join(message["text"] for message in messages)


def contract_status(sessions: sessionmaker[Session]) -> str:
    """The status of the one contract."""
    return only_contract(sessions).status


@pytest.fixture
def agent(market_runtime: Runtime) -> None:
    """An agent of Sol Nascente, the supplier of the directly signed offer."""
    with market_runtime.sessions.begin() as session:
        supplier = session.scalars(
            select(Supplier).where(Supplier.name.like("Sol Nascente%"))
        ).one()
        session.add(
            SupplierAgent(
                supplier_id=supplier.id,
                channel="test",
                chat_id=AGENT_CHAT,
                created_at=market_runtime.clock.now(),
            )
        )


@pytest.fixture
def sandbox_consumer(market_runtime: Runtime, agent: None) -> Iterator[Consumer]:
    """A consumer on the app as `make run` starts it: no PicPay token, the sandbox."""
    assert market_runtime.settings.payments_sandboxed
    with TestClient(create_app(runtime=market_runtime)) as client:
        yield Consumer(client)


@pytest.fixture
def picpay() -> Iterator[FakePicPay]:
    """The fake PicPay; the test fails if we sent it anything PicPay would refuse."""
    with running_picpay() as fake:
        yield fake
        assert fake.violations == []


@pytest.fixture
def picpay_consumer(
    market_runtime: Runtime, agent: None, settings: Settings, picpay: FakePicPay
) -> Iterator[Consumer]:
    """A consumer on the app with PicPay configured (the fake), which calls us back."""
    market_runtime.settings = settings.model_copy(
        update={
            "picpay_token": picpay.token,
            "picpay_seller_token": picpay.seller_token,
            "picpay_api_url": picpay.url,
        }
    )
    with TestClient(create_app(runtime=market_runtime)) as client:
        client.app.state.payments.gateway.retry_pause = 0  # type: ignore[attr-defined]

        def post(path: str, headers: dict[str, str], body: bytes) -> int:
            return int(client.post(path, headers=headers, content=body).status_code)

        picpay.callback_sink = post
        yield Consumer(client)


def test_greeting_to_a_paid_contract_in_the_sandbox_then_withdrawal_refunds_it(
    sandbox_consumer: Consumer, sessions: sessionmaker[Session]
) -> None:
    consumer = sandbox_consumer
    signed_page = greet_and_sign(consumer)

    assert "Contrato assinado" in signed_page
    arrived = consumer.poll()
    ask = payment_message(arrived)
    assert ask["text"].startswith("SANDBOX")
    assert ask["image"]["src"].startswith("data:image/png;base64,")
    assert "/sandbox/picpay/" in link_in(ask)
    assert contract_status(sessions) == ContractStatus.SIGNED

    consumer.press(link_in(ask), "pay")

    confirmation = consumer.poll()
    assert "recebido" in texts(confirmation)
    assert "está ativo" in texts(confirmation)
    contract = only_contract(sessions)
    assert contract.status == ContractStatus.ACTIVE
    withdraw = f"withdraw:{contract.id}"
    assert any(o["id"] == withdraw for m in confirmation for o in m["options"])
    assert any("foi pago" in text for text in agent_texts(sessions))

    asked = consumer.say(option_id=withdraw)
    assert "desistir" in texts(asked)
    done = consumer.say(option_id="yes")
    assert f"você desistiu do contrato nº {contract.id}" in texts(done)
    assert "serão devolvidos integralmente" in texts(done)
    assert contract_status(sessions) == ContractStatus.WITHDRAWN

    report = consumer.payments.check_due()  # the periodic check asks for the refund

    assert report.refunded == 1
    refunded = consumer.poll()
    assert "foi estornado" in texts(refunded)
    with sessions() as session:
        assert session.scalars(select(Payment.status)).one() == "refunded"
    assert any("devolvidos ao consumidor" in text for text in agent_texts(sessions))
    assert consumer.payments.check_due().refunded == 0  # done: not asked again


def test_a_link_left_to_expire_is_followed_by_a_new_one_that_works(
    sandbox_consumer: Consumer, sessions: sessionmaker[Session]
) -> None:
    consumer = sandbox_consumer
    greet_and_sign(consumer)
    first = link_in(payment_message(consumer.poll()))

    consumer.press(first, "expire")

    expired = consumer.poll()
    contract = only_contract(sessions)
    new_link = f"pay:{contract.id}"
    assert "expirou" in texts(expired)
    assert any(o["id"] == new_link for m in expired for o in m["options"])

    answer = consumer.say(option_id=new_link)
    again = consumer.say(option_id=new_link)  # a second tap opens no second payment
    assert "a caminho" in texts(answer)
    with sessions() as session:
        assert len(session.scalars(select(Payment)).all()) == 2
    assert consumer.payments.check_due().created == 1

    second = link_in(payment_message(consumer.poll()))
    assert second != first
    assert "a caminho" in texts(again)
    consumer.press(second, "pay")

    assert "recebido" in texts(consumer.poll())
    assert contract_status(sessions) == ContractStatus.ACTIVE


def test_a_repeated_picpay_callback_confirms_once_and_a_failed_refund_is_retried(
    picpay_consumer: Consumer, picpay: FakePicPay, sessions: sessionmaker[Session]
) -> None:
    consumer = picpay_consumer
    greet_and_sign(consumer)
    ask = payment_message(consumer.poll())
    payment = picpay.only_payment()
    assert not ask["text"].startswith("SANDBOX")
    assert payment.reference_id in link_in(ask)
    assert payment.body["buyer"]["document"] == VALID_CPF  # the signer pays
    assert payment.body["buyer"]["phone"] == "+55 85 99999-1234"

    picpay.set_status(payment.reference_id, "paid")
    for _ in range(3):
        assert picpay.call_back(payment.reference_id) == 200

    confirmations = [m for m in consumer.poll() if "recebido" in m["text"]]
    assert len(confirmations) == 1
    assert sum("foi pago" in text for text in agent_texts(sessions)) == 1
    contract = only_contract(sessions)
    assert contract.status == ContractStatus.ACTIVE

    consumer.say("/arrependimento")
    consumer.say(option_id="yes")
    picpay.fail_next_cancellation(503)
    failed = consumer.payments.check_due()
    assert failed.refunded == 0
    assert failed.failed == 1
    with sessions() as session:
        row = session.scalars(select(Payment)).one()
        assert row.status == "paid"
        assert row.refund_due_at is not None
        row.next_check_at = consumer.payments.clock.now()  # the retry is due
        session.commit()

    assert consumer.payments.check_due().refunded == 1
    assert "foi estornado" in texts(consumer.poll())
    with sessions() as session:
        assert session.scalars(select(Payment.status)).one() == "refunded"
        assert session.scalars(select(Contract.status)).one() == ContractStatus.WITHDRAWN
