"""The device route: an app registers or removes the push token of the person signed in."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.app_devices import (
    DeviceRegistry,
    DeviceRouteError,
    Identity,
    IdentityProviderUnavailable,
    IdentityVerifier,
    InvalidIdentityToken,
    LinkRefused,
    NotLinked,
    UnknownDevice,
)
from marketplace.devices import MAX_TOKEN_LENGTH, Platform
from webhooks.problems import problem

router = APIRouter()

# FCM tokens: base64url with ':' and '-' separators (a shape, not a secret).
TOKEN_SHAPE = r"^[A-Za-z0-9_:\-.]+$"  # noqa: S105
STATUS = {
    InvalidIdentityToken: 401,
    NotLinked: 403,
    LinkRefused: 403,
    UnknownDevice: 404,
    IdentityProviderUnavailable: 503,
}


class DeviceRequest(BaseModel):
    """A device token to keep, and the link code on the first registration."""

    model_config = ConfigDict(extra="forbid", strict=True)
    token: str = Field(min_length=1, max_length=MAX_TOKEN_LENGTH, pattern=TOKEN_SHAPE)
    platform: Literal["android", "ios", "web"]
    link_code: str | None = Field(default=None, min_length=4, max_length=32)


DeviceToken = Annotated[str, Path(min_length=1, max_length=MAX_TOKEN_LENGTH, pattern=TOKEN_SHAPE)]
Authorization = Annotated[str | None, Header()]


@router.post("/devices", status_code=201, response_model=None)
async def register_device(
    body: DeviceRequest, request: Request, authorization: Authorization = None
) -> JSONResponse:
    """Register the signed-in person's device token for push notifications."""
    registry, verifier = _services(request)
    if registry is None or verifier is None:
        return _off()
    try:
        identity = await _identity(verifier, authorization)
        done = await asyncio.to_thread(
            registry.register, identity, body.token, Platform(body.platform), body.link_code
        )
    except DeviceRouteError as error:
        return _refused(error)
    return JSONResponse(
        {"device_id": done.device_id, "person": done.person.kind.value, "new": done.created},
        status_code=201 if done.created else 200,
    )


@router.delete("/devices/{token}", status_code=204, response_model=None)
async def remove_device(
    token: DeviceToken, request: Request, authorization: Authorization = None
) -> Response:
    """Remove one of the signed-in person's device tokens."""
    registry, verifier = _services(request)
    if registry is None or verifier is None:
        return _off()
    try:
        identity = await _identity(verifier, authorization)
        await asyncio.to_thread(registry.remove, identity, token)
    except DeviceRouteError as error:
        return _refused(error)
    return Response(status_code=204)


def _services(request: Request) -> tuple[DeviceRegistry | None, IdentityVerifier | None]:
    state = request.app.state
    return getattr(state, "devices", None), getattr(state, "identity", None)


async def _identity(verifier: IdentityVerifier, authorization: str | None) -> Identity:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidIdentityToken("send the identity provider's token as a Bearer token")
    return await asyncio.to_thread(verifier.verify, token.strip())


def _refused(error: DeviceRouteError) -> JSONResponse:
    status = STATUS.get(type(error), 400)
    response = problem(status, error.problem, str(error))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _off() -> JSONResponse:
    return problem(404, "not-configured", "push registration is off on this server")
