"""What the Cloud API can answer besides success, and what each answer asks of us."""

from __future__ import annotations

from enum import StrEnum

# Error codes of the Cloud API we act on (Meta's "error codes" reference).
OUTSIDE_WINDOW = 131047  # more than 24 hours since the person last wrote
THROUGHPUT_LIMIT = 130429  # the number's messages-per-second limit
PAIR_RATE_LIMIT = 131056  # too many messages to the same person in a short time
UNDELIVERABLE = 131026  # not on WhatsApp, old app, or has not accepted the terms
SPAM_RATE_LIMIT = 131048
_TRANSIENT = frozenset({1, 2, 4, 80007, 131000, 131016, 133004, SPAM_RATE_LIMIT})
_CREDENTIALS = frozenset({0, 10, 190, *range(200, 300)})


class Remedy(StrEnum):
    """What to do about a message the Cloud API refused or failed to deliver."""

    TEMPLATE = "template"  # send an approved template; the message waits for an answer
    SLOW_DOWN = "slow_down"  # the whole number is over its rate: pause, then retry
    BACK_OFF = "back_off"  # this recipient gets too much: retry it later
    UNREACHABLE = "unreachable"  # the person cannot get WhatsApp messages from us
    RETRY = "retry"  # a passing fault on Meta's side (or ours, e.g. an expired token)
    GIVE_UP = "give_up"  # the message itself is wrong; sending it again will not help


def remedy_for(code: int | None, *, http_status: int | None = None) -> Remedy:
    """The remedy for a Cloud API error code (from a response or a `failed` status)."""
    if code == OUTSIDE_WINDOW:
        return Remedy.TEMPLATE
    if code == THROUGHPUT_LIMIT:
        return Remedy.SLOW_DOWN
    if code == PAIR_RATE_LIMIT:
        return Remedy.BACK_OFF
    if code == UNDELIVERABLE:
        return Remedy.UNREACHABLE
    # Credentials are fixed by an operator, not by dropping messages: keep them for later.
    if code in _TRANSIENT or code in _CREDENTIALS:
        return Remedy.RETRY
    if http_status is not None and (http_status >= 500 or http_status == 429):
        return Remedy.RETRY
    return Remedy.GIVE_UP


class WhatsAppError(Exception):
    """Base of every error of the Cloud API client."""


class GraphApiError(WhatsAppError):
    """The Graph API answered with an error object.

    Attributes:
        code: Meta's error code (131047, 130429...), None when the body had none.
        subcode: `error_subcode`, when given.
        http_status: the HTTP status of the answer.
        trace_id: `fbtrace_id`, what Meta's support asks for.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None,
        http_status: int,
        subcode: int | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(f"Graph API error {code} (HTTP {http_status}): {message}")
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.trace_id = trace_id

    @property
    def remedy(self) -> Remedy:
        """What to do about it."""
        return remedy_for(self.code, http_status=self.http_status)


class WhatsAppUnavailable(WhatsAppError):
    """The Graph API could not be reached, or answered something that is not the API's."""
