"""The flows this bot runs, by name: the one place a new flow is registered."""

from __future__ import annotations

from conversations.account_flow import ACCOUNT
from conversations.consumer_flow import CONSUMER
from conversations.flow import Flow
from conversations.supplier_flow import SUPPLIER

CONSUMER_FLOW = CONSUMER.name
"""Where a new conversation starts."""


def build_flows() -> dict[str, Flow]:
    """Every flow the bot runs, by name; `CONSUMER_FLOW` must be among them to chat."""
    return {CONSUMER.name: CONSUMER, SUPPLIER.name: SUPPLIER, ACCOUNT.name: ACCOUNT}
