"""Reading what people type: cleaning, options, yes/no and commands."""

from __future__ import annotations

import pytest

from conversations.events import Option
from conversations.parsing import (
    MAX_TEXT_LENGTH,
    Command,
    clean_text,
    comparable,
    match_option,
    normalize,
    parse_command,
    parse_yes_no,
)

DISTRIBUTORS = (
    Option("d1", "Enel CE"),
    Option("d2", "Energisa Paraíba"),
    Option("d3", "Equatorial Pará"),
    Option("d4", "Não sei"),
)


def test_normalize_strips_accents_case_and_extra_spaces() -> None:
    assert normalize("  Não   SEI\u00a0Açaí ") == "nao sei acai"


def test_comparable_also_drops_punctuation_and_symbols() -> None:
    assert comparable("¡Sí, claro! 👍") == "si claro"


def test_clean_text_removes_controls_and_bidi_overrides_but_keeps_letters() -> None:
    marhaba = "\u0645\u0631\u062d\u0628\u0627"
    cleaned = clean_text(f"\x00Olá\x1b[0m \u202e{marhaba}\t👨\u200d👩\u200d👧 ")

    assert cleaned.text == f"Olá[0m {marhaba} 👨\u200d👩\u200d👧"
    assert not cleaned.too_long


def test_clean_text_flags_and_cuts_text_over_the_limit() -> None:
    cleaned = clean_text("a" * (MAX_TEXT_LENGTH + 1))

    assert cleaned.too_long
    assert len(cleaned.text) == MAX_TEXT_LENGTH


def test_clean_text_replaces_lone_surrogates() -> None:
    assert clean_text("a\ud800b").text == "a?b"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", "d1"),
        ("4.", "d4"),
        ("#2", "d2"),
        ("enel ce", "d1"),
        ("ENERGISA PARAIBA", "d2"),
        ("equatorial para!", "d3"),
        ("nao sei", "d4"),
        ("equa", "d3"),
        ("Ener", "d2"),
    ],
)
def test_option_is_picked_by_number_label_or_unique_prefix(typed: str, expected: str) -> None:
    picked = match_option(typed, DISTRIBUTORS)

    assert picked is not None
    assert picked.id == expected


@pytest.mark.parametrize("typed", ["0", "5", "999", "en", "e", "", "light", "enel ce sp", "d1"])
def test_no_option_for_out_of_range_ambiguous_short_or_unknown_text(typed: str) -> None:
    assert match_option(typed, DISTRIBUTORS) is None


def test_no_option_when_none_were_shown() -> None:
    assert match_option("1", ()) is None


@pytest.mark.parametrize(
    "text",
    ["sim", "S", "claro", "Pode", "ok", "OK!", "yes", "y", "sí", "si", "sim, por favor",
     "com certeza", "Pode ser", "👍", "yes please"],
)  # fmt: skip
def test_yes(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text", ["não", "nao", "N", "no", "NÃO!", "não, obrigado", "nope", "👎", "no thanks"]
)
def test_no(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["", "talvez", "não sei", "sim não", "maybe", "1", "ok não"])
def test_neither_yes_nor_no(text: str) -> None:
    assert parse_yes_no(text) is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("ajuda", Command.HELP),
        ("/HELP", Command.HELP),
        ("Ayuda?", Command.HELP),
        ("recomeçar", Command.RESTART),
        ("RECOMECAR", Command.RESTART),
        ("/restart@ConnectEnergyBot", Command.RESTART),
        ("voltar", Command.BACK),
        (" back ", Command.BACK),
        ("Cancelar.", Command.CANCEL),
        ("/start", Command.START),
    ],
)
def test_global_commands_with_or_without_slash(text: str, command: Command) -> None:
    assert parse_command(text) is command


@pytest.mark.parametrize("text", ["preciso de ajuda", "help me", "backup", "/unknown", ""])
def test_sentences_around_a_command_word_are_not_commands(text: str) -> None:
    assert parse_command(text) is None


OFFER_ACTIONS = (
    Option("contact", "Pedir contato"),
    Option("explain", "Como você calculou?"),
    Option("back", "Voltar às ofertas"),
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("como calculou", "explain"), ("calculou?", "explain"), ("voltar ofertas", "back")],
)
def test_option_is_picked_by_words_of_its_label(typed: str, expected: str) -> None:
    picked = match_option(typed, OFFER_ACTIONS)

    assert picked is not None
    assert picked.id == expected


@pytest.mark.parametrize("typed", ["as", "como voce calculou isso", "sol nascente"])
def test_words_in_no_label_or_several_labels_pick_nothing(typed: str) -> None:
    offers = (
        *OFFER_ACTIONS,
        Option("o1", "Sol Nascente: R$ 45"),
        Option("o2", "Sol Nascente: R$ 30"),
    )

    assert match_option(typed, offers) is None


@pytest.mark.parametrize("text", ["%s", "<s>", "s%", "{s}", "$n", "s=1"])
def test_symbols_around_a_letter_are_neither_yes_nor_no(text: str) -> None:
    assert parse_yes_no(text) is None


@pytest.mark.parametrize(("text", "expected"), [("sim!", True), ("Não.", False), ("(s)", True)])
def test_light_punctuation_around_yes_or_no_is_fine(text: str, expected: bool) -> None:
    assert parse_yes_no(text) is expected
