"""Where an offer may serve: its states and distributors, checked against ANEEL's register."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.catalog_schema import OfferEntry
from marketplace.models import Distributor, State


class RejectedReference(ValueError):
    """A state or distributor an offer names that the reference data cannot accept."""


@dataclass(frozen=True)
class CatalogReferences:
    """The states and distributors known to the database, read once per catalog load."""

    states: frozenset[str]
    distributors: tuple[Distributor, ...]
    states_served: dict[int, frozenset[str]]

    @classmethod
    def read(cls, session: Session) -> CatalogReferences:
        """Read every state and distributor (with the states it serves)."""
        distributors = tuple(
            session.scalars(select(Distributor).options(selectinload(Distributor.states)))
        )
        return cls(
            states=frozenset(session.scalars(select(State.uf))),
            distributors=distributors,
            states_served={d.id: frozenset(link.uf for link in d.states) for d in distributors},
        )

    def areas_of(self, offer: OfferEntry) -> list[Distributor]:
        """The distributors an offer is limited to (none: every distributor of its states).

        Raises:
            RejectedReference: for an unknown state, a distributor that cannot be resolved to
                exactly one active distributor serving one of the offer's states, or a state
                that none of the listed distributors serves.
        """
        unknown = sorted(set(offer.states) - self.states)
        if unknown:
            raise RejectedReference(f"unknown state {unknown[0]!r}")
        if not offer.distributors:
            return []

        states = set(offer.states)
        areas = [self.resolve(reference, states) for reference in offer.distributors]
        uncovered = sorted(states - set().union(*(self.states_served[d.id] for d in areas)))
        if uncovered:
            raise RejectedReference(
                f"none of the listed distributors serves {', '.join(uncovered)}; "
                "list one there or drop the state"
            )
        return areas

    def resolve(self, reference: str, states: set[str]) -> Distributor:
        """The one active distributor serving `states` that a CNPJ, sigla or name designates.

        Siglas and names match ignoring case, accents and punctuation (`cemig d` is CEMIG-D).

        Raises:
            RejectedReference: when none or several distributors match.
        """
        named = self._named(reference)
        if not named:
            raise RejectedReference(f"unknown distributor {reference!r}")
        active = [d for d in named if d.active]
        if not active:
            raise RejectedReference(f"distributor {reference!r} is no longer active")
        serving = [d for d in active if self.states_served[d.id] & states]
        if not serving:
            served = sorted(set().union(*(self.states_served[d.id] for d in active)))
            raise RejectedReference(
                f"distributor {reference!r} serves {', '.join(served) or 'no state'}, "
                f"not {', '.join(sorted(states))}"
            )
        if len(serving) > 1:
            raise RejectedReference(
                f"distributor {reference!r} matches several distributors; give its CNPJ"
            )
        return serving[0]

    def _named(self, reference: str) -> list[Distributor]:
        digits = re.sub(r"[.\-/\s]", "", reference)
        if re.fullmatch(r"\d{14}", digits):
            return [d for d in self.distributors if d.cnpj == digits]
        key = match_key(reference)
        return [d for d in self.distributors if key in (match_key(d.sigla), match_key(d.name))]


def match_key(text: str) -> str:
    """`Neoenergia Brasília` → `neoenergiabrasilia`: no accents, case or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed.casefold() if char.isalnum())
