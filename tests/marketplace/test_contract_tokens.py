"""Signing-link tokens: what verifies, and every way a token is refused."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest

from marketplace.clock import FixedClock
from marketplace.contract_tokens import (
    AUDIENCE,
    ISSUER,
    ContractTokens,
    InvalidContractToken,
    TokenProblem,
    derive_key,
)
from tests.conftest import TEST_NOW

SECRET = "a-secret-for-the-tests-of-signing-link-tokens"


@pytest.fixture
def tokens() -> ContractTokens:
    return ContractTokens(SECRET)


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims for contract 7 issued at TEST_NOW, with changes (None drops a claim)."""
    now = int(TEST_NOW.timestamp())
    base: dict[str, Any] = {
        "sub": "7",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "jti": "f" * 32,
        "iat": now,
        "exp": now + 3600,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(payload: dict[str, Any], key: bytes | None = None) -> str:
    return jwt.encode(payload, key or derive_key(SECRET), algorithm="HS256")


def refusal(tokens: ContractTokens, token: str, clock: FixedClock) -> TokenProblem:
    with pytest.raises(InvalidContractToken) as refused:
        tokens.verify(token, clock.now())
    return refused.value.problem


def segment(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_an_issued_token_names_its_contract_and_expires_in_72_hours(
    tokens: ContractTokens, clock: FixedClock
) -> None:
    token = tokens.issue(42, clock.now())

    verified = tokens.verify(token, clock.now())

    assert verified.contract_id == 42
    assert verified.expires_at - verified.issued_at == timedelta(hours=72)
    assert len(verified.token_id) == 32
    assert tokens.issue(42, clock.now()) != token  # every link has its own id


def test_no_token_is_malformed(tokens: ContractTokens, clock: FixedClock) -> None:
    assert refusal(tokens, "", clock) is TokenProblem.MALFORMED
    assert refusal(tokens, "abc.def", clock) is TokenProblem.MALFORMED


def test_the_none_algorithm_is_refused(tokens: ContractTokens, clock: FixedClock) -> None:
    unsigned = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims())}."

    assert refusal(tokens, unsigned, clock) is TokenProblem.MALFORMED


def test_another_hmac_algorithm_is_refused(tokens: ContractTokens, clock: FixedClock) -> None:
    token = jwt.encode(claims(), derive_key(SECRET) * 2, algorithm="HS512")

    assert refusal(tokens, token, clock) is TokenProblem.MALFORMED


def test_a_wrong_key_is_refused(tokens: ContractTokens, clock: FixedClock) -> None:
    assert refusal(
        tokens, signed(claims(), derive_key("another secret, as long as ours is")), clock
    ) is (TokenProblem.MALFORMED)
    # The raw secret is not the key either: the key is derived per purpose.
    assert refusal(tokens, signed(claims(), SECRET.encode()), clock) is TokenProblem.MALFORMED


def test_a_wrong_audience_or_issuer_is_foreign(tokens: ContractTokens, clock: FixedClock) -> None:
    assert refusal(tokens, signed(claims(aud="web-chat")), clock) is TokenProblem.FOREIGN
    assert refusal(tokens, signed(claims(iss="someone-else")), clock) is TokenProblem.FOREIGN


def test_an_expired_token_is_refused_by_our_clock(
    tokens: ContractTokens, clock: FixedClock
) -> None:
    token = tokens.issue(7, clock.now())
    clock.advance(hours=72)

    assert refusal(tokens, token, clock) is TokenProblem.EXPIRED


def test_a_token_still_valid_a_moment_before_expiry(
    tokens: ContractTokens, clock: FixedClock
) -> None:
    token = tokens.issue(7, clock.now())
    clock.advance(hours=71, minutes=59)

    assert tokens.verify(token, clock.now()).contract_id == 7


def test_a_token_issued_in_the_future_is_refused(
    tokens: ContractTokens, clock: FixedClock
) -> None:
    later = int(TEST_NOW.timestamp()) + 3600
    token = signed(claims(iat=later, exp=later + 3600))
    slightly_ahead = signed(claims(iat=int(TEST_NOW.timestamp()) + 10))

    assert refusal(tokens, token, clock) is TokenProblem.NOT_YET_VALID
    assert tokens.verify(slightly_ahead, clock.now()).contract_id == 7  # within the leeway


@pytest.mark.parametrize("missing", ["sub", "aud", "iss", "jti", "iat", "exp"])
def test_a_token_without_a_required_claim_is_refused(
    tokens: ContractTokens, clock: FixedClock, missing: str
) -> None:
    problem = refusal(tokens, signed(claims(**{missing: None})), clock)

    assert problem in (TokenProblem.MALFORMED, TokenProblem.FOREIGN)


@pytest.mark.parametrize("subject", ["abc", "-1", "٣", "1" * 30])
def test_a_subject_that_is_not_a_contract_id_is_refused(
    tokens: ContractTokens, clock: FixedClock, subject: str
) -> None:
    assert refusal(tokens, signed(claims(sub=subject)), clock) is TokenProblem.MALFORMED


def test_an_altered_payload_is_refused(tokens: ContractTokens, clock: FixedClock) -> None:
    header, _payload, signature = tokens.issue(7, clock.now()).split(".")
    other = segment(claims(sub="8"))

    assert refusal(tokens, f"{header}.{other}.{signature}", clock) is TokenProblem.MALFORMED
