"""Push as a delivery channel: outbox rows of channel `push` sent through Firebase Cloud
Messaging with `firebase-admin`.

A row names a device by its id (marketplace.devices); the token is read when sending, so a
device deleted meanwhile gets nothing. FCM's answer decides what happens next: a token it
no longer knows (UNREGISTERED, NOT_FOUND, a token it calls invalid, another sender's token)
deletes the device and fails the row for good; quota and server trouble are retried with
the outbox's backoff. The SDK blocks, so each call to FCM runs on one of the sender's own
threads (bot/sender_threads.py), never on those the app's webhooks share.

firebase-admin has no option for its endpoint; `FCM_API_URL` replaces the URL its messaging
service posts to (its `_fcm_url`), which tests point at a local fake. Its own HTTP retries
are turned off for that URL: the outbox retries, with backoff and a visible failed state.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Any

import firebase_admin
import google.auth.exceptions
from firebase_admin import credentials, exceptions, messaging
from requests.adapters import HTTPAdapter
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatcher import Delivery, OutgoingMessage, PermanentSendError, RetryableSendError
from bot.sender_threads import SenderThreads
from marketplace import devices
from marketplace.notifications import PUSH_CHANNEL, PUSH_TITLE

logger = logging.getLogger(__name__)

CHANNEL = PUSH_CHANNEL
DEFAULT_FCM_API_URL = "https://fcm.googleapis.com"
TIMEOUT_SECONDS = 20
CREDENTIALS_PAUSE = 300.0  # an operator has to fix the service account; try again later
THREADS = 8  # pushes waiting for FCM at once
_apps = itertools.count(1)


class FcmUnavailable(RuntimeError):
    """`FCM_CREDENTIALS` cannot be used (missing, not a service account, no project id)."""


@dataclass(frozen=True)
class _Target:
    device_id: int
    token: str


class PushSender:
    """Sends outbox rows of channel `push` to one device each."""

    channel = CHANNEL
    concurrency = THREADS  # the dispatcher starts no more sends at once

    def __init__(
        self, sessions: sessionmaker[Session], credentials_path: str, api_url: str
    ) -> None:
        self.sessions = sessions
        self.app = _firebase_app(credentials_path)
        _redirect(self.app, api_url.rstrip("/"))
        self.threads = SenderThreads(THREADS, "push")

    def close(self) -> None:
        """Wait for the pushes under way, then release the threads and the Firebase app."""
        self.threads.close()
        firebase_admin.delete_app(self.app)

    async def send(self, message: OutgoingMessage) -> Delivery:
        """Push one row to its device.

        Raises:
            RetryableSendError: FCM is busy or down, or its credentials were refused.
            PermanentSendError: the device is gone or FCM refused its token or the message.
        """
        target = await asyncio.to_thread(self._target, message.recipient)
        if target is None:
            raise PermanentSendError(f"outbox {message.outbox_id}: device no longer registered")
        push = _fcm_message(target.token, message)
        try:
            name: str = await self.threads.run(messaging.send, push, app=self.app)
        except exceptions.FirebaseError as error:
            raise await self._failure(error, message, target) from error
        except google.auth.exceptions.GoogleAuthError as error:
            # The OAuth token could not be had: the token endpoint is down or refuses us.
            raise RetryableSendError(
                f"outbox {message.outbox_id}: FCM credentials: {type(error).__name__}",
                retry_after=CREDENTIALS_PAUSE,
            ) from error
        logger.info("push for outbox %s accepted by FCM", message.outbox_id)
        return Delivery(provider_message_id=name[-128:])

    async def _failure(
        self, error: exceptions.FirebaseError, message: OutgoingMessage, target: _Target
    ) -> PermanentSendError | RetryableSendError:
        said = f"outbox {message.outbox_id}: FCM {type(error).__name__}"
        if _dead_token(error):
            await asyncio.to_thread(self._forget, target.device_id)
            logger.info("device %s forgotten: FCM says its token is dead", target.device_id)
            return PermanentSendError(said)
        if isinstance(
            error,
            messaging.QuotaExceededError
            | exceptions.UnavailableError
            | exceptions.InternalError
            | exceptions.DeadlineExceededError
            | exceptions.UnknownError,
        ):
            return RetryableSendError(said, retry_after=_retry_after(error))
        if isinstance(error, exceptions.UnauthenticatedError | exceptions.PermissionDeniedError):
            return RetryableSendError(said, retry_after=CREDENTIALS_PAUSE)
        return PermanentSendError(said)

    def _target(self, recipient: str) -> _Target | None:
        if not recipient.isdigit():
            return None
        with self.sessions() as session:
            device = devices.device_by_id(session, int(recipient))
        return _Target(device.id, device.token) if device else None

    def _forget(self, device_id: int) -> None:
        with self.sessions.begin() as session:
            devices.delete_device(session, device_id)


def load_credentials(credentials_path: str) -> credentials.Certificate:
    """The service account of `FCM_CREDENTIALS`.

    Raises:
        FcmUnavailable: the file is missing, is not a service account, or names no project.
    """
    try:
        certificate = credentials.Certificate(credentials_path)
    except (OSError, ValueError) as error:
        raise FcmUnavailable(f"FCM_CREDENTIALS cannot be used: {error}") from error
    if not certificate.project_id:
        raise FcmUnavailable("FCM_CREDENTIALS names no project_id")
    return certificate


def _firebase_app(credentials_path: str) -> firebase_admin.App:
    certificate = load_credentials(credentials_path)
    # Each sender has an app of its own: tests (and a restart in one process) make several.
    options = {"httpTimeout": TIMEOUT_SECONDS, "projectId": certificate.project_id}
    return firebase_admin.initialize_app(certificate, options, name=f"push-{next(_apps)}")


def _redirect(app: firebase_admin.App, api_url: str) -> None:
    service: Any = messaging._get_messaging_service(app)
    if not hasattr(service, "_fcm_url"):
        raise FcmUnavailable("this firebase-admin release cannot be pointed at FCM_API_URL")
    service._fcm_url = f"{api_url}/v1/projects/{app.project_id}/messages:send"
    service._client.session.mount(api_url, HTTPAdapter(max_retries=0))


def _fcm_message(token: str, message: OutgoingMessage) -> messaging.Message:
    extra = message.reply.extra
    data = {str(key): str(value) for key, value in dict(extra.get("data", {})).items()}
    title = str(extra.get("title", PUSH_TITLE))
    # Apps register FCM registration tokens, which the v1 API takes as `message.token`
    # (firebase-admin 7.7 warns that it prefers installation ids; tokens still work).
    return messaging.Message(
        token=token,
        notification=messaging.Notification(title=title, body=message.reply.text),
        data=data,
    )


def _dead_token(error: exceptions.FirebaseError) -> bool:
    # UNREGISTERED is a NOT_FOUND; a token of another sender will never work for us either.
    if isinstance(error, exceptions.NotFoundError | messaging.SenderIdMismatchError):
        return True
    if isinstance(error, exceptions.InvalidArgumentError):
        # INVALID_ARGUMENT also covers a malformed message; only a refused token kills it.
        return "message.token" in _body(error) or "registration token" in str(error).lower()
    return False


def _body(error: exceptions.FirebaseError) -> str:
    response = error.http_response
    return response.text if response is not None else ""


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    response = error.http_response
    header = response.headers.get("Retry-After") if response is not None else None
    if header and header.strip().isdigit():
        return float(header.strip())
    return None
