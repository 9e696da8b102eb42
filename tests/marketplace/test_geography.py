"""From CEP to state, from a state's name to its UF, and to the distributor on the bill."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marketplace.geography import (
    AmbiguousDistributor,
    InvalidCep,
    UnknownCep,
    UnknownDistributor,
    UnknownState,
    distributor_ref,
    distributors_serving,
    find_distributor,
    known_as,
    list_states,
    state_for_cep,
    uf_for_state,
)


@pytest.mark.parametrize(
    ("cep", "uf"),
    [
        ("01310-100", "SP"),
        ("01310100", "SP"),
        ("01.310-100", "SP"),
        ("60110-000", "CE"),
        ("69301-000", "RR"),  # between the two ranges of AM
        ("72800-000", "GO"),  # GO's first range, around the DF
        ("73000-000", "DF"),
        ("99999-999", "RS"),
    ],
)
def test_cep_leads_to_its_state(sessions: sessionmaker[Session], cep: str, uf: str) -> None:
    with sessions() as session:
        assert state_for_cep(session, cep) == uf


@pytest.mark.parametrize("cep", ["00000-000", "00999-999", "10000-000", "10999-999"])
def test_unallocated_cep_is_unknown(sessions: sessionmaker[Session], cep: str) -> None:
    with sessions() as session, pytest.raises(UnknownCep, match="not allocated"):
        state_for_cep(session, cep)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0131-100",
        "013101000",
        "abcde-fgh",
        "\uff10\uff11\uff13\uff11\uff10\uff11\uff10\uff10",
        "1" * 200,
    ],
)
def test_text_that_is_not_a_cep_is_refused(sessions: sessionmaker[Session], text: str) -> None:
    with sessions() as session, pytest.raises(InvalidCep):
        state_for_cep(session, text)


@pytest.mark.parametrize(
    ("text", "uf"),
    [("ceará", "CE"), ("CEARA", "CE"), ("Sao Paulo", "SP"), ("sp", "SP"), ("Piauí", "PI")],
)
def test_state_names_and_codes_give_the_uf(
    sessions: sessionmaker[Session], text: str, uf: str
) -> None:
    with sessions() as session:
        assert uf_for_state(session, text) == uf


@pytest.mark.parametrize("text", ["", "Atlantis", "s", "x" * 500])
def test_unknown_state_is_refused(sessions: sessionmaker[Session], text: str) -> None:
    with sessions() as session, pytest.raises(UnknownState):
        uf_for_state(session, text)


def test_distributors_of_a_state_come_largest_first(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        siglas = [d.sigla for d in distributors_serving(session, "SP")]

    assert siglas[:3] == ["ELETROPAULO", "CPFL-PAULISTA", "ELEKTRO"]
    assert "CPFL MOCOCA" not in siglas  # inactive
    assert len(siglas) == 19


def test_single_distributor_state_needs_no_name(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert find_distributor(session, "CE", None).sigla == "ENEL CE"


@pytest.mark.parametrize(
    ("uf", "query", "sigla"),
    [
        ("CE", "enel ce", "ENEL CE"),
        ("CE", "Companhia Energética do Ceará", "ENEL CE"),
        ("SP", "enel-sp", "ELETROPAULO"),
        ("SP", "Enel SP", "ELETROPAULO"),
        ("SP", "enel", "ELETROPAULO"),
        ("SP", "cpfl paulista", "CPFL-PAULISTA"),
        ("SP", "CPFL-PIRATINING", "CPFL-PIRATINING"),
        ("MG", "cemig d", "CEMIG-D"),
        ("MG", "cemigd", "CEMIG-D"),
        ("AM", "AMBAR AMAZONAS", "Âmbar Amazonas"),
        ("PE", "celpe", "Neoenergia PE"),
        ("GO", "equatorial", "EQUATORIAL GO"),
    ],
)
def test_distributor_is_matched_by_sigla_or_name(
    sessions: sessionmaker[Session], uf: str, query: str, sigla: str
) -> None:
    with sessions() as session:
        assert find_distributor(session, uf, query).sigla == sigla


def test_several_matches_are_ambiguous_with_their_candidates(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, pytest.raises(AmbiguousDistributor) as raised:
        find_distributor(session, "SP", "cpfl")

    assert {c.sigla for c in raised.value.candidates} == {
        "CPFL-PAULISTA",
        "CPFL-PIRATINING",
        "CPFL Santa Cruz",
    }


def test_state_with_several_distributors_needs_a_name(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(AmbiguousDistributor) as raised:
        find_distributor(session, "GO", None)

    assert [c.sigla for c in raised.value.candidates] == ["EQUATORIAL GO", "CHESP"]


@pytest.mark.parametrize(
    "query", ["", "light", "coelba", "'; DROP TABLE distributors; --", "x" * 10_000]
)
def test_unknown_distributor_lists_the_state_ones(
    sessions: sessionmaker[Session], query: str
) -> None:
    with sessions() as session, pytest.raises(UnknownDistributor) as raised:
        find_distributor(session, "CE", query)

    assert [c.sigla for c in raised.value.candidates] == ["ENEL CE"]
    assert len(str(raised.value)) < 200


def test_every_state_is_listed_by_uf(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        states = list_states(session)

    assert len(states) == 27
    assert (states["CE"], states["SP"]) == ("Ceará", "São Paulo")


def test_distributors_are_known_by_the_name_on_the_bill(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        enel_sp = find_distributor(session, "SP", "ELETROPAULO")
        cemig = find_distributor(session, "MG", "CEMIG-D")
        again = distributor_ref(session, enel_sp.id)

    assert again == enel_sp
    assert (known_as(enel_sp), known_as(cemig)) == ("ENEL SP", "CEMIG-D")
    with sessions() as session:
        assert distributor_ref(session, 10_000_000) is None
