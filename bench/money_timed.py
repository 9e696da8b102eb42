"""One money-path run, in a process of its own: `python -m bench.money_timed SPEC_JSON`.

The contracts wait for their signature in the database already (bench/prepare.py); this
process signs them, has the provider create their payments, pays them by callbacks and
by the periodic check, times each call, then checks the database (bench/money_checks.py)
and prints one JSON line (bench/results.py). It is wired as `create_app` wires the
product: the same `Payments`, gateway and `ContractPaymentListener`, on a real database.
"""

from __future__ import annotations

import os
import re
import resource
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bench.contracts import MONEY_PREFIX, agent_chat_id
from bench.money_checks import check_paid, last_outbox_id
from bench.money_providers import Provider, provider_for
from bench.recording import LaterClock, Recorder
from bench.results import MoneyResult, MoneySpec
from bot.runtime import Runtime
from conversations.contract_payments import ContractPaymentListener
from conversations.contract_signing import (
    Evidence,
    SignatureForm,
    SignerIdentity,
    check_link,
    open_contract,
    read_signature_form,
    sign,
)
from marketplace.contract_tokens import ContractLinks
from marketplace.contracts import ContractStatus
from marketplace.db import make_engine, make_session_factory
from marketplace.models import Contract, Payment
from marketplace.payments import PaymentConfig, Payments, gateway_for
from marketplace.picpay import PicPayClient
from marketplace.settings import Settings
from webhooks.app import create_app

AGENT_CHAT = agent_chat_id(MONEY_PREFIX)

PUBLIC_URL = "http://127.0.0.1:8000"
SECRET_KEY = "money-path-benchmark-" + "k" * 32  # a throwaway database's key, nothing else's
SIGNER = SignatureForm(
    full_name="Maria da Silva", cpf="529.982.247-25", agreed=True, document_sha256=""
)
EVIDENCE = Evidence(ip_address="127.0.0.1", user_agent="bench/money")
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
# Every outside service off, whatever the environment says: only the provider is called.
OFF = (
    "telegram_bot_token",
    "whatsapp_access_token",
    "smtp_url",
    "fcm_credentials",
    "identity_jwks_url",
    "mongo_url",
)


class RunFailed(RuntimeError):
    """A call the run depends on did not do what it should; the run stops."""


@dataclass
class Bench:
    """The product as `create_app` wires it, on the run's database and provider."""

    runtime: Runtime
    payments: Payments
    links: ContractLinks
    provider: Provider
    clock: LaterClock
    recorder: Recorder = field(default_factory=Recorder)


def timed_run(spec: MoneySpec) -> MoneyResult:
    """Every phase of the money path, then the database's check."""
    baseline = _peak_rss_kib()
    with provider_for(spec.provider) as provider:
        bench = wire(spec, provider)
        try:
            load_before = os.getloadavg()[0]
            _run_phases(bench, spec)
            load_after = os.getloadavg()[0]
        finally:
            if isinstance(bench.payments.gateway, PicPayClient):
                bench.payments.gateway.close()
            bench.runtime.close()
        bench.recorder.problems += provider.problems()
    recorder = bench.recorder
    return MoneyResult(
        latencies={name: tuple(times) for name, times in recorder.latencies.items()},
        phase_seconds=recorder.phase_seconds,
        counts=dict(recorder.counts),
        baseline_rss_kib=baseline,
        peak_rss_kib=_peak_rss_kib(),
        load_average=(load_before, load_after),
        problems=tuple(recorder.problems),
    )


def wire(spec: MoneySpec, provider: Provider) -> Bench:
    """The product on the spec's database and provider, every outside service off."""
    values: dict[str, Any] = {
        "database_url": spec.url,
        "public_url": PUBLIC_URL,
        "secret_key": SECRET_KEY,
        **dict.fromkeys(OFF),
        **provider.settings(),
    }
    settings = Settings(_env_file=None, **values)
    clock = LaterClock(datetime.fromisoformat(spec.start) if spec.start else None)
    engine = make_engine(settings.database_url)
    recorder = Recorder()
    recorder.count_statements(engine)
    runtime = Runtime(settings, engine, make_session_factory(engine), clock)
    payments = Payments(
        runtime.sessions,
        gateway_for(settings, runtime.sessions, clock),
        clock,
        ContractPaymentListener(clock),
        PaymentConfig.from_settings(settings),
    )
    return Bench(runtime, payments, runtime.contract_links(), provider, clock, recorder)


def _run_phases(bench: Bench, spec: MoneySpec) -> None:
    waiting = _awaiting_signature(bench)
    if len(waiting) != spec.http + spec.contracts + spec.pending:
        raise RunFailed(f"{len(waiting)} contracts await signature; the spec counts otherwise")
    by_http, by_callback = waiting[: spec.http], waiting[spec.http : spec.http + spec.contracts]
    by_check = waiting[spec.http + spec.contracts :]

    payment_ids = sign_in_process(bench, [*by_callback, *by_check])
    references = create_at_provider(bench, payment_ids)
    paid_by_callback = references[: len(by_callback)]
    call_back(bench, paid_by_callback, callers=spec.callers)
    if by_http:
        through_http(bench, by_http)
    check_pending(bench, references[len(by_callback) :], limit=spec.check_limit)


def _awaiting_signature(bench: Bench) -> list[int]:
    with bench.runtime.sessions() as session:
        return list(
            session.scalars(
                select(Contract.id)
                .where(Contract.status == ContractStatus.AWAITING_SIGNATURE)
                .order_by(Contract.id)
            )
        )


# Signing -------------------------------------------------------------------------------


def sign_in_process(bench: Bench, contract_ids: list[int]) -> list[int]:
    """Open and sign each contract as the signing page does; the payments opened."""
    recorder, payment_ids = bench.recorder, []
    signer = read_signature_form(SIGNER)
    if not isinstance(signer, SignerIdentity):
        raise RunFailed(f"the benchmark's signer is refused: {signer.by_field}")
    tokens = [
        bench.links.tokens.issue(contract_id, bench.clock.now()) for contract_id in contract_ids
    ]
    with recorder.phase("open"):
        pages = [recorder.call("open", partial(_open, bench, token)) for token in tokens]
    with recorder.phase("sign"):
        for token, document_sha256 in zip(tokens, pages, strict=True):
            payment_id = recorder.call(
                "sign", partial(_sign, bench, token, document_sha256, signer)
            )
            payment_ids.append(payment_id)
    return payment_ids


def _open(bench: Bench, token: str) -> str:
    page = open_contract(bench.runtime.sessions, bench.links.tokens, token, bench.clock)
    return page.contract.text_sha256


def _sign(bench: Bench, token: str, document_sha256: str, signer: SignerIdentity) -> int:
    claims = check_link(bench.links.tokens, token, bench.clock)
    signed = sign(
        bench.runtime.sessions,
        claims,
        signer=signer,
        document_sha256=document_sha256,
        evidence=EVIDENCE,
        clock=bench.clock,
        payments=bench.payments,
    )
    if signed.payment_id is None:
        raise RunFailed(f"contract {claims.contract_id} signed without a payment to make")
    return signed.payment_id


def create_at_provider(bench: Bench, payment_ids: list[int]) -> list[str]:
    """Have the provider create each payment, as the signed page does after its answer."""
    recorder = bench.recorder
    with recorder.phase("create"):
        created = [
            recorder.call("create", partial(bench.payments.create_at_provider, payment_id))
            for payment_id in payment_ids
        ]
    return [payment.reference_id for payment in created]


# Callbacks -----------------------------------------------------------------------------


def call_back(bench: Bench, references: list[str], *, callers: int) -> None:
    """Pay each payment at the provider, then call back `callers` times at once; then all
    of them again, when nothing is left to change."""
    if not references:
        return
    outbox_after = last_outbox_id(bench.runtime.sessions)
    payment_ids = [bench.payments.view_by_reference(ref).id for ref in references]
    for reference in references:
        bench.provider.pay(bench.payments, reference)
    with ThreadPoolExecutor(callers, thread_name_prefix="caller") as pool:
        for operation in ("callback_first", "callback_repeat"):
            with bench.recorder.phase(operation):
                for reference in references:
                    _callbacks_at_once(bench, pool, operation, reference, callers)
    bench.recorder.problems += check_paid(
        bench.runtime.sessions,
        payment_ids,
        agent_chat=AGENT_CHAT,
        outbox_after=outbox_after,
    )
    _expect(bench, "callback_first.changed", len(references))
    _expect(bench, "callback_repeat.changed", 0)


def _callbacks_at_once(
    bench: Bench, pool: ThreadPoolExecutor, operation: str, reference: str, callers: int
) -> None:
    # Each caller waits at the barrier, so all of them ask at the same moment, as PicPay's
    # retries and a redelivery can.
    start = threading.Barrier(callers, timeout=60)

    def one_caller() -> str:
        start.wait()
        return bench.recorder.call(
            operation, lambda: bench.payments.handle_callback(reference).value
        )

    outcomes = [future.result() for future in [pool.submit(one_caller) for _ in range(callers)]]
    bench.recorder.counts.update(f"{operation}.{outcome}" for outcome in outcomes)


def _expect(bench: Bench, count: str, expected: int) -> None:
    if bench.recorder.counts[count] != expected:
        bench.recorder.problems.append(f"{count}: {bench.recorder.counts[count]}, not {expected}")


# Through HTTP --------------------------------------------------------------------------


def through_http(bench: Bench, contract_ids: list[int]) -> None:
    """Sign on the signing page and call back on `POST /webhooks/picpay`, through the app."""
    recorder = bench.recorder
    with TestClient(create_app(runtime=bench.runtime), base_url=PUBLIC_URL) as client:
        with recorder.phase("open_http"):
            forms = [_open_page(bench, client, contract_id) for contract_id in contract_ids]
        with recorder.phase("sign_http"):
            for path, form in forms:
                _sign_on_page(bench, client, path, form)

        outbox_after = last_outbox_id(bench.runtime.sessions)
        payments = _payments_of(bench, contract_ids)
        for _, reference in payments:
            bench.provider.pay(bench.payments, reference)
        with recorder.phase("callback_http"):
            for _, reference in payments:
                _call_back_on_route(bench, client, reference)

    recorder.problems += check_paid(
        bench.runtime.sessions,
        [payment_id for payment_id, _ in payments],
        agent_chat=AGENT_CHAT,
        outbox_after=outbox_after,
    )
    _expect(bench, "callback_http.changed", len(contract_ids))


def _open_page(bench: Bench, client: TestClient, contract_id: int) -> tuple[str, dict[str, str]]:
    path = "/contracts/" + bench.links.tokens.issue(contract_id, bench.clock.now())
    page = bench.recorder.call("open_http", partial(client.get, path))
    if page.status_code != 200:
        raise RunFailed(f"the signing page answered {page.status_code}")
    form = dict(HIDDEN.findall(page.text)) | {
        "full_name": SIGNER.full_name,
        "cpf": SIGNER.cpf,
        "agree": "yes",
    }
    return path, form


def _sign_on_page(bench: Bench, client: TestClient, path: str, form: dict[str, str]) -> None:
    # The answer comes back once the page's background task has asked the provider for
    # the payment, so this time includes the creation.
    signed = bench.recorder.call("sign_http", partial(client.post, path, data=form))
    if signed.status_code != 200:
        raise RunFailed(f"signing on the page answered {signed.status_code}")


def _call_back_on_route(bench: Bench, client: TestClient, reference: str) -> None:
    headers = {"x-seller-token": bench.runtime.settings.picpay_seller_token or ""}
    body = {"referenceId": reference}
    answer = bench.recorder.call(
        "callback_http", partial(client.post, "/webhooks/picpay", json=body, headers=headers)
    )
    if answer.status_code != 200:
        raise RunFailed(f"the PicPay callback route answered {answer.status_code}")
    bench.recorder.counts[f"callback_http.{answer.json()['outcome']}"] += 1


def _payments_of(bench: Bench, contract_ids: list[int]) -> list[tuple[int, str]]:
    with bench.runtime.sessions() as session:
        rows = session.execute(
            select(Payment.id, Payment.reference_id)
            .where(Payment.contract_id.in_(contract_ids))
            .order_by(Payment.id)
        )
        return [(row.id, row.reference_id) for row in rows]


# The periodic check --------------------------------------------------------------------


def check_pending(bench: Bench, references: list[str], *, limit: int) -> None:
    """Pay every other pending payment at the provider, let the check's delay pass, and
    run rounds of the periodic check until one finds nothing due."""
    if not references:
        return
    outbox_after = last_outbox_id(bench.runtime.sessions)
    views = [bench.payments.view_by_reference(reference) for reference in references]
    paid = [view.id for view in views[::2]]
    for view in views[::2]:
        bench.provider.pay(bench.payments, view.reference_id)
    bench.clock.advance(bench.payments.config.check_after + timedelta(minutes=1))

    recorder = bench.recorder
    with recorder.phase("check_round"):
        for _ in range(len(references) // limit + 2):  # one more than enough, with a margin
            report = recorder.call("check_round", lambda: bench.payments.check_due(limit=limit))
            if not report.asked:  # found nothing due: the work is done, not a round of it
                recorder.latencies["check_round"].pop()
                break
            recorder.counts.update({"check.asked": report.asked, "check.changed": report.changed})
            recorder.counts["check.failed"] += report.failed + report.created + report.refunded
    recorder.problems += check_paid(
        bench.runtime.sessions,
        paid,
        unpaid=[view.id for view in views[1::2]],
        agent_chat=AGENT_CHAT,
        outbox_after=outbox_after,
    )
    _expect(bench, "check.asked", len(references))
    _expect(bench, "check.changed", len(paid))
    _expect(bench, "check.failed", 0)


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    """Run the spec given as the only argument; print the result as JSON."""
    print(timed_run(MoneySpec.from_json(sys.argv[1])).to_json())


if __name__ == "__main__":
    main()
