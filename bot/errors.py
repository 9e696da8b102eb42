"""Errors of the command line."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input on the command line; the message is shown to the user as is (exit 2)."""
