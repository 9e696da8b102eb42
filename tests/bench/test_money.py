"""The money-path benchmark runs, in a tiny configuration, and its check can fail."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.contracts import MONEY_PREFIX, agent_chat_id, paid_contracts
from bench.money import OPERATIONS, summary
from bench.money_checks import check_paid, last_outbox_id
from bench.money_providers import PROVIDERS, SANDBOX, provider_for
from bench.money_timed import create_at_provider, sign_in_process, timed_run, wire
from bench.results import MoneyResult, MoneySpec
from conversations.contract_payments import ContractPaymentListener
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.models import Contract, PaymentEvent
from marketplace.payments import PAID
from tests.conftest import TEST_NOW


def waiting_contracts(sessions: sessionmaker[Session], clock: FixedClock, count: int) -> None:
    """The catalog and `count` contracts awaiting signature, as bench/prepare.py makes them."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
        paid_contracts(session, count, clock, prefix=MONEY_PREFIX)


def tiny(database_url: str, provider: str = SANDBOX, **counts: int) -> MoneySpec:
    """A run small enough for a test: every phase, a few calls each."""
    sizes = {"contracts": 2, "callers": 3, "pending": 3, "check_limit": 2, "http": 1} | counts
    return MoneySpec(url=database_url, provider=provider, start=TEST_NOW.isoformat(), **sizes)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_tiny_run_pays_every_payment_once_and_reports_each_phase(
    database_url: str, sessions: sessionmaker[Session], clock: FixedClock, provider: str
) -> None:
    waiting_contracts(sessions, clock, 1 + 2 + 3)

    result = MoneyResult.from_json(timed_run(tiny(database_url, provider)).to_json())

    assert result.problems == ()
    calls = {operation: len(times) for operation, times in result.latencies.items()}
    assert calls == {
        "open": 5,
        "sign": 5,
        "create": 5,
        "callback_first": 2 * 3,
        "callback_repeat": 2 * 3,
        "open_http": 1,
        "sign_http": 1,
        "callback_http": 1,
        "check_round": 2,  # three pending payments, two a round
    }
    assert {name: count for name, count in result.counts.items() if "statements" not in name} == {
        "callback_first.changed": 2,
        "callback_first.unchanged": 4,
        "callback_repeat.unchanged": 6,
        "callback_http.changed": 1,
        "check.asked": 3,
        "check.changed": 2,
        "check.failed": 0,
    }
    printed = summary([result], callers=3)
    assert [line.split()[0] for line in printed.splitlines()] == [name for name, _ in OPERATIONS]


def test_the_check_finds_a_payment_told_twice(
    database_url: str, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    waiting_contracts(sessions, clock, 1)
    with sessions() as session:
        contract_ids = list(session.scalars(select(Contract.id)))
    with provider_for(SANDBOX) as provider:
        bench = wire(tiny(database_url, contracts=1, pending=0, http=0), provider)
        [payment_id] = sign_in_process(bench, contract_ids)
        [reference] = create_at_provider(bench, [payment_id])
        before = last_outbox_id(sessions)
        provider.pay(bench.payments, reference)
        bench.payments.handle_callback(reference)
        agent = agent_chat_id(MONEY_PREFIX)

        assert check_paid(sessions, [payment_id], agent_chat=agent, outbox_after=before) == []

        # What applying the same payment a second time would leave behind.
        with sessions.begin() as session:
            view = bench.payments.view(payment_id)
            ContractPaymentListener(bench.clock).payment_paid(session, view)
            session.add(
                PaymentEvent(
                    payment_id=payment_id,
                    kind="status",
                    to_status=PAID,
                    source="callback",
                    created_at=bench.clock.now(),
                )
            )
        problems = check_paid(sessions, [payment_id], agent_chat=agent, outbox_after=before)
        bench.runtime.close()

    assert problems == [
        f"payment {payment_id}: 2 changes to paid, expected 1",
        "messages after the phase: 1 more than one receipt a payment and one agent note a "
        "contract, 0 missing",
    ]
