"""Contracts: made from accepted leads only, one canonical text, signed once, paid, withdrawn."""

from __future__ import annotations

import threading
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from marketplace.bills import BillAmount
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.contract_text import format_brl, normalize_text, text_sha256
from marketplace.contracts import (
    DEPOSIT_PCT,
    AmountBasis,
    ContractNotSignable,
    ContractRecord,
    ContractStatus,
    NotContractable,
    SignatureRequest,
    StaleDocument,
    TokenAlreadyUsed,
    WithdrawalProblem,
    WithdrawalRefused,
    accept_for_direct_signing,
    create_contract,
    mark_paid,
    refresh_text,
    sign_contract,
    withdraw,
)
from marketplace.erasure import forget_consumer
from marketplace.lead_responses import accept_lead
from marketplace.leads import LeadContact, LeadRequest, create_lead
from marketplace.models import (
    Contract,
    ContractSignature,
    ContractVersion,
    Conversation,
    Offer,
    SupplierAgent,
)
from marketplace.offer_terms import quote_offer
from tests.marketplace.factories import distributor_id
from tests.support.consumers import new_consumer, offer_id

SOLAR, SUBSCRIPTION, FREE_MARKET = "TL-SOLAR-NE", "SN-PE-12M", "VA-ACL-NE"
DIRECT = "SN-CE-12M"


@pytest.fixture
def demo_catalog(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)


def lead_for(
    session: Session,
    code: str,
    clock: FixedClock,
    *,
    accept: bool = True,
    monthly_kwh: Decimal | None = None,
) -> int:
    """A lead of a new Fortaleza consumer (R$ 350) for the offer with this code; the chat
    also records the kWh it estimated from the bill (`monthly_kwh`)."""
    request = LeadRequest(
        consumer_id=new_consumer(session),
        offer_id=offer_id(session, code),
        contact=LeadContact(name="Maria Silva", phone="+5585999991234"),
        uf="CE",
        distributor_id=distributor_id(session, "ENEL CE"),
        monthly_kwh=monthly_kwh,
        bill_brl=Decimal("350"),
        monthly_saving_brl=None,
    )
    lead = create_lead(session, request, clock.now())
    if accept:
        agent = SupplierAgent(
            supplier_id=lead.supplier_id,
            channel="test",
            chat_id=f"agent-of-{lead.id}",
            created_at=clock.now(),
        )
        session.add(agent)
        session.flush()
        accepted = accept_lead(
            session, lead.id, supplier_id=lead.supplier_id, agent_id=agent.id, now=clock.now()
        )
        assert accepted
    return lead.id


def contract_of(
    sessions: sessionmaker[Session], clock: FixedClock, code: str = SOLAR
) -> ContractRecord:
    with sessions.begin() as session:
        # The demo solar offer serves CE, PE and BA; Sol Nascente's PE one is asked from CE
        # here only to price it, which the catalog does not forbid at this level.
        return create_contract(session, lead_for(session, code, clock), clock)


def request_for(
    contract: ContractRecord,
    clock: FixedClock,
    token_id: str = "jti-1",  # noqa: S107 -- a link id, not a password
) -> SignatureRequest:
    return SignatureRequest(
        contract_id=contract.id,
        token_id=token_id,
        document_sha256=contract.text_sha256,
        signer_name="Maria da Silva",
        signer_cpf="52998224725",
        ip_address="203.0.113.9",
        user_agent="Browser",
        now=clock.now(),
    )


def sign(sessions: sessionmaker[Session], request: SignatureRequest) -> None:
    with sessions.begin() as session:
        sign_contract(session, request)


@pytest.mark.usefixtures("demo_catalog")
def test_an_accepted_lead_makes_one_contract_with_the_parties_and_terms(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        lead_id = lead_for(session, SOLAR, clock)
        first = create_contract(session, lead_id, clock)
        again = create_contract(session, lead_id, clock)

    assert first.created
    assert not again.created
    assert again.id == first.id
    text = first.text
    assert "CONTRATADA: Telhado Limpo Energia Solar (demo), CNPJ " in text
    assert "nome completo e pelo CPF" in text
    for clause in ("Fidelidade:", "Multa por cancelamento:", "Aviso prévio", "Início:"):
        assert clause in text
    assert "Reajuste:" in text
    assert "art. 49" in text
    assert "a CONTRATANTE pode desistir dele em até 7 dias" in text
    assert "devolvido integralmente" in text
    assert "LGPD" in text
    assert first.text_sha256 == text_sha256(text)
    assert normalize_text(text) == text


@pytest.mark.usefixtures("demo_catalog")
def test_the_text_is_the_same_bytes_when_rendered_again(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract = contract_of(sessions, clock)
    clock.advance(hours=5)

    with sessions.begin() as session:
        again = refresh_text(session, contract.id, clock)
        versions = session.scalar(select(func.count()).select_from(ContractVersion))

    assert again is not None
    assert again.text_sha256 == contract.text_sha256
    assert versions == 1


@pytest.mark.usefixtures("demo_catalog")
def test_changed_terms_make_a_new_version_and_the_old_one_is_kept(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract = contract_of(sessions, clock)
    with sessions.begin() as session:
        session.execute(update(Offer).where(Offer.id == contract.offer_id).values(notice_days=90))
    with sessions.begin() as session:
        changed = refresh_text(session, contract.id, clock)
        texts = session.scalars(select(ContractVersion.text).order_by(ContractVersion.version))

        assert changed is not None
        assert changed.version == 2
        assert "90 dias" in changed.text
        assert list(texts) == [contract.text, changed.text]
    with pytest.raises(StaleDocument):
        sign(sessions, request_for(contract, clock))


@pytest.mark.usefixtures("demo_catalog")
def test_new_and_waitlist_leads_make_no_contract(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        waiting = lead_for(session, SOLAR, clock, accept=False)
        waitlist = lead_for(session, FREE_MARKET, clock, accept=False)

        with pytest.raises(NotContractable):
            create_contract(session, waiting, clock)
        with pytest.raises(NotContractable):
            create_contract(session, waitlist, clock)
        assert not accept_for_direct_signing(session, waiting, clock.now())  # not direct


@pytest.mark.usefixtures("demo_catalog")
def test_a_direct_signing_offer_is_accepted_for_the_supplier(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        lead_id = lead_for(session, DIRECT, clock, accept=False)

        assert accept_for_direct_signing(session, lead_id, clock.now())
        assert not accept_for_direct_signing(session, lead_id, clock.now())  # once
        assert create_contract(session, lead_id, clock).status == ContractStatus.AWAITING_SIGNATURE


@pytest.mark.usefixtures("demo_catalog")
def test_amount_due_is_a_deposit_for_solar_and_the_first_month_for_a_subscription(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    solar = contract_of(sessions, clock, SOLAR)
    subscription = contract_of(sessions, clock, DIRECT)

    assert solar.amount_basis == AmountBasis.DEPOSIT
    assert "sinal de 10% do preço do sistema" in solar.text
    price = Decimal(
        solar.text.split("preço total R$ ")[1]
        .split("\n")[0]
        .rstrip(".")
        .replace(".", "")
        .replace(",", ".")
    )
    assert solar.amount_due_brl == (price * DEPOSIT_PCT / 100).quantize(Decimal("0.01"))
    assert subscription.amount_basis == AmountBasis.FIRST_MONTH
    new_bill = subscription.text.split("nova conta de R$ ")[1].split(" ")[0]
    assert subscription.amount_due_brl > 0
    assert f"R$ {new_bill}" in subscription.text


@pytest.mark.usefixtures("demo_catalog")
def test_signing_records_the_evidence_once(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract = contract_of(sessions, clock)

    sign(sessions, request_for(contract, clock))

    with sessions() as session:
        signature = session.scalars(select(ContractSignature)).one()
    assert signature.document_sha256 == contract.text_sha256
    assert signature.token_id == "jti-1"
    assert signature.signed_text.startswith(contract.text)
    assert "CPF: 529.982.247-25" in signature.signed_text
    assert signature.signed_sha256 == text_sha256(signature.signed_text)
    with pytest.raises(ContractNotSignable):
        sign(sessions, request_for(contract, clock, token_id="jti-2"))


@pytest.mark.usefixtures("demo_catalog")
def test_a_used_token_cannot_sign_again(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    first, second = contract_of(sessions, clock), contract_of(sessions, clock)
    sign(sessions, request_for(first, clock, token_id="same"))

    with pytest.raises(TokenAlreadyUsed):
        sign(sessions, request_for(second, clock, token_id="same"))


@pytest.mark.usefixtures("demo_catalog")
def test_a_refused_signature_consumes_nothing(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract = contract_of(sessions, clock)

    with pytest.raises(StaleDocument):
        sign(sessions, replace(request_for(contract, clock), document_sha256="0" * 64))
    sign(sessions, request_for(contract, clock))  # the same link still works


@pytest.mark.usefixtures("demo_catalog")
def test_two_links_signing_at_once_make_one_signature(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract = contract_of(sessions, clock)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(token_id: str) -> None:
        start.wait()
        try:
            sign(sessions, request_for(contract, clock, token_id=token_id))
            outcomes.append("signed")
        except ContractNotSignable:
            outcomes.append("refused")
        except Exception as error:  # SQLite: the loser may meet a locked database
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("signed") == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ContractSignature)) == 1


@pytest.mark.usefixtures("demo_catalog")
def test_payment_makes_a_signed_contract_active_once(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract = contract_of(sessions, clock)
    with sessions.begin() as session:
        assert not mark_paid(session, contract.id, clock.now())  # not signed yet
    sign(sessions, request_for(contract, clock))

    with sessions.begin() as session:
        assert mark_paid(session, contract.id, clock.now())
        assert not mark_paid(session, contract.id, clock.now())


@pytest.mark.usefixtures("demo_catalog")
def test_withdrawal_within_7_days_refunds_what_was_paid(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    paid, unpaid = contract_of(sessions, clock), contract_of(sessions, clock)
    sign(sessions, request_for(paid, clock, token_id="p"))
    sign(sessions, request_for(unpaid, clock, token_id="u"))
    with sessions.begin() as session:
        mark_paid(session, paid.id, clock.now())
    clock.advance(days=7)

    with sessions.begin() as session:
        refunded = withdraw(session, paid.id, clock.now())
        nothing = withdraw(session, unpaid.id, clock.now())

    assert refunded.was_paid
    assert refunded.refund_brl == paid.amount_due_brl > 0
    assert not nothing.was_paid
    assert nothing.refund_brl == 0
    with sessions.begin() as session, pytest.raises(WithdrawalRefused) as twice:
        withdraw(session, paid.id, clock.now())
    assert twice.value.problem is WithdrawalProblem.ALREADY_WITHDRAWN
    with sessions.begin() as session:
        assert not mark_paid(session, paid.id, clock.now())  # a late payment changes nothing


@pytest.mark.usefixtures("demo_catalog")
def test_withdrawal_after_the_7th_day_or_before_signing_is_refused(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract, unsigned = contract_of(sessions, clock), contract_of(sessions, clock)
    sign(sessions, request_for(contract, clock))
    clock.advance(days=8)

    with sessions.begin() as session, pytest.raises(WithdrawalRefused) as late:
        withdraw(session, contract.id, clock.now())
    with sessions.begin() as session, pytest.raises(WithdrawalRefused) as early:
        withdraw(session, unsigned.id, clock.now())

    assert late.value.problem is WithdrawalProblem.TOO_LATE
    assert late.value.deadline is not None
    assert early.value.problem is WithdrawalProblem.NOT_SIGNED


@pytest.mark.usefixtures("demo_catalog")
def test_forgetting_the_consumer_keeps_a_signed_contract_and_its_evidence(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    contract = contract_of(sessions, clock)
    sign(sessions, request_for(contract, clock))

    with sessions.begin() as session:
        conversation_id = new_conversation(session, contract.consumer_id, clock)
        forget_consumer(session, contract.consumer_id, conversation_id=conversation_id)

    with sessions() as session:
        kept = session.get(Contract, contract.id)
        assert kept is not None
        assert kept.lead_id is None
        assert kept.status == ContractStatus.SIGNED
        assert session.scalar(select(func.count()).select_from(ContractSignature)) == 1


def new_conversation(session: Session, consumer_id: int, clock: FixedClock) -> int:
    conversation = Conversation(
        channel="test",
        chat_id=f"chat-of-{consumer_id}",
        consumer_id=consumer_id,
        flow="consumer",
        state="consent",
        data={},
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(conversation)
    session.flush()
    return conversation.id


@pytest.mark.usefixtures("demo_catalog")
def test_the_contract_prices_the_bill_the_consumer_gave_not_the_rounded_kwh(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    # The chat records both the bill typed (R$ 350) and the kWh estimated from it, which the
    # lead keeps to one decimal; the contract must show what the chat showed.
    with sessions.begin() as session:
        shown = quote_offer(
            session,
            offer_id(session, SOLAR),
            distributor_id=distributor_id(session, "ENEL CE"),
            consumption=BillAmount(Decimal("350")),
            clock=clock,
        )
        assert shown is not None
        assert shown.estimate is not None
        assert shown.saving is not None
        assert shown.saving.solar is not None
        lead_id = lead_for(session, SOLAR, clock, monthly_kwh=shown.estimate.kwh)
        contract = create_contract(session, lead_id, clock)

    assert "conta atual de R$ 350,00 por mês" in contract.text
    assert f"preço total {format_brl(shown.saving.solar.price_brl)}" in contract.text
