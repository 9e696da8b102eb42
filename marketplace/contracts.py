"""Contracts: made from an accepted lead, signed once on the web page, paid, or withdrawn.

A contract follows a lead the supplier accepted, or, for an offer marked `sign_directly`,
the consumer's own request (the lead is then accepted on the supplier's behalf). Free-market
offers are a waitlist: they make no contract. The text is rendered by
marketplace.contract_text; every version is kept with its hash, and a signature points at
the version the signer saw.

Status changes are conditional updates on the status, so two tabs signing at once, or a
payment confirmed as the consumer withdraws, change a contract once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.bills import HUNDRED, BillAmount, Consumption, MonthlyKwh
from marketplace.clock import BRAZIL, Clock
from marketplace.contract_text import (
    WITHDRAWAL_DAYS,
    ContractTerms,
    Signer,
    format_brl,
    format_percent,
    render_contract,
    render_signed_copy,
    text_sha256,
)
from marketplace.geography import known_as
from marketplace.leads import LeadStatus
from marketplace.models import (
    Contract,
    ContractSignature,
    ContractVersion,
    Conversation,
    Lead,
    Offer,
    Supplier,
    UsedToken,
)
from marketplace.money import round_centavos
from marketplace.offer_terms import OfferQuote, quote_offer, supplier_bill
from marketplace.search import is_available_now

logger = logging.getLogger(__name__)

# The solar deposit (sinal): a share of the system's price, paid at signing.
DEPOSIT_PCT = Decimal("10")
SIGNING_PURPOSE = "contract-signing"


class ContractStatus(StrEnum):
    """Where a contract stands."""

    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    ACTIVE = "active"  # signed and paid
    WITHDRAWN = "withdrawn"


class AmountBasis(StrEnum):
    """What the amount due at signing is."""

    FIRST_MONTH = "first_month"  # subscription: the first month's estimated supplier bill
    DEPOSIT = "deposit"  # solar: DEPOSIT_PCT of the system's price
    NONE = "none"  # nothing could be estimated (no tariff for the distributor)


class ContractError(Exception):
    """Something about a contract that its caller must turn into words or a status code."""


class NotContractable(ContractError):
    """The lead cannot give a contract: unknown, not accepted, a waitlist, or withdrawn."""

    def __init__(self, lead_id: int, reason: str) -> None:
        super().__init__(f"lead {lead_id} makes no contract: {reason}")
        self.lead_id = lead_id
        self.reason = reason


class ContractNotSignable(ContractError):
    """The contract is unknown, or no longer awaiting a signature (`status` says why)."""

    def __init__(self, contract_id: int, status: str | None) -> None:
        super().__init__(f"contract {contract_id} cannot be signed ({status or 'unknown'})")
        self.contract_id = contract_id
        self.status = status


class TokenAlreadyUsed(ContractError):
    """The signing link was used before."""


class StaleDocument(ContractError):
    """The text the signer saw is not the contract's current version."""

    def __init__(self, contract_id: int, current_sha256: str) -> None:
        super().__init__(f"contract {contract_id} changed since it was shown")
        self.contract_id = contract_id
        self.current_sha256 = current_sha256


class WithdrawalProblem(StrEnum):
    """Why a withdrawal was refused."""

    UNKNOWN = "unknown"
    NOT_SIGNED = "not_signed"
    ALREADY_WITHDRAWN = "already_withdrawn"
    TOO_LATE = "too_late"


class WithdrawalRefused(ContractError):
    """The contract cannot be withdrawn; `deadline` is set when it was too late."""

    def __init__(
        self, contract_id: int, problem: WithdrawalProblem, deadline: datetime | None = None
    ) -> None:
        super().__init__(f"contract {contract_id} cannot be withdrawn: {problem}")
        self.contract_id = contract_id
        self.problem = problem
        self.deadline = deadline


@dataclass(frozen=True)
class ContractRecord:
    """A contract as callers read it."""

    id: int
    lead_id: int | None
    consumer_id: int
    supplier_id: int
    supplier_name: str
    offer_id: int
    offer_title: str
    kind: str
    status: str
    version: int
    text: str
    text_sha256: str
    amount_due_brl: Decimal
    amount_basis: str
    conversation_id: int | None
    created_at: datetime
    signed_at: datetime | None
    created: bool = False  # True only from the call that made it

    @property
    def withdrawal_deadline(self) -> datetime | None:
        """The last instant the consumer may withdraw, once signed."""
        return withdrawal_deadline(self.signed_at) if self.signed_at else None


@dataclass(frozen=True)
class SignatureRequest:
    """What the signing page sends: who signs, what they saw, and the link they came by."""

    contract_id: int
    token_id: str
    document_sha256: str
    signer_name: str
    signer_cpf: str  # 11 digits, already validated
    ip_address: str
    user_agent: str
    now: datetime


@dataclass(frozen=True)
class SignedContract:
    """A contract just signed, with its signed copy."""

    contract: ContractRecord
    signed_text: str
    signed_sha256: str
    payment_id: int | None = None  # the payment opened with the signature, if any


@dataclass(frozen=True)
class Withdrawal:
    """A contract withdrawn: what must be refunded, and to whom it was owed."""

    contract_id: int
    supplier_id: int
    consumer_id: int
    was_paid: bool
    refund_brl: Decimal  # the amount paid at signing; zero when nothing was paid


def create_contract(session: Session, lead_id: int, clock: Clock) -> ContractRecord:
    """The lead's contract, made now from the offer's current terms, or the one made before.

    Raises:
        NotContractable: the lead is unknown, not accepted, a waitlist, or the offer is
            withdrawn.
    """
    existing = contract_for_lead(session, lead_id)
    if existing is not None:
        return existing
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotContractable(lead_id, "unknown lead")
    if lead.status != LeadStatus.ACCEPTED:
        raise NotContractable(lead_id, f"lead is {lead.status}")
    quote = _quote(session, lead, clock)
    if quote is None:
        raise NotContractable(lead_id, "offer withdrawn")
    if not is_available_now(quote.terms.kind):
        raise NotContractable(lead_id, "waitlist only")

    try:
        with session.begin_nested():
            contract_id = _insert(session, lead, quote, clock.now())
    except IntegrityError:
        # Two agents' acceptances cannot both win, but a repeat of this call may race.
        raced = contract_for_lead(session, lead_id)
        assert raced is not None
        return raced
    logger.info("contract %s made for lead %s", contract_id, lead_id)
    made = load_contract(session, contract_id)
    assert made is not None
    return replace(made, created=True)


def accept_for_direct_signing(session: Session, lead_id: int, now: datetime) -> bool:
    """Accept a new lead on the supplier's behalf when its offer is signed directly."""
    direct = select(Offer.sign_directly).where(Offer.id == Lead.offer_id).scalar_subquery()
    accepted = session.scalar(
        update(Lead)
        .where(Lead.id == lead_id, Lead.status == LeadStatus.NEW, direct.is_(True))
        .values(status=LeadStatus.ACCEPTED, accepted_at=now)
        .returning(Lead.id)
    )
    if accepted is not None:
        logger.info("lead %s accepted for direct signing", lead_id)
    return accepted is not None


def offer_signs_directly(session: Session, offer_id: int) -> bool:
    """Whether the offer skips the supplier's acceptance."""
    return bool(session.scalar(select(Offer.sign_directly).where(Offer.id == offer_id)))


def load_contract(session: Session, contract_id: int) -> ContractRecord | None:
    """The contract with this id, or None."""
    row = session.execute(
        select(Contract, Supplier.name, Offer.title)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(Offer, Offer.id == Contract.offer_id)
        .where(Contract.id == contract_id)
    ).one_or_none()
    return _record(*row) if row else None


def contract_for_lead(session: Session, lead_id: int) -> ContractRecord | None:
    """The contract made from this lead, if any."""
    contract_id = session.scalar(select(Contract.id).where(Contract.lead_id == lead_id))
    return load_contract(session, contract_id) if contract_id is not None else None


def consumer_contracts(
    session: Session, consumer_id: int, *, statuses: tuple[str, ...] = tuple(ContractStatus)
) -> list[ContractRecord]:
    """The consumer's contracts in these statuses, newest first."""
    ids = session.scalars(
        select(Contract.id)
        .where(Contract.consumer_id == consumer_id, Contract.status.in_(statuses))
        .order_by(Contract.id.desc())
    )
    records = (load_contract(session, contract_id) for contract_id in ids.all())
    return [record for record in records if record is not None]


def withdrawable_contract(
    session: Session, consumer_id: int, now: datetime, *, contract_id: int | None = None
) -> ContractRecord | None:
    """The consumer's newest signed or active contract still within its withdrawal period;
    with `contract_id`, that contract of the consumer's only (a copy's button names it)."""
    for contract in consumer_contracts(
        session, consumer_id, statuses=(ContractStatus.SIGNED, ContractStatus.ACTIVE)
    ):
        if contract_id is not None and contract.id != contract_id:
            continue
        deadline = contract.withdrawal_deadline
        if deadline is not None and now < deadline:
            return contract
    return None


def refresh_text(session: Session, contract_id: int, clock: Clock) -> ContractRecord | None:
    """Re-render an unsigned contract from the offer's current terms; a change is a version.

    Returns the contract as it stands now (None when unknown). A contract whose offer was
    withdrawn keeps its last text.
    """
    contract = session.get(Contract, contract_id)
    if contract is None:
        return None
    lead = session.get(Lead, contract.lead_id) if contract.lead_id else None
    if contract.status != ContractStatus.AWAITING_SIGNATURE or lead is None:
        return load_contract(session, contract_id)
    quote = _quote(session, lead, clock)
    if quote is None:
        return load_contract(session, contract_id)
    version = contract.version + 1
    amount, basis = amount_due(quote)
    text = render_contract(_terms(session, lead, quote, contract.id, version, contract.created_at))
    # The version number is part of the text; compare the rest.
    if _without_version(text) != _without_version(contract.text):
        _add_version(session, contract, version, text, amount, basis, clock.now())
    return load_contract(session, contract_id)


def sign_contract(session: Session, request: SignatureRequest) -> SignedContract:
    """Record the signature, consume the link and mark the contract signed, all at once.

    The caller's transaction holds the three changes; when any check fails, the caller
    rolls back and nothing was consumed.

    Raises:
        ContractNotSignable: unknown, or already signed or withdrawn.
        StaleDocument: the hash sent is not the current version's.
        TokenAlreadyUsed: this link signed before.
    """
    contract = session.scalar(
        select(Contract).where(Contract.id == request.contract_id).with_for_update()
    )
    if contract is None:
        raise ContractNotSignable(request.contract_id, None)
    if contract.status != ContractStatus.AWAITING_SIGNATURE:
        raise ContractNotSignable(contract.id, contract.status)
    if request.document_sha256 != contract.text_sha256:
        raise StaleDocument(contract.id, contract.text_sha256)
    _consume_token(session, request.token_id, request.now)

    signed = session.scalar(
        update(Contract)
        .where(
            Contract.id == contract.id,
            Contract.status == ContractStatus.AWAITING_SIGNATURE,
            Contract.text_sha256 == request.document_sha256,
        )
        .values(status=ContractStatus.SIGNED, signed_at=request.now)
        .returning(Contract.id)
    )
    if signed is None:  # signed through another link between the read and the update
        raise ContractNotSignable(contract.id, ContractStatus.SIGNED)
    copy = _record_signature(session, contract, request)
    logger.info("contract %s signed (version %s)", contract.id, contract.version)
    record = load_contract(session, contract.id)
    assert record is not None
    return SignedContract(record, copy, text_sha256(copy))


def signed_copy(session: Session, contract_id: int) -> str | None:
    """The signed text of a contract (with its signature block), once signed."""
    return session.scalar(
        select(ContractSignature.signed_text).where(ContractSignature.contract_id == contract_id)
    )


def mark_paid(session: Session, contract_id: int, now: datetime) -> bool:
    """A signed contract whose payment was confirmed becomes active; False if it was not
    signed (or was active or withdrawn already)."""
    activated = session.scalar(
        update(Contract)
        .where(Contract.id == contract_id, Contract.status == ContractStatus.SIGNED)
        .values(status=ContractStatus.ACTIVE, activated_at=now)
        .returning(Contract.id)
    )
    if activated is not None:
        logger.info("contract %s paid: active", contract_id)
    return activated is not None


def withdrawal_deadline(signed_at: datetime) -> datetime:
    """The end of the 7th day after signing, counted in Brazil's calendar (CDC art. 49).

    Counting whole local days gives the consumer every hour of the last day, whatever the
    time they signed at.
    """
    signed_day = signed_at.astimezone(BRAZIL).date()
    last_day_over = signed_day + timedelta(days=WITHDRAWAL_DAYS + 1)
    return datetime.combine(last_day_over, time(0), tzinfo=BRAZIL)


def withdraw(session: Session, contract_id: int, now: datetime) -> Withdrawal:
    """Withdraw a signed (or active) contract within its 7 days; says what to refund.

    The refund itself belongs to the payments side: an active contract was paid its
    `amount_due_brl`, which `refund_brl` carries; the caller records it in the same
    transaction (marketplace.contract_payments.refund_contract_payments).

    Raises:
        WithdrawalRefused: unknown, not signed, withdrawn already, or past the deadline.
    """
    contract = session.scalar(select(Contract).where(Contract.id == contract_id).with_for_update())
    if contract is None:
        raise WithdrawalRefused(contract_id, WithdrawalProblem.UNKNOWN)
    if contract.status == ContractStatus.WITHDRAWN:
        raise WithdrawalRefused(contract_id, WithdrawalProblem.ALREADY_WITHDRAWN)
    if contract.signed_at is None or contract.status not in (
        ContractStatus.SIGNED,
        ContractStatus.ACTIVE,
    ):
        raise WithdrawalRefused(contract_id, WithdrawalProblem.NOT_SIGNED)
    deadline = withdrawal_deadline(contract.signed_at)
    if now >= deadline:
        raise WithdrawalRefused(contract_id, WithdrawalProblem.TOO_LATE, deadline)

    # Read before the update, which refreshes `contract` in the session.
    paid, refund = contract.status == ContractStatus.ACTIVE, contract.amount_due_brl
    withdrawn = session.scalar(
        update(Contract)
        .where(Contract.id == contract_id, Contract.status == contract.status)
        .values(status=ContractStatus.WITHDRAWN, withdrawn_at=now)
        .returning(Contract.id)
    )
    if withdrawn is None:
        raise WithdrawalRefused(contract_id, WithdrawalProblem.ALREADY_WITHDRAWN)
    logger.info("contract %s withdrawn (paid: %s)", contract_id, paid)
    refunded = refund if paid else Decimal("0.00")
    return Withdrawal(contract_id, contract.supplier_id, contract.consumer_id, paid, refunded)


def amount_due(quote: OfferQuote) -> tuple[Decimal, AmountBasis]:
    """What the consumer pays at signing, and why (docs/contracts.md).

    Subscription (and any monthly-billed offer): the first month's estimated bill from the
    supplier. Solar: a deposit of DEPOSIT_PCT of the system's price. Without an estimate
    (no tariff for the distributor), nothing.
    """
    saving = quote.saving
    if saving is None:
        return Decimal("0.00"), AmountBasis.NONE
    if saving.solar is not None:
        return round_centavos(saving.solar.price_brl * DEPOSIT_PCT / HUNDRED), AmountBasis.DEPOSIT
    monthly = supplier_bill(saving)
    if monthly is None or monthly <= 0:
        return Decimal("0.00"), AmountBasis.NONE
    return round_centavos(monthly), AmountBasis.FIRST_MONTH


# Steps ---------------------------------------------------------------------------------


def _quote(session: Session, lead: Lead, clock: Clock) -> OfferQuote | None:
    # The bill first: it is what the consumer typed (to the centavo) and what the chat priced;
    # the lead keeps the kWh estimated from it to one decimal, which moves the prices a little.
    consumption: Consumption
    if lead.bill_brl is not None:
        consumption = BillAmount(lead.bill_brl)
    elif lead.monthly_kwh is not None:
        consumption = MonthlyKwh(lead.monthly_kwh)
    else:
        return None
    return quote_offer(
        session,
        lead.offer_id,
        distributor_id=lead.distributor_id,
        consumption=consumption,
        clock=clock,
    )


def _insert(session: Session, lead: Lead, quote: OfferQuote, now: datetime) -> int:
    amount, basis = amount_due(quote)
    contract_id: int = session.execute(
        insert(Contract)
        .values(
            lead_id=lead.id,
            consumer_id=lead.consumer_id,
            supplier_id=lead.supplier_id,
            offer_id=lead.offer_id,
            conversation_id=lead.conversation_id,
            kind=quote.terms.kind,
            status=ContractStatus.AWAITING_SIGNATURE,
            version=1,
            text="",
            text_sha256="",
            amount_due_brl=amount,
            amount_basis=basis,
            created_at=now,
        )
        .returning(Contract.id)
    ).scalar_one()
    # The number in the text is the contract's id, known only after the insert.
    text = render_contract(_terms(session, lead, quote, contract_id, 1, now))
    digest = text_sha256(text)
    session.execute(
        update(Contract).where(Contract.id == contract_id).values(text=text, text_sha256=digest)
    )
    session.add(
        ContractVersion(
            contract_id=contract_id, version=1, text=text, text_sha256=digest, created_at=now
        )
    )
    session.flush()
    return contract_id


def _add_version(
    session: Session,
    contract: Contract,
    version: int,
    text: str,
    amount: Decimal,
    basis: AmountBasis,
    now: datetime,
) -> None:
    digest = text_sha256(text)
    try:
        with session.begin_nested():
            session.add(
                ContractVersion(
                    contract_id=contract.id,
                    version=version,
                    text=text,
                    text_sha256=digest,
                    created_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        return  # another request added this version first
    session.execute(
        update(Contract)
        .where(Contract.id == contract.id, Contract.version == version - 1)
        .values(
            version=version,
            text=text,
            text_sha256=digest,
            amount_due_brl=amount,
            amount_basis=basis,
        )
    )
    session.expire(contract)
    logger.info("contract %s now at version %s", contract.id, version)


def _terms(
    session: Session,
    lead: Lead,
    quote: OfferQuote,
    contract_id: int,
    version: int,
    created_at: datetime,
) -> ContractTerms:
    terms = quote.terms
    supplier = session.get(Supplier, terms.supplier_id)
    assert supplier is not None
    amount, basis = amount_due(quote)
    return ContractTerms(
        number=contract_id,
        version=version,
        created_at=created_at,
        supplier_name=terms.supplier_name,
        supplier_cnpj=supplier.cnpj,
        offer_title=terms.title,
        kind=terms.kind,
        price=_price_sentence(quote),
        distributor=known_as(quote.distributor),
        uf=lead.uf,
        estimate=_estimate_sentence(quote),
        loyalty_months=terms.loyalty_months,
        cancellation_fee_pct=terms.cancellation_fee_pct,
        notice_days=terms.notice_days,
        starts_in_days=terms.starts_in_days,
        readjustment=terms.readjustment,
        two_bills=terms.two_bills,
        amount_due_brl=amount,
        amount_basis=basis,
        deposit_pct=DEPOSIT_PCT,
    )


def _price_sentence(quote: OfferQuote) -> str:
    terms = quote.terms
    if terms.discount_pct is not None:
        return (
            f"desconto de {format_percent(terms.discount_pct)} sobre a energia compensada "
            "na fatura (o consumo acima do custo de disponibilidade), com impostos"
        )
    if terms.energy_price_rs_mwh is not None:
        return f"{format_brl(terms.energy_price_rs_mwh)} por MWh de energia"
    per_kwp = format_brl(terms.price_per_kwp_brl or Decimal(0))
    system = quote.saving.solar if quote.saving else None
    if system is None:
        return f"{per_kwp} por kWp instalado"
    kwp = f"{system.kwp:.2f}".replace(".", ",")
    return (
        f"{per_kwp} por kWp instalado; para o consumo informado, sistema de {kwp} kWp, "
        f"preço total {format_brl(system.price_brl)}"
    )


def _estimate_sentence(quote: OfferQuote) -> str:
    saving = quote.saving
    if saving is None:
        return "sem estimativa, pois não há tarifa vigente conhecida para a distribuidora"
    if saving.solar is not None:
        return (
            f"conta atual de {format_brl(saving.current_bill_brl)} por mês; o sistema gera "
            f"energia no valor de {format_brl(saving.solar.gross_monthly_saving_brl)} por mês"
        )
    return (
        f"conta atual de {format_brl(saving.current_bill_brl)} por mês; nova conta de "
        f"{format_brl(saving.new_bill_brl)} por mês, economia de "
        f"{format_brl(saving.monthly_saving_brl)} por mês"
    )


def _consume_token(session: Session, token_id: str, now: datetime) -> None:
    try:
        with session.begin_nested():
            session.add(UsedToken(jti=token_id, purpose=SIGNING_PURPOSE, used_at=now))
            session.flush()
    except IntegrityError as error:
        raise TokenAlreadyUsed("this signing link was used before") from error


def _record_signature(session: Session, contract: Contract, request: SignatureRequest) -> str:
    chat = (
        session.get(Conversation, contract.conversation_id) if contract.conversation_id else None
    )
    copy = render_signed_copy(
        contract.text,
        Signer(
            name=request.signer_name,
            cpf=request.signer_cpf,
            signed_at=request.now,
            document_sha256=contract.text_sha256,
            token_id=request.token_id,
        ),
    )
    session.add(
        ContractSignature(
            contract_id=contract.id,
            version=contract.version,
            document_sha256=contract.text_sha256,
            signer_name=request.signer_name,
            signer_cpf=request.signer_cpf,
            signed_at=request.now,
            ip_address=request.ip_address[:45],
            user_agent=request.user_agent[:500],
            channel=chat.channel if chat else None,
            channel_user=chat.chat_id if chat else None,
            token_id=request.token_id,
            signed_text=copy,
            signed_sha256=text_sha256(copy),
        )
    )
    session.flush()
    return copy


def _record(contract: Contract, supplier_name: str, offer_title: str) -> ContractRecord:
    return ContractRecord(
        id=contract.id,
        lead_id=contract.lead_id,
        consumer_id=contract.consumer_id,
        supplier_id=contract.supplier_id,
        supplier_name=supplier_name,
        offer_id=contract.offer_id,
        offer_title=offer_title,
        kind=contract.kind,
        status=contract.status,
        version=contract.version,
        text=contract.text,
        text_sha256=contract.text_sha256,
        amount_due_brl=contract.amount_due_brl,
        amount_basis=contract.amount_basis,
        conversation_id=contract.conversation_id,
        created_at=contract.created_at,
        signed_at=contract.signed_at,
    )


def _without_version(text: str) -> str:
    first, _, rest = text.partition("\n")
    return first.split(" (versão")[0] + "\n" + rest
