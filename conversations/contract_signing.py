"""Signing a contract on the web page: open it by its link, read the form, sign once.

The page (webhooks/contracts.py) is only the HTTP edge: this module checks the link,
reads what the person typed, and signs in ONE transaction that records the evidence,
consumes the link's id, marks the contract signed and writes the news for both parties
to the outbox. Opening the page (a person, or a chat app fetching a link preview) never
consumes the link.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.contacts import InvalidName, read_person_name
from conversations.contract_news import nothing_to_pay_news, signed_news
from conversations.i18n import DEFAULT_LOCALE, N_
from marketplace.clock import Clock
from marketplace.contract_payments import open_contract_payment
from marketplace.contract_tokens import (
    ContractClaims,
    ContractTokens,
    InvalidContractToken,
    TokenProblem,
)
from marketplace.contracts import (
    ContractNotSignable,
    ContractRecord,
    ContractStatus,
    SignatureRequest,
    SignedContract,
    TokenAlreadyUsed,
    mark_paid,
    refresh_text,
    sign_contract,
)
from marketplace.conversation_store import chat_of
from marketplace.documents import InvalidDocument, normalize_cpf
from marketplace.models import UsedToken
from marketplace.payments import Payments

logger = logging.getLogger(__name__)

MAX_FIELD = 200


class LinkProblem(StrEnum):
    """Why a signing link opens no contract."""

    NOT_OURS = "not_ours"  # malformed, altered, wrong key or audience, from the future
    UNKNOWN = "unknown"  # a valid link to a contract that does not exist
    EXPIRED = "expired"
    USED = "used"  # this link signed already
    CLOSED = "closed"  # the contract was signed through another link, or withdrawn


class LinkRefused(Exception):
    """A signing link that cannot be used; the page says why and shows no contract."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(f"signing link refused: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class SigningPage:
    """What the signing page shows: the contract, the link's claims, the chat's language."""

    contract: ContractRecord
    claims: ContractClaims
    locale: str


@dataclass(frozen=True)
class SignatureForm:
    """What the person typed and ticked, as sent."""

    full_name: str
    cpf: str
    agreed: bool
    document_sha256: str


@dataclass(frozen=True)
class FormErrors:
    """A message id per field that was not right (translated by the page)."""

    by_field: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_field)


@dataclass(frozen=True)
class SignerIdentity:
    """The signer as read from the form."""

    name: str
    cpf: str


@dataclass(frozen=True)
class Evidence:
    """What the request says about where the signature came from."""

    ip_address: str
    user_agent: str


_TOKEN_PROBLEMS = {
    TokenProblem.MALFORMED: LinkProblem.NOT_OURS,
    TokenProblem.FOREIGN: LinkProblem.NOT_OURS,
    TokenProblem.NOT_YET_VALID: LinkProblem.NOT_OURS,
    TokenProblem.EXPIRED: LinkProblem.EXPIRED,
}


def check_link(tokens: ContractTokens, token: str, clock: Clock) -> ContractClaims:
    """The link's claims, checked without touching the database.

    Raises:
        LinkRefused: the token is not ours, or expired.
    """
    try:
        return tokens.verify(token, clock.now())
    except InvalidContractToken as refused:
        logger.warning("signing link refused: %s", refused.problem)
        raise LinkRefused(_TOKEN_PROBLEMS[refused.problem]) from refused


def open_contract(
    sessions: sessionmaker[Session], tokens: ContractTokens, token: str, clock: Clock
) -> SigningPage:
    """The contract a link names, at its current version; consumes nothing.

    Raises:
        LinkRefused: the link is not ours, expired, used, or its contract is closed.
    """
    claims = check_link(tokens, token, clock)
    with sessions.begin() as session:
        if _token_used(session, claims.token_id):
            raise LinkRefused(LinkProblem.USED)
        contract = refresh_text(session, claims.contract_id, clock)
        if contract is None:
            raise LinkRefused(LinkProblem.UNKNOWN)
        if contract.status != ContractStatus.AWAITING_SIGNATURE:
            raise LinkRefused(LinkProblem.CLOSED)
        return SigningPage(contract, claims, _locale_of(session, contract))


def read_signature_form(form: SignatureForm) -> SignerIdentity | FormErrors:
    """The signer's name and CPF, or a message id for each field that is not right."""
    errors: dict[str, str] = {}
    name = _full_name(form.full_name, errors)
    cpf = _cpf(form.cpf, errors)
    if not form.agreed:
        errors["agree"] = N_("Tick the box to say you read and agree to the contract.")
    if errors or name is None or cpf is None:
        return FormErrors(errors)
    return SignerIdentity(name, cpf)


def sign(
    sessions: sessionmaker[Session],
    claims: ContractClaims,
    *,
    signer: SignerIdentity,
    document_sha256: str,
    evidence: Evidence,
    clock: Clock,
    payments: Payments | None = None,
) -> SignedContract:
    """Sign, consume the link, open the payment and tell both parties, in one transaction.

    With an amount due, the payment is opened here (`payment_id` of the result): the
    caller asks the provider for it after commit, and the periodic check does if the
    caller never gets to. With nothing due, the contract is active at once.

    Raises:
        LinkRefused: the link was used, or the contract closed, meanwhile.
        StaleDocument: the text shown is no longer the contract's; show the current one.
    """
    request = SignatureRequest(
        contract_id=claims.contract_id,
        token_id=claims.token_id,
        document_sha256=document_sha256,
        signer_name=signer.name,
        signer_cpf=signer.cpf,
        ip_address=evidence.ip_address,
        user_agent=evidence.user_agent,
        now=clock.now(),
    )
    try:
        with sessions.begin() as session:
            signed = sign_contract(session, request)
            for note in signed_news(session, signed.contract, signed.signed_text):
                note.write(session, request.now)
            signed = _pay_for(session, signed, payments, request.now)
    except TokenAlreadyUsed as used:
        raise LinkRefused(LinkProblem.USED) from used
    except ContractNotSignable as closed:
        problem = LinkProblem.UNKNOWN if closed.status is None else LinkProblem.CLOSED
        raise LinkRefused(problem) from closed
    return signed


def _pay_for(
    session: Session, signed: SignedContract, payments: Payments | None, now: datetime
) -> SignedContract:
    """Open the payment of what is due at signing; with nothing due, activate at once."""
    contract = signed.contract
    if contract.amount_due_brl <= 0:
        mark_paid(session, contract.id, now)
        for note in nothing_to_pay_news(session, contract):
            note.write(session, now)
        return replace(signed, contract=replace(contract, status=ContractStatus.ACTIVE))
    if payments is None:
        # Only a caller without a gateway (tests of signing alone) comes here: the signing
        # page always passes the app's payments. The contract stays signed and unpaid, and
        # `pagar` in the chat opens its payment.
        logger.warning("contract %s signed where no payments are taken", contract.id)
        return signed
    payment, _new = open_contract_payment(session, payments, contract.id)
    return replace(signed, payment_id=payment.id)


def _token_used(session: Session, token_id: str) -> bool:
    return session.scalar(select(UsedToken.jti).where(UsedToken.jti == token_id)) is not None


def _locale_of(session: Session, contract: ContractRecord) -> str:
    chat = chat_of(session, contract.conversation_id) if contract.conversation_id else None
    return chat.locale if chat else DEFAULT_LOCALE


def _full_name(text: str, errors: dict[str, str]) -> str | None:
    if not text.strip():
        errors["full_name"] = N_("Type your full name.")
        return None
    try:
        name = read_person_name(text[: MAX_FIELD + 1])
    except InvalidName:
        errors["full_name"] = N_("Type your full name in letters, as on your documents.")
        return None
    if len(name.split()) < 2:
        errors["full_name"] = N_("Type your full name: first name and surname.")
        return None
    return name


def _cpf(text: str, errors: dict[str, str]) -> str | None:
    compact = "".join(char for char in text[:MAX_FIELD] if char not in ".- ")
    if not compact:
        errors["cpf"] = N_("Type your CPF.")
        return None
    if not (compact.isascii() and compact.isdigit() and len(compact) == 11):
        errors["cpf"] = N_("A CPF has 11 digits, like 123.456.789-09.")
        return None
    try:
        return normalize_cpf(compact)
    except InvalidDocument:
        errors["cpf"] = N_("This CPF is not valid: check its digits.")
        return None
