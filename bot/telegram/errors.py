"""What can go wrong at the Telegram boundary, as one small tree."""

from __future__ import annotations


class TelegramChannelError(Exception):
    """Base of the errors the Telegram channel raises to its callers."""


class MalformedUpdate(TelegramChannelError):
    """A body that is not a Telegram update we can read; the edge answers 400.

    Nothing was recorded, and a redelivery of the same body will not fare better.
    """
