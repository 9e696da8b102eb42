"""The app's side of push: who is signed in (a JWT from the identity provider) and which
devices they register.

The identity provider (Auth0 or any OIDC) signs its access tokens with keys it publishes as
a JWKS. A token is accepted only when signed with one of those keys by an asymmetric
algorithm (never `none`, never HMAC: the keys are public), and when its issuer, audience,
expiry and subject are right. The subject then names a person through marketplace.app_accounts:
the first registration carries the link code the person got in chat, later ones need none.
Expiry is checked against the real time, as the provider issued it, not the product's clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import jwt
from sqlalchemy.orm import Session, sessionmaker

from marketplace import app_accounts, devices
from marketplace.clock import Clock
from marketplace.devices import Platform
from marketplace.people import Person

logger = logging.getLogger(__name__)

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
# The algorithms each key type can check: a token naming an RSA key while signed with ES256
# must be refused as invalid, not handed to a key that cannot read it.
FAMILIES = {"RSA": ("RS", "PS"), "EC": ("ES",)}
LEEWAY_SECONDS = 30  # clocks of the provider and ours may differ a little
JWKS_TIMEOUT_SECONDS = 10
JWKS_CACHE_SECONDS = 300


class DeviceRouteError(Exception):
    """A device request refused; `problem` is a short code, the message says why."""

    problem = "refused"


class InvalidIdentityToken(DeviceRouteError):
    """No bearer token, or one that is not signed, current and meant for us."""

    problem = "invalid-token"


class IdentityProviderUnavailable(DeviceRouteError):
    """The provider's JWKS could not be fetched."""

    problem = "identity-provider-unavailable"


class NotLinked(DeviceRouteError):
    """The signed-in subject names no person yet, and no link code came with the request."""

    problem = "link-required"


class LinkRefused(DeviceRouteError):
    """The link code is unknown, used or expired."""

    problem = "link-code-refused"


class UnknownDevice(DeviceRouteError):
    """The person has no device with this token."""

    problem = "unknown-device"


@dataclass(frozen=True)
class Identity:
    """Who the identity provider says is signed in."""

    issuer: str
    subject: str


class IdentityVerifier:
    """Checks bearer tokens against the provider's published keys."""

    def __init__(self, jwks_url: str, *, issuer: str, audience: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = jwt.PyJWKClient(
            jwks_url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS, timeout=JWKS_TIMEOUT_SECONDS
        )

    def verify(self, token: str) -> Identity:
        """The identity a bearer token proves (blocking: the keys may be fetched).

        Raises:
            InvalidIdentityToken: the token is malformed, unsigned, badly signed, expired,
                or for another issuer or audience.
            IdentityProviderUnavailable: the keys could not be fetched.
        """
        try:
            key = self.keys.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise IdentityProviderUnavailable("the identity provider did not answer") from error
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as error:
            raise InvalidIdentityToken(f"no key of the provider signs it ({error})") from error
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=_algorithms_for(key),
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise InvalidIdentityToken(str(error)) from error
        subject = claims["sub"]
        if not isinstance(subject, str) or not 0 < len(subject) <= 255:
            raise InvalidIdentityToken("the subject must be 1 to 255 characters")
        return Identity(issuer=self.issuer, subject=subject)


def _algorithms_for(key: jwt.PyJWK) -> list[str]:
    """The accepted algorithms this key can verify (none for a symmetric or unknown key)."""
    family = FAMILIES.get(key.key_type or "", ())
    return [name for name in ALGORITHMS if family and name.startswith(family)]


@dataclass(frozen=True)
class Registered:
    """A registration done: for whom, and whether the device is new."""

    person: Person
    device_id: int
    created: bool


class DeviceRegistry:
    """Registers and removes the devices of signed-in people."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def register(
        self, identity: Identity, token: str, platform: Platform, link_code: str | None
    ) -> Registered:
        """Keep a device token for the person this identity is (linking it first, if asked).

        Raises:
            NotLinked: the identity is not linked and no code came.
            LinkRefused: the code is unknown, used or expired.
        """
        with self.sessions.begin() as session:
            now = self.clock.now()
            person = self._person(session, identity, link_code)
            device, created = devices.register_device(session, person, token, platform, now)
        logger.info("device %s registered for %s (new: %s)", device.id, person, created)
        return Registered(person=person, device_id=device.id, created=created)

    def remove(self, identity: Identity, token: str) -> None:
        """Forget one of the signed-in person's devices.

        Raises:
            NotLinked: the identity is not linked.
            UnknownDevice: the person has no device with this token.
        """
        with self.sessions.begin() as session:
            person = app_accounts.person_of_subject(session, identity.issuer, identity.subject)
            if person is None:
                raise NotLinked("this account is not linked to a chat yet")
            if not devices.remove_device(session, person, token):
                raise UnknownDevice("no device of yours has this token")
        logger.info("a device of %s removed", person)

    def _person(self, session: Session, identity: Identity, link_code: str | None) -> Person:
        if link_code is not None:
            try:
                return app_accounts.link_subject(
                    session, identity.issuer, identity.subject, link_code, self.clock.now()
                )
            except app_accounts.LinkCodeRejected as error:
                # The app may send its code again after a lost answer: the link it made holds.
                linked = app_accounts.person_of_subject(session, identity.issuer, identity.subject)
                if linked is None:
                    raise LinkRefused("the link code is unknown, used or expired") from error
                return linked
        person = app_accounts.person_of_subject(session, identity.issuer, identity.subject)
        if person is None:
            raise NotLinked(
                "this account is not linked to a chat yet: send the code the bot gives for /app"
            )
        return person
