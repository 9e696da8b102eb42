"""Who a notification is for: a consumer or a supplier's agent, named by kind and id."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PersonKind(StrEnum):
    """The two kinds of people the bot talks to."""

    CONSUMER = "consumer"
    AGENT = "agent"


@dataclass(frozen=True)
class Person:
    """One consumer (`consumers.id`) or one supplier agent (`supplier_agents.id`)."""

    kind: PersonKind
    id: int

    @classmethod
    def consumer(cls, consumer_id: int) -> Person:
        """The consumer with this id."""
        return cls(PersonKind.CONSUMER, consumer_id)

    @classmethod
    def agent(cls, agent_id: int) -> Person:
        """The supplier agent with this id."""
        return cls(PersonKind.AGENT, agent_id)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"
