"""The Cloud API's messages endpoint over httpx: one POST per message, errors made typed."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.whatsapp.errors import GraphApiError, WhatsAppUnavailable
from bot.whatsapp.numbers import masked

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class WhatsAppClient:
    """Sends messages from one business phone number.

    The caller owns `http` (opened and closed in the app's lifespan); its base URL is
    `WHATSAPP_API_URL`, so tests point it at a fake Graph API.
    """

    def __init__(
        self, http: httpx.AsyncClient, *, access_token: str, phone_number_id: str, version: str
    ) -> None:
        self.http = http
        self.path = f"/{version}/{phone_number_id}/messages"
        self.media_path = f"/{version}/{phone_number_id}/media"
        self.headers = {"Authorization": f"Bearer {access_token}"}

    @classmethod
    def open_http(cls, base_url: str) -> httpx.AsyncClient:
        """A pooled HTTP client for the Graph API at `base_url`."""
        return httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=DEFAULT_TIMEOUT)

    async def send(self, message: dict[str, Any]) -> str:
        """Send one message body; the `wamid` Meta gave it.

        Raises:
            GraphApiError: Meta refused the message; `code` says why.
            WhatsAppUnavailable: no answer, or one that is not the Graph API's.
        """
        try:
            response = await self.http.post(self.path, json=message, headers=self.headers)
        except httpx.HTTPError as error:
            raise WhatsAppUnavailable(f"Graph API unreachable: {type(error).__name__}") from error

        body = _json(response)
        if response.is_success and body is not None:
            wamid = _wamid(body)
            if wamid is not None:
                logger.info(
                    "sent %s message to %s: HTTP %s",
                    message.get("type"),
                    masked(str(message.get("to", ""))),
                    response.status_code,
                )
                return wamid
        raise _error_from(response, body)

    async def upload_png(self, png: bytes) -> str:
        """Upload a PNG image as media of our number; the media id to send it by.

        Raises:
            GraphApiError: Meta refused the upload.
            WhatsAppUnavailable: no answer, or one that is not the Graph API's.
        """
        try:
            response = await self.http.post(
                self.media_path,
                data={"messaging_product": "whatsapp", "type": "image/png"},
                files={"file": ("qrcode.png", png, "image/png")},
                headers=self.headers,
            )
        except httpx.HTTPError as error:
            raise WhatsAppUnavailable(f"Graph API unreachable: {type(error).__name__}") from error

        body = _json(response)
        media_id = body.get("id") if body is not None else None
        if response.is_success and isinstance(media_id, str) and media_id:
            logger.info("uploaded a %s-byte image: HTTP %s", len(png), response.status_code)
            return media_id
        raise _error_from(response, body)


def _json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _wamid(body: dict[str, Any]) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
        return None
    wamid = messages[0].get("id")
    return wamid if isinstance(wamid, str) and wamid else None


def _error_from(
    response: httpx.Response, body: dict[str, Any] | None
) -> GraphApiError | WhatsAppUnavailable:
    error = body.get("error") if body is not None else None
    if not isinstance(error, dict):
        return WhatsAppUnavailable(
            f"unexpected answer from the Graph API: HTTP {response.status_code}"
        )
    code, subcode = error.get("code"), error.get("error_subcode")
    logger.warning(
        "Graph API refused a message: HTTP %s, code %s, trace %s",
        response.status_code,
        code,
        error.get("fbtrace_id"),
    )
    return GraphApiError(
        str(error.get("message", "")),
        code=code if isinstance(code, int) else None,
        subcode=subcode if isinstance(subcode, int) else None,
        http_status=response.status_code,
        trace_id=str(error.get("fbtrace_id")) if error.get("fbtrace_id") else None,
    )
