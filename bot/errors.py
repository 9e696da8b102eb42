"""Errors of the command line."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input on the command line; the message is shown to the user as is (exit 2)."""


class ConfigurationError(Exception):
    """A setting that cannot be used; the message says which and why (exit 2)."""


class DatabaseNotReady(Exception):
    """The configured database cannot be used as it is; the message says what to do."""
