"""The supplier flow (issue 6): a supplier's agent receives leads and answers them in chat.

A conversation enters it from any flow when its message is an invite code
(conversations.supplier_invite); from then on the chat belongs to an agent. Lead cards
arrive as notifications; their buttons are the flow's actions (conversations.supplier_leads).
"""

from __future__ import annotations

from conversations.flow import Flow, Step
from conversations.lead_card import ACCEPT, ASK, DECLINE
from conversations.supplier_data import SupplierState as S
from conversations.supplier_home import ask_home, handle_home, help_home
from conversations.supplier_invite import enter_with_invite
from conversations.supplier_leads import (
    act_accept,
    act_ask,
    act_decline,
    ask_decline_reason,
    ask_lead,
    ask_leads,
    ask_question,
    consumer_of_lead,
    handle_decline_reason,
    handle_lead,
    handle_leads,
    handle_question,
)

SUPPLIER = Flow(
    name="supplier",
    start=S.HOME,
    steps={
        S.HOME: Step(ask=ask_home, handle=handle_home, goes_to=(S.HOME, S.LEADS), help=help_home),
        S.LEADS: Step(ask=ask_leads, handle=handle_leads, goes_to=(S.LEAD, S.HOME)),
        S.LEAD: Step(
            ask=ask_lead,
            handle=handle_lead,
            goes_to=(S.HOME, S.DECLINE_REASON, S.QUESTION),
        ),
        # Words typed here are for the lead's consumer: forgetting them deletes them.
        S.DECLINE_REASON: Step(
            ask=ask_decline_reason,
            handle=handle_decline_reason,
            goes_to=(S.HOME,),
            about_consumer=consumer_of_lead,
        ),
        S.QUESTION: Step(
            ask=ask_question,
            handle=handle_question,
            goes_to=(S.HOME,),
            about_consumer=consumer_of_lead,
        ),
    },
    entry=enter_with_invite,
    actions={ACCEPT: act_accept, DECLINE: act_decline, ASK: act_ask},
)
