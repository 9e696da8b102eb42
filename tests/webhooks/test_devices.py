"""The device route: bearer JWTs checked against a local JWKS, link codes, bad bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from marketplace.app_accounts import create_link_code
from marketplace.clock import FixedClock
from marketplace.consumers import ensure_consumers
from marketplace.devices import devices_of
from marketplace.people import Person
from marketplace.settings import Settings
from tests.conversations.sample_flow import SAMPLE_FLOW
from tests.fakes.identity import FakeIdentityProvider
from webhooks.app import create_app

FCM_TOKEN = "fcm-token:APA91bHello_world-1"


@pytest.fixture
def provider() -> Iterator[FakeIdentityProvider]:
    """The identity provider's JWKS on 127.0.0.1."""
    fake = FakeIdentityProvider().start()
    yield fake
    fake.stop()


@pytest.fixture
def app_client(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    provider: FakeIdentityProvider,
) -> Iterator[TestClient]:
    """The app with the device route on, trusting the fake provider."""
    configured = settings.model_copy(
        update={
            "identity_jwks_url": provider.jwks_url,
            "identity_issuer": provider.issuer,
            "identity_audience": provider.audience,
        }
    )
    runtime = Runtime(configured, engine, sessions, clock)
    app = create_app(runtime=runtime, flows={"sample": SAMPLE_FLOW}, default_flow="sample")
    with TestClient(app) as client:
        yield client


@pytest.fixture
def maria(sessions: sessionmaker[Session], clock: FixedClock) -> Person:
    """A consumer who wrote on Telegram."""
    with sessions.begin() as session:
        key = ("telegram", "4242")
        return Person.consumer(ensure_consumers(session, {key: "pt_BR"}, clock.now())[key])


def link_code(sessions: sessionmaker[Session], clock: FixedClock, person: Person) -> str:
    with sessions.begin() as session:
        return create_link_code(session, person, clock.now())


def register(client: TestClient, token: str | None, **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        "/devices", json={"token": FCM_TOKEN, "platform": "android", **body}, headers=headers
    )


def test_a_linked_app_registers_then_removes_its_device(
    app_client: TestClient,
    provider: FakeIdentityProvider,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    maria: Person,
) -> None:
    token = provider.token()

    first = register(app_client, token, link_code=link_code(sessions, clock, maria))
    again = register(app_client, token)  # the subject is remembered: no code needed

    assert (first.status_code, first.json()["person"], first.json()["new"]) == (
        201,
        "consumer",
        True,
    )
    assert (again.status_code, again.json()["new"]) == (200, False)
    with sessions() as session:
        [device] = devices_of(session, maria)
    assert device.token == FCM_TOKEN

    removed = app_client.delete(
        f"/devices/{FCM_TOKEN}", headers={"Authorization": f"Bearer {token}"}
    )
    gone = app_client.delete(f"/devices/{FCM_TOKEN}", headers={"Authorization": f"Bearer {token}"})

    assert removed.status_code == 204
    assert (gone.status_code, gone.json()["problem"]) == (404, "unknown-device")
    with sessions() as session:
        assert devices_of(session, maria) == []


def test_an_unlinked_subject_needs_a_code_and_a_code_works_once(
    app_client: TestClient,
    provider: FakeIdentityProvider,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    maria: Person,
) -> None:
    code = link_code(sessions, clock, maria)

    unlinked = register(app_client, provider.token())
    linked = register(app_client, provider.token(), link_code=code)
    stolen = register(app_client, provider.token("auth0|intruder"), link_code=code)

    assert (unlinked.status_code, unlinked.json()["problem"]) == (403, "link-required")
    assert linked.status_code == 201
    assert (stolen.status_code, stolen.json()["problem"]) == (403, "link-code-refused")


def test_an_expired_link_code_is_refused(
    app_client: TestClient,
    provider: FakeIdentityProvider,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    maria: Person,
) -> None:
    code = link_code(sessions, clock, maria)
    clock.advance(minutes=16)

    refused = register(app_client, provider.token(), link_code=code)

    assert (refused.status_code, refused.json()["problem"]) == (403, "link-code-refused")


def forged_tokens(provider: FakeIdentityProvider) -> dict[str, str | None]:
    stranger = FakeIdentityProvider(key_id=provider.key_id)
    return {
        "no token": None,
        "not a JWT": "not-a-jwt",
        "wrong signature": provider.token(key=stranger.key),
        "alg none": provider.unsigned_token(),
        "wrong audience": provider.token(aud="https://someone-else.test"),
        "wrong issuer": provider.token(iss="https://evil.test/"),
        "expired": provider.token(lifetime=-120),
        "no subject": provider.token(sub=None),
        # An EC signature naming the provider's RSA key: the key cannot check that algorithm.
        "other key type": jwt.encode(
            {"iss": provider.issuer, "aud": provider.audience, "sub": "auth0|maria", "exp": 2**40},
            ec.generate_private_key(ec.SECP256R1()),
            algorithm="ES256",
            headers={"kid": provider.key_id},
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no token",
        "not a JWT",
        "wrong signature",
        "alg none",
        "wrong audience",
        "wrong issuer",
        "expired",
        "no subject",
        "other key type",
    ],
)
def test_a_token_that_is_not_a_valid_sign_in_gets_401(
    app_client: TestClient,
    provider: FakeIdentityProvider,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    maria: Person,
    case: str,
) -> None:
    token = forged_tokens(provider)[case]

    refused = register(app_client, token, link_code=link_code(sessions, clock, maria))

    assert refused.status_code == 401
    assert refused.json()["problem"] == "invalid-token"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    with sessions() as session:
        assert devices_of(session, maria) == []


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "android"},
        {"token": "", "platform": "android"},
        {"token": "x" * 5000, "platform": "android"},
        {"token": "has spaces in it", "platform": "android"},
        {"token": FCM_TOKEN, "platform": "symbian"},
        {"token": FCM_TOKEN, "platform": "android", "extra": 1},
        {"token": 12345, "platform": "android"},
        {"token": FCM_TOKEN, "platform": "android", "link_code": "x" * 100},
        [],
    ],
)
def test_a_bad_body_is_a_4xx_problem_never_a_500(
    app_client: TestClient, provider: FakeIdentityProvider, body: Any
) -> None:
    answer = app_client.post(
        "/devices", json=body, headers={"Authorization": f"Bearer {provider.token()}"}
    )

    assert 400 <= answer.status_code < 500
    assert "detail" in answer.json()


@pytest.mark.parametrize("raw", [b"{not json", rb'{"token": "\ud800", "platform": "web"}'])
def test_a_body_that_is_not_json_or_not_text_is_refused(
    app_client: TestClient, provider: FakeIdentityProvider, raw: bytes
) -> None:
    answer = app_client.post(
        "/devices",
        content=raw,
        headers={
            "Authorization": f"Bearer {provider.token()}",
            "Content-Type": "application/json",
        },
    )

    assert answer.status_code == 422


def test_without_an_identity_provider_the_route_is_off(client: TestClient) -> None:
    answer = client.post("/devices", json={"token": FCM_TOKEN, "platform": "ios"})

    assert (answer.status_code, answer.json()["problem"]) == (404, "not-configured")


def test_tokens_naming_unknown_keys_do_not_make_us_fetch_the_jwks_each_time(
    app_client: TestClient, provider: FakeIdentityProvider
) -> None:
    stranger = FakeIdentityProvider()  # its own key id, unknown to our provider
    register(app_client, provider.token())  # the keys are fetched once and cached
    fetched = provider.fetches

    answers = [register(app_client, stranger.token(subject=f"u{n}")) for n in range(5)]

    assert {answer.status_code for answer in answers} == {401}
    assert provider.fetches - fetched <= 1  # one refresh in case the provider rotated keys
