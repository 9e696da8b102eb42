"""Channels, the outbox dispatcher and the command line."""
