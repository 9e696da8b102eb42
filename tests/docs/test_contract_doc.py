"""The README's contract journey: its chat lines really lead to a signing link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.flows import CONSUMER_FLOW, build_flows
from conversations.engine import ConversationEngine
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.contract_tokens import ContractLinks, ContractTokens
from tests.conversations.conftest import CONTRACT_SECRET, PUBLIC_URL, Chat
from tests.support.contracts import link_in

README = Path(__file__).parents[2] / "README.md"


def journey_lines() -> list[str]:
    """The lines the README pipes into `connect-energy chat` under "Sign a contract"."""
    section = README.read_text(encoding="utf-8").split("### Sign a contract", 1)[1]
    found = re.search(r"printf '([^']*)'", section)
    assert found, "the README's contract journey lost its printf line"
    return [line for line in found.group(1).split("\\n") if line]


@pytest.fixture
def engine_with_demo(sessions: sessionmaker[Session], clock: FixedClock) -> ConversationEngine:
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    return ConversationEngine(
        sessions,
        build_flows(),
        clock=clock,
        default_flow=CONSUMER_FLOW,
        contract_links=ContractLinks(PUBLIC_URL, ContractTokens(CONTRACT_SECRET)),
    )


def test_the_readme_journey_reaches_a_signing_link(engine_with_demo: ConversationEngine) -> None:
    person = Chat(engine_with_demo, "readme-reader", locale="pt_BR")

    replies = person.go_through(*journey_lines())

    link, _token = link_in(replies)
    assert link.startswith("http://127.0.0.1:8000/contracts/")
    assert "A pagar na assinatura: R$ 260,25" in replies[0].text
