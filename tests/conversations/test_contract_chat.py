"""Contracts in chat: the link after acceptance or direct signing, a new link, withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from conversations.contract_signing import Evidence, SignerIdentity, check_link, sign
from conversations.engine import ConversationEngine
from marketplace.clock import FixedClock
from marketplace.contract_tokens import ContractTokens
from marketplace.contracts import ContractStatus, create_contract, mark_paid
from marketplace.models import Contract, Lead
from tests.conversations.conftest import CONTRACT_SECRET, Chat
from tests.conversations.supplier_support import invite_code, notifications_to
from tests.support.contracts import DIRECT_PATH, link_in, only_contract

SUPPLIER = "Sol Nascente Energia (demo)"


@pytest.fixture
def agent(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> Chat:
    """An agent of the supplier whose offer is signed directly."""
    chat = Chat(market_engine, "9001", channel="telegram", locale="en")
    chat.say(f"/start {invite_code(sessions, clock, SUPPLIER)}")
    return chat


@pytest.fixture
def consumer(market_engine: ConversationEngine) -> Chat:
    """A consumer writing in English."""
    return Chat(market_engine, "consumer-7", channel="web", locale="en")


def sign_by_link(
    sessions: sessionmaker[Session], clock: FixedClock, token: str, name: str = "Maria Silva"
) -> None:
    """Sign as the page does, with a valid CPF."""
    tokens = ContractTokens(CONTRACT_SECRET)
    claims = check_link(tokens, token, clock)
    with sessions() as session:
        digest = session.scalars(
            select(Contract.text_sha256).where(Contract.id == claims.contract_id)
        ).one()
    sign(
        sessions,
        claims,
        signer=SignerIdentity(name, "52998224725"),
        document_sha256=digest,
        evidence=Evidence("127.0.0.1", "test"),
        clock=clock,
    )


def test_direct_signing_offer_sends_the_link_at_once_and_tells_the_agents(
    consumer: Chat, agent: Chat, sessions: sessionmaker[Session]
) -> None:
    replies = consumer.go_through(*DIRECT_PATH)

    link, _token = link_in(replies)
    assert link.startswith("http://127.0.0.1:8000/contracts/")
    assert "sign the contract at the link above" in replies[-1].text
    contract = only_contract(sessions)
    assert contract.status == ContractStatus.AWAITING_SIGNATURE
    with sessions() as session:
        assert session.scalars(select(Lead.status)).one() == "accepted"
    [told] = notifications_to(sessions, agent.chat_id)
    assert f"contract #{contract.id} was sent to the consumer" in told.text
    assert not told.options  # no accept button for a lead that needs none


def test_free_market_waitlist_makes_no_contract(
    consumer: Chat, sessions: sessionmaker[Session]
) -> None:
    consumer.go_through(*("oi", "sim", "60110-000", "350", "4", "quero", "sim", "Maria Silva"))
    consumer.say("(85) 99999-1234")

    with sessions() as session:
        assert session.scalars(select(Contract)).all() == []


def test_signing_sends_the_copy_to_the_consumer_and_the_agents(
    consumer: Chat, agent: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))

    sign_by_link(sessions, clock, token)

    told = notifications_to(sessions, consumer.chat_id)
    assert told[0].text.startswith("Signed! Your contract #")
    assert [option.label for option in told[0].options] == ["Withdraw"]
    assert "ASSINATURA ELETRÔNICA" in told[1].text
    assert "CPF: 529.982.247-25" in told[1].text
    agent_news = notifications_to(sessions, agent.chat_id)
    assert "was signed by the consumer" in agent_news[-2].text
    assert agent_news[-1].text == told[1].text


def test_contrato_sends_a_new_link_while_unsigned(consumer: Chat, clock: FixedClock) -> None:
    _first, first_token = link_in(consumer.go_through(*DIRECT_PATH))
    clock.advance(hours=80)  # the first link expired

    replies = consumer.say("contrato")

    _again, token = link_in(replies)
    assert token != first_token
    assert ContractTokens(CONTRACT_SECRET).verify(token, clock.now()).contract_id > 0


def test_withdrawal_within_7_days_asks_then_withdraws_and_tells_the_supplier(
    consumer: Chat, agent: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)
    contract = only_contract(sessions)
    with sessions.begin() as session:
        assert mark_paid(session, contract.id, clock.now())
    clock.advance(days=6)

    asked = consumer.say("/arrependimento")
    done = consumer.say("sim")

    assert asked[0].text.startswith(f"Do you want to withdraw from contract #{contract.id}")
    assert "will be refunded in full" in asked[0].text
    assert done[0].text.startswith(f"Done: contract #{contract.id} is withdrawn.")
    assert only_contract(sessions).status == ContractStatus.WITHDRAWN
    assert "withdrew from contract" in notifications_to(sessions, agent.chat_id)[-1].text
    # The conversation went back to where it was.
    assert consumer.state(sessions).state == "done"


def test_withdrawal_can_be_declined_and_the_contract_stays(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)

    consumer.say("withdraw")
    kept = consumer.say("no")

    assert kept[0].text == "All right, your contract stays as it is."
    assert only_contract(sessions).status == ContractStatus.SIGNED


def test_withdraw_button_on_the_copy_asks_to_confirm(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)
    contract = only_contract(sessions)

    asked = consumer.tap(f"withdraw:{contract.id}")

    assert asked[-1].text.startswith(f"Do you want to withdraw from contract #{contract.id}")


def test_withdrawal_after_7_days_says_until_when_it_was_possible(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)  # 15 Oct 2026, 12:00 in Brasília
    clock.advance(days=8)

    answer = consumer.say("arrependimento")

    assert answer[0].text.startswith("The 7 days to withdraw from contract #")
    assert "ended on 22 Oct 2026" in answer[0].text
    assert only_contract(sessions).status == ContractStatus.SIGNED


def test_withdrawal_without_a_signed_contract_says_so(consumer: Chat) -> None:
    consumer.go_through(*DIRECT_PATH)

    answer = consumer.say("/arrependimento")

    assert answer[0].text == "You have no signed contract to withdraw from."


def test_last_day_of_the_period_still_counts(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)
    deadline = only_contract(sessions).signed_at
    assert deadline is not None
    clock.advance(days=7, hours=11)  # 22 Oct, 23:00 in Brasília: the 7th day

    consumer.say("arrependimento")
    consumer.say("sim")

    assert only_contract(sessions).status == ContractStatus.WITHDRAWN
    assert clock.now() - deadline > timedelta(days=7)


def test_withdraw_button_of_an_older_contract_withdraws_that_one(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)
    older = only_contract(sessions)
    clock.advance(hours=1)
    # A second contract, for the solar offer its supplier accepted, signed an hour later.
    consumer.go_through("/restart", *DIRECT_PATH[1:4], "1", *DIRECT_PATH[5:])
    with sessions.begin() as session:
        lead_id = session.scalars(select(Lead.id).order_by(Lead.id.desc())).first()
        assert lead_id is not None
        session.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(status="accepted", accepted_at=clock.now())
        )
        newer = create_contract(session, lead_id, clock)
    sign_by_link(sessions, clock, ContractTokens(CONTRACT_SECRET).issue(newer.id, clock.now()))

    asked = consumer.tap(f"withdraw:{older.id}")
    consumer.say("sim")

    assert asked[-1].text.startswith(f"Do you want to withdraw from contract #{older.id}")
    with sessions() as session:
        statuses = dict(session.execute(select(Contract.id, Contract.status)).tuples().all())
    assert statuses == {older.id: ContractStatus.WITHDRAWN, newer.id: ContractStatus.SIGNED}


def test_once_signed_or_withdrawn_the_chat_stops_asking_to_sign_at_the_link(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)
    number = only_contract(sessions).id

    after_signing = consumer.say("contrato")  # no contract awaits; the question again
    consumer.say("/arrependimento")
    after_withdrawing = consumer.say("yes")

    assert "sign the contract at the link" not in after_signing[-1].text
    assert after_signing[-1].text.startswith(f"Your contract #{number} with {SUPPLIER} is signed.")
    assert "sign the contract at the link" not in after_withdrawing[-1].text
    # Settled: nothing is awaited any more, so no "Meanwhile" follows.
    assert after_signing[-1].text == (
        f"Your contract #{number} with {SUPPLIER} is signed.\n"
        "You can look at other offers or start over."
    )
    assert after_withdrawing[-1].text == (
        f"You withdrew from contract #{number} with {SUPPLIER}.\n"
        "You can look at other offers or start over."
    )


def test_a_second_withdrawal_is_answered_in_correct_portuguese(
    market_engine: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    maria = Chat(market_engine, "consumer-pt", channel="web", locale="pt_BR")
    _link, token = link_in(maria.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)
    maria.say("/arrependimento")
    maria.say("sim")

    again = maria.say("/arrependimento")

    number = only_contract(sessions).id
    assert again[0].text == f"Você já desistiu do contrato nº {number}."


@pytest.mark.parametrize("button", ["withdraw:\u00b2", "pay:\u00b2", "withdraw:" + "9" * 30])
def test_forged_contract_buttons_with_odd_numbers_get_an_answer_not_a_failure(
    consumer: Chat, sessions: sessionmaker[Session], clock: FixedClock, button: str
) -> None:
    # "²" is a digit to str.isdigit() but not to int(): the step used to fail (a 5xx).
    _link, token = link_in(consumer.go_through(*DIRECT_PATH))
    sign_by_link(sessions, clock, token)

    replies = consumer.tap(button)

    assert replies
    assert only_contract(sessions).status == ContractStatus.SIGNED
