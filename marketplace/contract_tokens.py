"""Signing links: a JWT naming one contract, for one purpose, valid for a while, used once.

The token is HS256 with a key derived from `SECRET_KEY` for this purpose alone, so a token
minted for another use of the same secret (the web chat's, say) never verifies here. Expiry
and issue time are checked against the injectable clock rather than PyJWT's own
`time.time()`, so tests do not age and a link's life is the clock's. Consuming the token
(its `jti`) is the signer's job (marketplace.contracts), in the transaction that signs.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt

ALGORITHM = "HS256"
AUDIENCE = "contract-signing"
ISSUER = "connect-energy"
DEFAULT_TTL = timedelta(hours=72)
# Clocks of two app servers may differ by a little; a token from the future by more is forged.
IAT_LEEWAY = timedelta(seconds=30)
REQUIRED_CLAIMS = ["sub", "aud", "iss", "jti", "iat", "exp"]
MAX_TOKEN_LENGTH = 1024


class TokenProblem(StrEnum):
    """Why a signing link was refused; the page says so without showing any contract data."""

    MALFORMED = "malformed"  # not a JWT, altered, wrong key, wrong algorithm or claims
    FOREIGN = "foreign"  # a valid JWT of ours for another audience or issuer
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"  # issued in the future


class InvalidContractToken(ValueError):
    """A signing link that cannot be used, with the reason."""

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(f"contract token refused: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class ContractClaims:
    """What a verified signing link says."""

    contract_id: int
    token_id: str
    issued_at: datetime
    expires_at: datetime


def derive_key(secret_key: str, purpose: str = AUDIENCE) -> bytes:
    """A key for one purpose, from the process's secret (HMAC-SHA256 as the derivation)."""
    return hmac.new(
        secret_key.encode("utf-8"), f"connect-energy/{purpose}/v1".encode(), hashlib.sha256
    ).digest()


class ContractTokens:
    """Issues and verifies signing links with one derived key."""

    def __init__(self, secret_key: str, *, ttl: timedelta = DEFAULT_TTL) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a signing link must live for some time")
        self._key = derive_key(secret_key)
        self.csrf_key = derive_key(secret_key, "contract-csrf")
        """The key the signing form's CSRF token is made with (webhooks/contracts.py)."""
        self.ttl = ttl

    def issue(self, contract_id: int, now: datetime) -> str:
        """A fresh token for the contract, valid from `now` for `ttl`."""
        claims: dict[str, Any] = {
            "sub": str(contract_id),
            "aud": AUDIENCE,
            "iss": ISSUER,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, now: datetime) -> ContractClaims:
        """The claims of a token of ours for contract signing, valid at `now`.

        Raises:
            InvalidContractToken: with the problem; never with the token's content.
        """
        claims = self._decode(token)
        issued = _instant(claims["iat"])
        expires = _instant(claims["exp"])
        if issued > now + IAT_LEEWAY:
            raise InvalidContractToken(TokenProblem.NOT_YET_VALID)
        if expires <= now:
            raise InvalidContractToken(TokenProblem.EXPIRED)
        return ContractClaims(int(claims["sub"]), str(claims["jti"]), issued, expires)

    def _decode(self, token: str) -> dict[str, Any]:
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise InvalidContractToken(TokenProblem.MALFORMED)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],  # an explicit list: "none" and RS/HS confusion fail
                audience=AUDIENCE,
                issuer=ISSUER,
                options={
                    "require": REQUIRED_CLAIMS,
                    # Times are checked against our clock in `verify`, not PyJWT's.
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as error:
            raise InvalidContractToken(TokenProblem.FOREIGN) from error
        except jwt.InvalidTokenError as error:
            raise InvalidContractToken(TokenProblem.MALFORMED) from error
        if not _well_formed(claims):
            raise InvalidContractToken(TokenProblem.MALFORMED)
        return claims


def _well_formed(claims: dict[str, Any]) -> bool:
    subject, token_id = claims.get("sub"), claims.get("jti")
    times_ok = all(
        isinstance(claims.get(name), int) and 0 < claims[name] < 2**33 for name in ("iat", "exp")
    )
    return (
        isinstance(subject, str)
        and subject.isascii()
        and subject.isdigit()
        and len(subject) < 19
        and isinstance(token_id, str)
        and 0 < len(token_id) <= 64
        and times_ok
    )


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class ContractLinks:
    """Builds the links the bot sends: `PUBLIC_URL/contracts/{token}`."""

    public_url: str
    tokens: ContractTokens

    def link_for(self, contract_id: int, now: datetime) -> str:
        """A new signing link for the contract."""
        return f"{self.public_url}/contracts/{self.tokens.issue(contract_id, now)}"
