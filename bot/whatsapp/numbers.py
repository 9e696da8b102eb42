"""WhatsApp ids of Brazilian numbers: one person whether or not the ninth digit is there.

Brazilian mobiles gained a ninth digit (a leading 9) between 2012 and 2016, but WhatsApp
accounts registered before then may still report their `wa_id` as 55 + area code + 8
digits. The same person must stay one conversation, so chats are keyed by the 9-digit form,
while replies go to the `wa_id` exactly as WhatsApp gave it.
"""

from __future__ import annotations

import re

# 55, an area code without zeros, then an 8-digit number that starts like a mobile (6-9):
# landlines start with 2-5 and never had a ninth digit added.
_EIGHT_DIGIT_MOBILE = re.compile(r"^55(?P<ddd>[1-9]{2})(?P<number>[6-9]\d{7})$")
_WA_ID = re.compile(r"^\d{6,20}$")


def is_wa_id(text: str) -> bool:
    """Whether `text` looks like a WhatsApp id (digits of an international number)."""
    return bool(_WA_ID.match(text))


def canonical_chat_id(wa_id: str) -> str:
    """The chat id of a WhatsApp user: Brazilian mobiles in their 9-digit form."""
    match = _EIGHT_DIGIT_MOBILE.match(wa_id)
    if match is None:
        return wa_id
    return f"55{match['ddd']}9{match['number']}"


def masked(number: str) -> str:
    """A number fit for a log line: the country code and the last two digits only."""
    if len(number) <= 6:
        return "*" * len(number)
    return f"{number[:2]}{'*' * (len(number) - 4)}{number[-2:]}"
