"""Where a consumer is: CEP to state, state names to UF, and the distributor on their bill."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.documents import InvalidDocument, normalize_cep
from marketplace.models import CepRange, Distributor, DistributorState, State
from marketplace.reference_cache import ReferenceCache

# Longer than any CEP, state or distributor name; longer text is refused before any work.
MAX_QUERY_LENGTH = 120

# The bundled SP range runs 01000-000 to 19999-999, yet its own note splits it into
# 01000-09999 (Grande São Paulo) and 11000-19999 (interior e litoral): the 10xxx block
# between them is not allocated by Correios.
UNASSIGNED_CEP_BLOCKS = ((10_000_000, 10_999_999),)

# Trade names people read on their bill that ANEEL's register does not carry (by CNPJ).
TRADE_NAMES: dict[str, tuple[str, ...]] = {
    "61695227000193": ("ENEL SP", "Enel Distribuição São Paulo"),
    "10835932000108": ("Celpe", "Neoenergia Celpe"),
    "15139629000194": ("Neoenergia Coelba",),
    "08324196000181": ("Neoenergia Cosern",),
    "08467115000100": ("CEEE Equatorial",),
    "60444437000146": ("Light",),
}


@dataclass(frozen=True)
class DistributorRef:
    """A distributor as callers need it: its id, ANEEL sigla, registered name and CNPJ."""

    id: int
    sigla: str
    name: str
    cnpj: str


@dataclass(frozen=True)
class _Places:
    """The geography tables as the lookups below read them (marketplace.reference_cache)."""

    states: dict[str, str]  # UF → name, in UF order
    cep_ranges: tuple[tuple[int, int, str], ...]  # (start, end, UF), preferred ones first
    distributors: dict[int, DistributorRef]  # every one, active or not
    serving: dict[str, tuple[DistributorRef, ...]]  # active ones by UF, largest first


class GeographyError(ValueError):
    """A place or distributor that cannot be resolved from what the consumer said."""


class InvalidCep(GeographyError):
    """Text that is not shaped like a CEP."""


class UnknownCep(GeographyError):
    """A well-formed CEP outside every range Correios allocated to a state."""

    def __init__(self, cep: str) -> None:
        super().__init__(f"CEP {cep[:5]}-{cep[5:]} is not allocated to any state")
        self.cep = cep


class UnknownState(GeographyError):
    """Text that names no Brazilian state."""


class NoDistributor(GeographyError):
    """A state where no active distributor is registered."""

    def __init__(self, uf: str) -> None:
        super().__init__(f"no active distributor serves {uf}")
        self.uf = uf


class DistributorChoiceError(GeographyError):
    """The distributor could not be settled; `candidates` are the ones to choose from."""

    def __init__(self, message: str, *, uf: str, candidates: tuple[DistributorRef, ...]) -> None:
        super().__init__(message)
        self.uf = uf
        self.candidates = candidates


class AmbiguousDistributor(DistributorChoiceError):
    """Several distributors fit (or none was named in a state that has several)."""


class UnknownDistributor(DistributorChoiceError):
    """The name given matches no active distributor of the state."""


def state_for_cep(session: Session, text: str) -> str:
    """Return the UF whose CEP range holds the CEP written in `text`.

    Raises:
        InvalidCep: when the text is not 8 digits (punctuation aside).
        UnknownCep: when no state holds that CEP.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidCep("a CEP has 8 digits, like 01310-100")
    try:
        cep = normalize_cep(text)
    except InvalidDocument as error:
        raise InvalidCep(str(error)) from error
    if not cep.isascii():
        raise InvalidCep("a CEP has 8 digits, like 01310-100")

    number = int(cep)
    if any(start <= number <= end for start, end in UNASSIGNED_CEP_BLOCKS):
        raise UnknownCep(cep)
    for start, end, uf in _places.get(session).cep_ranges:
        if start <= number <= end:
            return uf
    raise UnknownCep(cep)


def uf_for_state(session: Session, text: str) -> str:
    """Return the UF of a state written as its code or name (`sp`, `Sao Paulo`, `ceará`).

    Raises:
        UnknownState: when the text names no state.
    """
    wanted = fold(text) if len(text) <= MAX_QUERY_LENGTH else ""
    if wanted:
        for uf, name in _places.get(session).states.items():
            if wanted in (fold(uf), fold(name)):
                return uf
    raise UnknownState(f"{text[:40]!r} is not a Brazilian state")


def distributors_serving(session: Session, uf: str) -> tuple[DistributorRef, ...]:
    """The active distributors with a concession area in `uf`, largest first."""
    return _places.get(session).serving.get(uf, ())


def list_states(session: Session) -> dict[str, str]:
    """Every state as UF → name, in UF order."""
    return dict(_places.get(session).states)


def distributor_ref(session: Session, distributor_id: int) -> DistributorRef | None:
    """The distributor with this id, or None when there is none."""
    return _places.get(session).distributors.get(distributor_id)


def known_as(distributor: DistributorRef) -> str:
    """The name people read on their bill: the trade name when ANEEL's sigla differs."""
    return TRADE_NAMES.get(distributor.cnpj, (distributor.sigla,))[0]


def find_distributor(session: Session, uf: str, query: str | None) -> DistributorRef:
    """Settle which active distributor of `uf` is meant by `query` (ANEEL sigla or name).

    Case, accents and punctuation are ignored, so `enel-ce`, `Enel CE` and `ENEL CE` are
    the same. Without a query, a state with a single distributor needs no choice.

    Raises:
        NoDistributor: when no active distributor serves the state.
        AmbiguousDistributor: when several fit, or none was named and the state has several.
        UnknownDistributor: when the query matches none of them.
    """
    candidates = distributors_serving(session, uf)
    if not candidates:
        raise NoDistributor(uf)
    if query is None:
        if len(candidates) == 1:
            return candidates[0]
        raise AmbiguousDistributor(
            f"{uf} has {len(candidates)} distributors", uf=uf, candidates=candidates
        )
    return _match(query, uf, candidates)


def _read_places(session: Session) -> _Places:
    connection = session.connection()
    states = {row.uf: row.name for row in connection.execute(select(State).order_by(State.uf))}
    ranges = connection.execute(
        select(CepRange.cep_start, CepRange.cep_end, CepRange.uf).order_by(
            CepRange.status.desc(),
            CepRange.cep_start,  # "vigente" before "legado"
        )
    )
    distributors = {
        row.id: DistributorRef(row.id, row.sigla, row.name, row.cnpj)
        for row in connection.execute(select(Distributor))
    }
    serving: dict[str, list[DistributorRef]] = {}
    areas = connection.execute(
        select(DistributorState.uf, Distributor.id)
        .join(Distributor)
        .where(Distributor.active.is_(True))
        .order_by(Distributor.consumer_units.desc().nulls_last(), Distributor.name)
    )
    for area in areas:
        serving.setdefault(area.uf, []).append(distributors[area.id])
    return _Places(
        states=states,
        cep_ranges=tuple((row.cep_start, row.cep_end, row.uf) for row in ranges),
        distributors=distributors,
        serving={uf: tuple(refs) for uf, refs in serving.items()},
    )


_places = ReferenceCache(_read_places)


def fold(text: str) -> str:
    """Text reduced for matching: no accents, lower case, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", bare.casefold()).strip()


def _match(query: str, uf: str, candidates: tuple[DistributorRef, ...]) -> DistributorRef:
    wanted = fold(query) if len(query) <= MAX_QUERY_LENGTH else ""
    if wanted:
        exact = tuple(c for c in candidates if _squeezed(wanted) in _squeezed_names(c))
        words = set(wanted.split())
        partial = tuple(c for c in candidates if words <= _words(c))
        for found in (exact, partial):
            if len(found) == 1:
                return found[0]
            if found:
                raise AmbiguousDistributor(
                    f"several distributors of {uf} match {query[:40]!r}", uf=uf, candidates=found
                )
    raise UnknownDistributor(
        f"no distributor of {uf} matches {query[:40]!r}", uf=uf, candidates=candidates
    )


def _names(distributor: DistributorRef) -> tuple[str, ...]:
    return (distributor.sigla, distributor.name, *TRADE_NAMES.get(distributor.cnpj, ()))


def _squeezed(folded: str) -> str:
    # "cemig d", "cemig-d" and "cemigd" all name CEMIG-D.
    return folded.replace(" ", "")


@cache  # a few hundred distributors; matching a name folds each of theirs every time
def _squeezed_names(distributor: DistributorRef) -> frozenset[str]:
    return frozenset(_squeezed(fold(name)) for name in _names(distributor))


@cache
def _words(distributor: DistributorRef) -> frozenset[str]:
    return frozenset(word for name in _names(distributor) for word in fold(name).split())
