"""Who plays PicPay in a money-path run: the built-in sandbox, or the fake PicPay server.

The sandbox is the product's own stand-in (`marketplace/picpay_sandbox.py`): its status
read is a transaction on our database. The fake (`tests/fakes/picpay.py`, plain Python
with no pytest in it) is an HTTP server on 127.0.0.1, so the status read is an HTTP call
through the product's `PicPayClient`, as with PicPay; it runs in a thread of the measuring
process, so its own work is counted in the figures too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from marketplace.payments import Payments
from marketplace.picpay_sandbox import SandboxGateway
from tests.fakes.picpay import FakePicPay, running_picpay

SANDBOX, FAKE_PICPAY = "sandbox", "fake-picpay"
PROVIDERS = (SANDBOX, FAKE_PICPAY)
# Lets the callback route in, as PicPay's token would (the sandbox alone needs none).
SANDBOX_SELLER_TOKEN = "bench-seller-token"  # noqa: S105 -- a throwaway database's value


class ProviderRefused(RuntimeError):
    """The provider would not take a payment the benchmark made."""


class Provider(Protocol):
    """What the benchmark asks of whoever plays PicPay."""

    def settings(self) -> dict[str, str | None]:
        """The PicPay settings that point the product at this provider."""
        ...

    def pay(self, payments: Payments, reference_id: str) -> None:
        """The consumer pays, at the provider only: our side learns it from a callback."""
        ...

    def problems(self) -> list[str]:
        """What the provider saw us send that PicPay would refuse."""
        ...


class Sandbox:
    """The built-in sandbox, whose page's "pay" button is `SandboxGateway.pay`."""

    def settings(self) -> dict[str, str | None]:
        """No PicPay token: the product picks its sandbox."""
        return {"picpay_token": None, "picpay_seller_token": SANDBOX_SELLER_TOKEN}

    def pay(self, payments: Payments, reference_id: str) -> None:
        """Press the sandbox page's "pay", without its callback."""
        gateway = payments.gateway
        if not isinstance(gateway, SandboxGateway) or not gateway.pay(reference_id):
            raise ProviderRefused(f"the sandbox would not pay {reference_id}")

    def problems(self) -> list[str]:
        """The sandbox checks nothing of what it is sent."""
        return []


class FakeServer:
    """The fake PicPay server, started for the run."""

    def __init__(self, fake: FakePicPay) -> None:
        self.fake = fake

    def settings(self) -> dict[str, str | None]:
        """PicPay's settings, pointing at the fake."""
        return {
            "picpay_token": self.fake.token,
            "picpay_seller_token": self.fake.seller_token,
            "picpay_api_url": self.fake.url,
        }

    def pay(self, payments: Payments, reference_id: str) -> None:
        """The fake reports the payment paid from now on."""
        if reference_id not in self.fake.payments:
            raise ProviderRefused(f"the fake PicPay never created {reference_id}")
        self.fake.set_status(reference_id, "paid")

    def problems(self) -> list[str]:
        """The requests the fake answered 422, as PicPay would."""
        return [f"fake PicPay refused: {violation}" for violation in self.fake.violations]


@contextmanager
def provider_for(name: str) -> Iterator[Provider]:
    """The provider called `name`, running for the duration of the block."""
    if name == SANDBOX:
        yield Sandbox()
        return
    with running_picpay() as fake:
        yield FakeServer(fake)
