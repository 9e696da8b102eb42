"""A fake identity provider: a JWKS endpoint on 127.0.0.1 and tokens signed with its key.

The RSA key is made when the fake starts; only its public half is served, as
`/.well-known/jwks.json`, the way Auth0 and other OIDC providers publish theirs.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.loopback import LoopbackServer

ISSUER = "https://identity.connect-energy.test/"
AUDIENCE = "https://api.connect-energy.test"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeIdentityProvider(LoopbackServer):
    """Serves the public key and signs tokens with the private one."""

    issuer: str = ISSUER
    audience: str = AUDIENCE
    key_id: str = field(default_factory=lambda: secrets.token_hex(8))
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    fetches: int = 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """Requests are answered as the real service would."""
        return _handler_for(self)

    @property
    def jwks_url(self) -> str:
        """Where the keys are published."""
        return f"{self.origin}/.well-known/jwks.json"

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWK set."""
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.key_id,
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            ]
        }

    def token(
        self,
        subject: str = "auth0|maria",
        *,
        key: rsa.RSAPrivateKey | None = None,
        lifetime: int = 600,
        **claims: Any,
    ) -> str:
        """An access token; any claim may be overridden (`iss`, `aud`, `exp`...)."""
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + lifetime,
            **claims,
        }
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.key_id})

    def unsigned_token(self, subject: str = "auth0|maria") -> str:
        """A token with `alg: none` naming our key id, as an attacker would forge it."""
        header = {"alg": "none", "typ": "JWT", "kid": self.key_id}
        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.audience, "sub": subject, "exp": now + 600}
        parts = [_b64_json(header), _b64_json(body), ""]
        return ".".join(parts)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64_json(value: dict[str, Any]) -> str:
    raw = json.dumps(value).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _handler_for(fake: FakeIdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            fake.fetches += 1
            encoded = json.dumps(fake.jwks()).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
