"""The flows this bot runs, by name: the one place a new flow is registered."""

from __future__ import annotations

from conversations.flow import Flow

CONSUMER_FLOW = "consumer"
"""Where a new conversation starts."""


def build_flows() -> dict[str, Flow]:
    """Every flow the bot runs, by name; `CONSUMER_FLOW` must be among them to chat.

    TODO: register the consumer flow here (issue 3: `flow = consumer_flow()` from
    conversations/consumer_flow.py, then `{flow.name: flow}`); until it lands there is
    nothing to chat with, and `chat` says so.
    """
    return {}
