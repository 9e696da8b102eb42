"""Dialogues as state machines, channel-neutral, and the parsing of what people type."""
