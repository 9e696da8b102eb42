"""CEPs inside sentences, and states named or abbreviated."""

from __future__ import annotations

import pytest

from conversations.places import find_cep, find_state

STATES = {
    "CE": "Ceará",
    "DF": "Distrito Federal",
    "MS": "Mato Grosso do Sul",
    "MT": "Mato Grosso",
    "PA": "Pará",
    "PR": "Paraná",
    "RJ": "Rio de Janeiro",
    "RN": "Rio Grande do Norte",
    "RS": "Rio Grande do Sul",
    "SE": "Sergipe",
    "SP": "São Paulo",
    "TO": "Tocantins",
}


@pytest.mark.parametrize(
    ("text", "cep"),
    [
        ("01310-100", "01310100"),
        ("01310100", "01310100"),
        ("01.310-100", "01310100"),
        ("01310 100", "01310100"),
        ("meu cep é 60110-000", "60110000"),
        ("CEP: 60110-000, Fortaleza", "60110000"),
        ("013101000", None),
        ("0131-100", None),
        ("(85) 99999-1234", None),
        ("5585999991234", None),
        ("Ceará", None),
    ],
)
def test_a_cep_is_found_inside_a_sentence(text: str, cep: str | None) -> None:
    assert find_cep(text) == cep


@pytest.mark.parametrize(
    ("text", "uf"),
    [
        ("Ceará", "CE"),
        ("ceara", "CE"),
        ("sao paulo", "SP"),
        ("SÃO PAULO!", "SP"),
        ("SP", "SP"),
        ("sp", "SP"),
        ("moro no RJ", "RJ"),
        ("moro em sp", "SP"),
        ("sou do rio grande do sul", "RS"),
        ("Mato Grosso do Sul", "MS"),
        ("mato grosso", "MT"),
        ("Brasília", "DF"),
        ("moro no Pará", "PA"),
        ("Pará", "PA"),
        ("para", "PA"),
        ("Paraná", "PR"),
        ("se", "SE"),
        ("to", "TO"),
        ("moro em Sergipe", "SE"),
        ("moro no TO", "TO"),
    ],
)
def test_a_state_is_named_or_abbreviated(text: str, uf: str) -> None:
    assert find_state(text, STATES) == uf


@pytest.mark.parametrize(
    "text",
    [
        "",
        "não sei",
        "vou para casa",
        "se eu soubesse",
        "to em casa rs",
        "SP ou RJ",
        "Rio",
        "Atlantis",
        "'; DROP TABLE states; --",
    ],
)
def test_no_state_or_two_states_name_none(text: str) -> None:
    assert find_state(text, STATES) is None
