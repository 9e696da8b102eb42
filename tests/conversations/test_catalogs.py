"""The catalogs keep up with the code: pt_BR and es complete, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conversations.i18n import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED_LOCALES = ("pt_BR", "es")
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def catalog_of(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        return read_po(stream, locale=locale)


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def messages_in_code() -> set[str]:
    method_map = [
        (f"{package}/**.py", "python")
        for package in ("conversations", "bot", "marketplace", "webhooks")
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    return {
        message[0] if isinstance(message, tuple) else message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords=keywords
        )
    }


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_entry_is_translated_and_none_is_fuzzy(locale: str) -> None:
    catalog = catalog_of(locale)

    untranslated = [message.id for message in entries(catalog) if not all(forms(message.string))]
    fuzzy = [message.id for message in entries(catalog) if message.fuzzy]

    assert entries(catalog)
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_message_in_the_code_is_in_the_catalog(locale: str) -> None:
    ids = {forms(message.id)[0] for message in entries(catalog_of(locale))}

    in_code = messages_in_code()

    assert "Your distributor is {distributor}." in in_code  # the extraction itself works
    assert sorted(in_code - ids) == []


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_translations_keep_the_placeholders_of_their_message(locale: str) -> None:
    broken = []
    for message in entries(catalog_of(locale)):
        wanted = set(PLACEHOLDER.findall(" ".join(forms(message.id))))
        broken += [
            (message.id, translation)
            for translation in forms(message.string)
            if set(PLACEHOLDER.findall(translation)) != wanted
        ]

    assert broken == []


# Forms that address the person as "usted": the bot says "tú" in Spanish, as it says "você"
# in Portuguese.
USTED = re.compile(
    r"\b(usted|ustedes|toque|escriba|elija|indique|pulse|contactarle|le avisaremos|que pagó)\b",
    re.IGNORECASE,
)


def test_spanish_speaks_to_the_person_as_tu() -> None:
    formal = [
        translation
        for message in entries(catalog_of("es"))
        for translation in forms(message.string)
        if USTED.search(translation)
    ]

    assert formal == []
