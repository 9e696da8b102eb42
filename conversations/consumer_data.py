"""What the consumer flow remembers: its state names and the keys of its conversation data.

Conversation data holds JSON only, so amounts are kept as decimal strings; the readers here
turn them back into what the marketplace expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from conversations.amounts import AmountUnit, StatedAmount
from marketplace.bills import BillAmount, Consumption, MonthlyKwh


class ConsumerState(StrEnum):
    """The states of the consumer flow, as stored in `conversations.state`."""

    CONSENT = "consent"
    CEP = "cep"
    STATE = "state"
    DISTRIBUTOR = "distributor"
    DISTRIBUTOR_OTHER = "distributor_other"
    BILL = "bill"
    OFFERS = "offers"
    OFFER = "offer"
    SHARE_CONSENT = "share_consent"
    NAME = "name"
    CONTACT = "contact"
    DONE = "done"
    ANSWER = "answer"  # answering a supplier's question about a lead
    WITHDRAW = "withdraw"  # confirming the withdrawal from a signed contract


# Keys of the conversation data.
POLICY_SHOWN = "policy_shown"
UF = "uf"
DISTRIBUTOR_ID = "distributor_id"
DISTRIBUTOR_PAGE = "distributor_page"
AMOUNT = "amount"
UNIT = "unit"
OFFERS_PAGE = "offers_page"
OFFER_ID = "offer_id"
OFFER_BRIEF = "offer_brief"  # the fact sheet was shown: offer the options alone
CONTACT_NAME = "contact_name"
SHARED_PHONE = "shared_phone"
LEAD = "lead"
ANSWER_LEAD = "answer_lead"  # the lead whose question is being answered
RETURN_TO = "return_to"  # the state to go back to after answering


def remember_amount(amount: StatedAmount) -> dict[str, Any]:
    """The data that keeps an amount the consumer gave."""
    return {AMOUNT: str(amount.value), UNIT: str(amount.unit)}


def consumption_in(data: Mapping[str, Any]) -> Consumption:
    """The consumption the consumer gave: the bill in R$, or kWh a month."""
    value = Decimal(str(data[AMOUNT]))
    if data.get(UNIT) == AmountUnit.KWH:
        return MonthlyKwh(value)
    return BillAmount(value)


def page_in(data: Mapping[str, Any], key: str) -> int:
    """A page number kept in the data; the first page when none is."""
    page = data.get(key, 1)
    return page if isinstance(page, int) and page >= 1 else 1
