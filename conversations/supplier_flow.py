"""The supplier flow (issue 6): a supplier's agent receives leads and answers them in chat.

A conversation enters it from any flow when its message is an invite code
(conversations.supplier_invite); from then on the chat belongs to an agent.
"""

from __future__ import annotations

from conversations.flow import Flow, Step
from conversations.supplier_data import SupplierState as S
from conversations.supplier_home import ask_home, handle_home, help_home
from conversations.supplier_invite import enter_with_invite

SUPPLIER = Flow(
    name="supplier",
    start=S.HOME,
    steps={
        S.HOME: Step(ask=ask_home, handle=handle_home, goes_to=(S.HOME,), help=help_home),
    },
    entry=enter_with_invite,
)
