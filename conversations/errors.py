"""What can go wrong while the engine handles a message, as one small tree."""

from __future__ import annotations


class ConversationError(Exception):
    """Base of every error the conversation engine raises to a channel."""


class FlowDefinitionError(ConversationError):
    """A flow table is inconsistent: a missing start, an unknown target, a reserved name."""


class UnknownFlow(ConversationError):
    """The engine was asked to run a flow nobody registered."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no flow named {name!r} is registered")
        self.name = name


class InvalidEvent(ConversationError):
    """An inbound event a channel should never hand over (empty or oversized ids).

    Channels map it to "bad request": nothing was recorded and a retry will not help.
    """


class UndeclaredTransition(ConversationError):
    """A step tried to go to a state its `goes_to` does not list."""

    def __init__(self, flow: str, state: str, target: str) -> None:
        super().__init__(f"flow {flow!r}: state {state!r} may not go to {target!r}")
        self.flow = flow
        self.state = state
        self.target = target


class StepFailed(ConversationError):
    """A step (or its question) raised; the whole transaction was rolled back.

    Nothing about the message was recorded, so the channel may let the platform redeliver
    it (or answer the web client with a retryable error).
    """

    def __init__(self, *, channel: str, message_id: str, flow: str, state: str) -> None:
        super().__init__(f"flow {flow!r} failed in state {state!r} on a {channel} message")
        self.channel = channel
        self.message_id = message_id
        self.flow = flow
        self.state = state


class StorageUnavailable(ConversationError):
    """The database failed or went away; nothing was recorded and a retry may succeed."""


class InvalidAnswer(ConversationError, ValueError):
    """Raised by a step's parsing to re-ask politely; `reask` is already translated.

    The engine treats it like a returned `Reask`. Raise it before the step writes to the
    database: the transaction still commits, so anything written would stay.
    """

    def __init__(self, reask: str) -> None:
        super().__init__(reask)
        self.reask = reask
